import { InvalidArgumentError } from '../../errors.js';
import type { Clock } from '../../ports/clock.js';
import type { EnginePorts, Logger } from '../../ports/index.js';
import type { Sink, SinkSpec } from '../../ports/sink.js';
import type { SourceReader, SourceSpec } from '../../ports/source-reader.js';
import { BlobStateStore } from '../../state/blob-state-store.js';
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
}

export interface AwsPorts extends EnginePorts {
  /** The SDK clients behind the ports (destroyAwsClients closes their sockets). */
  readonly clients: AwsClients;
}

/** Every port on AWS (or on the local stand-ins, when the config names their endpoints). */
export function createAwsPorts(config: AwsPortsConfig): AwsPorts {
  const clients = createAwsClients(config);
  const sleep = (ms: number): Promise<void> => config.clock.sleep(ms);
  const blobs = new S3BlobStore({ client: clients.s3, bucket: config.bucket });
  return {
    clients,
    wal: new DynamoDbWriteAheadLog({ client: clients.dynamodb, tableName: config.walTable, sleep }),
    state: new BlobStateStore(blobs, config.statePrefix === undefined ? {} : { prefix: config.statePrefix }),
    deadLetters: new DynamoDbDeadLetterQueue({ client: clients.dynamodb, tableName: config.deadLetterTable, sleep }),
    sources: (spec: SourceSpec): SourceReader => {
      if (spec.type !== 'kinesis') {
        throw new InvalidArgumentError(`the AWS build reads Kinesis sources only, not ${spec.type} (stream ${spec.streamName})`);
      }
      return new KinesisSourceReader({ client: clients.kinesis, streamName: spec.streamName, sleep });
    },
    sinks: (spec: SinkSpec): Sink => {
      if (spec.type !== 'dynamodb') {
        throw new InvalidArgumentError(`the AWS build writes DynamoDB sinks only, not ${spec.type} (${spec.name})`);
      }
      return new DynamoDbSink({ client: clients.dynamodb, tableName: spec.tableName });
    },
    clock: config.clock,
    logger: config.logger,
  };
}
