/**
 * The ports a deployment runs on: the AWS adapters (DynamoDB WAL and dead letters, S3
 * state, Kinesis reader, DynamoDB and Kinesis sinks), user sinks (engine/sinks) and, for
 * jobs that read Kafka, the Kafka adapter.
 * The one place that puts adapters of several backends together: the adapters themselves
 * never import each other (a rule in .dependency-cruiser.cjs).
 */
import { ConfigurationError, NotFoundError } from '../errors.js';
import type { Clock } from '../ports/clock.js';
import type { EnginePorts, Logger } from '../ports/index.js';
import type { TargetPresence } from '../ports/job-targets.js';
import type { Sink, SinkSpec } from '../ports/sink.js';
import { sourceNameOf, type SourceReader, type SourceSpec } from '../ports/source-reader.js';
import { UserSink } from '../sinks/user-sink.js';
import { BlobStateStore } from '../state/blob-state-store.js';
import { BlobExchangeStore } from '../state/exchange-store.js';
import { BlobLookupRecordStore } from '../state/lookup-record-store.js';
import { AwsJobTargets, ENGINE_TABLE_USES } from './aws/aws-job-targets.js';
import { createAwsClients, type AwsClients, type AwsConfig } from './aws/clients.js';
import { DynamoDbDeadLetterQueue } from './aws/dynamodb-dead-letter-queue.js';
import { DynamoDbLookupTable } from './aws/dynamodb-lookup-table.js';
import { DynamoDbSink } from './aws/dynamodb-sink.js';
import { DynamoDbWriteAheadLog } from './aws/dynamodb-write-ahead-log.js';
import { KinesisSink } from './aws/kinesis-sink.js';
import { KinesisSourceReader } from './aws/kinesis-source-reader.js';
import { S3BlobStore } from './aws/s3-blob-store.js';
import { ShardIteratorCache } from './aws/shard-iterator-cache.js';
import { s3FileSinkOf } from './aws/s3-file-sinks.js';
import { KafkaClients } from './kafka/kafka-clients.js';
import { KafkaSink } from './kafka/kafka-sink.js';
import type { KafkaConnection } from './kafka/kafka-config.js';

export interface AwsPortsConfig extends AwsConfig {
  readonly walTable: string;
  readonly deadLetterTable: string;
  readonly bucket: string;
  /** Prefix of the state objects in the bucket (BlobStateStore's default when unset). */
  readonly statePrefix?: string;
  readonly clock: Clock;
  readonly logger: Logger;
  /** The Kafka cluster that `kafkaSource` jobs read (Amazon MSK, or the local mock cluster). */
  readonly kafka?: KafkaConnection;
}

export interface AwsPorts extends EnginePorts {
  /** The SDK clients behind the ports (destroyAwsClients closes their sockets). */
  readonly clients: AwsClients;
  /** The Kafka clients of `config.kafka` (null without it), shared by every Kafka reader: `close()` them on shutdown. */
  readonly kafka: KafkaClients | null;
  /** What the jobs API checks before a start: the job's streams, topics, tables and buckets. */
  readonly targets: AwsJobTargets;
}

