/** The AWS adapters: DynamoDB, S3 and Kinesis (engine/adapters/deployed-ports.ts puts them together with Kafka). */
export { createAwsClients, destroyAwsClients, localAwsConfig, type AwsClients, type AwsConfig } from './clients.js';
export { DynamoDbDeadLetterQueue } from './dynamodb-dead-letter-queue.js';
export { DynamoDbSink } from './dynamodb-sink.js';
export { DynamoDbWriteAheadLog } from './dynamodb-write-ahead-log.js';
export { KinesisSink } from './kinesis-sink.js';
export { KinesisSourceReader } from './kinesis-source-reader.js';
export { putAllRecords } from './kinesis-producer.js';
export * from './provision.js';
export { S3BlobStore } from './s3-blob-store.js';
export { ShardIteratorCache } from './shard-iterator-cache.js';
