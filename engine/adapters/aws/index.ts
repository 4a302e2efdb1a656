import { ConfigurationError } from '../../errors.js';
import type { Clock } from '../../ports/clock.js';
import type { EnginePorts, Logger } from '../../ports/index.js';
import type { Sink, SinkSpec } from '../../ports/sink.js';
import { sourceNameOf, type SourceReader, type SourceSpec } from '../../ports/source-reader.js';
import { BlobStateStore } from '../../state/blob-state-store.js';
import type { KafkaConnection } from '../kafka/kafka-config.js';
import { KafkaClients } from '../kafka/kafka-clients.js';
import { createAwsClients, type AwsClients, type AwsConfig } from './clients.js';
import { DynamoDbDeadLetterQueue } from './dynamodb-dead-letter-queue.js';
import { DynamoDbSink } from './dynamodb-sink.js';
import { DynamoDbWriteAheadLog } from './dynamodb-write-ahead-log.js';
import { KinesisSourceReader } from './kinesis-source-reader.js';
import { S3BlobStore } from './s3-blob-store.js';

export { createAwsClients, destroyAwsClients, localAwsConfig, type AwsClients, type AwsConfig } from './clients.js';
export { DynamoDbDeadLetterQueue } from './dynamodb-dead-letter-queue.js';
export { DynamoDbSink } from './dynamodb-sink.js';
export { DynamoDbWriteAheadLog } from './dynamodb-write-ahead-log.js';
export { KinesisSourceReader } from './kinesis-source-reader.js';
export { KafkaClients } from '../kafka/kafka-clients.js';
export { KafkaSourceReader } from '../kafka/kafka-source-reader.js';
export { kafkaConnectionFromEnv, type KafkaConnection } from '../kafka/kafka-config.js';
export { putAllRecords } from './kinesis-producer.js';
export * from './provision.js';
export { S3BlobStore } from './s3-blob-store.js';

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
}

/** Every port on AWS (or on the local stand-ins, when the config names their endpoints). */
export function createAwsPorts(config: AwsPortsConfig): AwsPorts {
  const clients = createAwsClients(config);
  const sleep = (ms: number): Promise<void> => config.clock.sleep(ms);
  const blobs = new S3BlobStore({ client: clients.s3, bucket: config.bucket });
  const kafka = config.kafka === undefined ? null : new KafkaClients(config.kafka, { logger: config.logger });
  return {
    clients,
    kafka,
    wal: new DynamoDbWriteAheadLog({ client: clients.dynamodb, tableName: config.walTable, sleep }),
    state: new BlobStateStore(blobs, config.statePrefix === undefined ? {} : { prefix: config.statePrefix }),
    deadLetters: new DynamoDbDeadLetterQueue({ client: clients.dynamodb, tableName: config.deadLetterTable, sleep }),
    sources: (spec: SourceSpec): SourceReader => {
      switch (spec.type) {
        case 'kinesis':
          return new KinesisSourceReader({ client: clients.kinesis, streamName: spec.streamName, sleep });
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
      if (spec.type !== 'dynamodb') {
        throw new ConfigurationError(`the AWS build writes DynamoDB sinks only, not ${spec.type} (${spec.name})`);
      }
      return new DynamoDbSink({ client: clients.dynamodb, tableName: spec.tableName });
    },
    clock: config.clock,
    logger: config.logger,
  };
}