/** Every port on AWS (or on the local stand-ins, when the config names their endpoints). */
export function createAwsPorts(config: AwsPortsConfig): AwsPorts {
  const clients = createAwsClients(config);
  const sleep = (ms: number): Promise<void> => config.clock.sleep(ms);
  const blobs = new S3BlobStore({ client: clients.s3, bucket: config.bucket });
  const kafka = config.kafka === undefined ? null : new KafkaClients(config.kafka, { logger: config.logger });
  // Shared by every Kinesis reader of these ports: a warm executor's next batch of a shard reuses its iterator.
  const now = (): number => config.clock.now();
  const iterators = new ShardIteratorCache({ now });
  return {
    clients,
    kafka,
    wal: new DynamoDbWriteAheadLog({ client: clients.dynamodb, tableName: config.walTable, sleep }),
    state: new BlobStateStore(blobs, config.statePrefix === undefined ? {} : { prefix: config.statePrefix }),
    exchange: new BlobExchangeStore(blobs),
    deadLetters: new DynamoDbDeadLetterQueue({ client: clients.dynamodb, tableName: config.deadLetterTable, sleep }),
    sources: (spec: SourceSpec): SourceReader => {
      switch (spec.type) {
        case 'kinesis':
          return new KinesisSourceReader({ client: clients.kinesis, streamName: spec.streamName, sleep, iterators, now });
        case 'kafka':
          if (kafka === null) {
            throw new ConfigurationError(
              `the job reads Kafka topic ${spec.topic}, but these ports have no Kafka connection: ` +
                `give createAwsPorts kafka: { brokers, auth, tls } (a Lambda reads it from SLUICE_KAFKA_BROKERS and friends)`,
            );
          }
          // One reader per topic, on clients shared across calls: a warm Lambda keeps its broker connections.
          return kafka.reader(spec.topic, { sleep });
        default:
          throw new ConfigurationError(`the AWS build reads Kinesis and Kafka sources, not ${spec.type} (${sourceNameOf(spec)})`);
      }
    },
    sinks: (spec: SinkSpec): Sink => {
      if (spec.type === 'kinesis') {
        return new KinesisSink({
          client: clients.kinesis,
          streamName: spec.streamName,
          sleep,
          ...(spec.partitionKey === undefined ? {} : { partitionKey: spec.partitionKey }),
        });
      }
      if (spec.type === 'kafka') {
        if (kafka === null) {
          throw new ConfigurationError(
            `the job writes Kafka topic ${spec.topic}, but these ports have no Kafka connection: ` +
              `give createAwsPorts kafka: { brokers, auth, tls } (a Lambda reads it from SLUICE_KAFKA_BROKERS and friends)`,
          );
        }
        // The connection's one producer, shared by every write: a warm Lambda keeps its broker connections.
        return new KafkaSink({
          producer: () => kafka.producer(),
          topic: spec.topic,
          ...(spec.key === undefined ? {} : { key: spec.key }),
          ...(spec.maxMessageBytes === undefined ? {} : { maxMessageBytes: spec.maxMessageBytes }),
        });
      }
      if (spec.type === 'user') return new UserSink(spec);
      if (spec.type === 's3files') return s3FileSinkOf(clients.s3, spec, config.bucket);
      if (spec.type !== 'dynamodb') {
        throw new ConfigurationError(`the AWS build writes DynamoDB, Kinesis, Kafka and user sinks, not ${spec.type} (${spec.name})`);
      }
      return new DynamoDbSink({
        client: clients.dynamodb,
        tableName: spec.tableName,
        ...(spec.writes === undefined ? {} : { writes: spec.writes }),
      });
    },
    lookupTables: (spec) => new DynamoDbLookupTable({ client: clients.dynamodb, spec, sleep }),
    targets: new AwsJobTargets({
      clients,
      engineTables: { [config.walTable]: ENGINE_TABLE_USES.walTable, [config.deadLetterTable]: ENGINE_TABLE_USES.deadLetterTable },
      ...(kafka === null ? {} : { topicPresence: (topic: string) => topicPresence(kafka, topic, sleep) }),
    }),
    lookupRecords: new BlobLookupRecordStore(blobs),
    clock: config.clock,
    logger: config.logger,
  };
}

/** A topic's presence from the cluster's metadata (the Kafka reader's listPartitions): missing on NotFoundError, unknown on any other failure. */
async function topicPresence(kafka: KafkaClients, topic: string, sleep: (ms: number) => Promise<void>): Promise<TargetPresence> {
  try {
    await kafka.reader(topic, { sleep }).listPartitions();
    return 'present';
  } catch (error) {
    return error instanceof NotFoundError ? 'missing' : 'unknown';
  }
}
