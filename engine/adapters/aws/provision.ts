/**
 * Creates the AWS resources the adapters use, for local runs and tests (the CDK stack
 * creates them in an account, with the same key names: they are exported here). Every
 * function is idempotent: a resource that exists already is fine. Each waits until the
 * resource is ACTIVE.
 */
import { CreateTableCommand, DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateStreamCommand, DescribeStreamSummaryCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TransientError } from '../../errors.js';
import { isAlreadyExists, isNotFound } from './aws-errors.js';
import { DEAD_LETTER_TABLE_KEYS, SINK_TABLE_KEYS, WAL_TABLE_KEYS } from './table-keys.js';

export { DEAD_LETTER_TABLE_KEYS, SINK_TABLE_KEYS, WAL_TABLE_KEYS };

type AnyDynamoDbClient = DynamoDBClient | DynamoDBDocumentClient;

const WAIT_TIMEOUT_MS = 120_000;
const POLL_MS = 200;

export function createWalTable(client: AnyDynamoDbClient, tableName: string): Promise<void> {
  return createTable(client, tableName, WAL_TABLE_KEYS);
}

export function createSinkTable(client: AnyDynamoDbClient, tableName: string): Promise<void> {
  return createTable(client, tableName, SINK_TABLE_KEYS);
}

export function createDeadLetterTable(client: AnyDynamoDbClient, tableName: string): Promise<void> {
  return createTable(client, tableName, DEAD_LETTER_TABLE_KEYS);
}

async function createTable(
  client: AnyDynamoDbClient,
  tableName: string,
  keys: { readonly partitionKey: string; readonly sortKey?: string },
): Promise<void> {
  const names = keys.sortKey === undefined ? [keys.partitionKey] : [keys.partitionKey, keys.sortKey];
  try {
    await (client as DynamoDBClient).send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: names.map((name) => ({ AttributeName: name, AttributeType: 'S' })),
        KeySchema: names.map((name, i) => ({ AttributeName: name, KeyType: i === 0 ? 'HASH' : 'RANGE' })),
      }),
    );
  } catch (error) {
    if (!isAlreadyExists(error)) throw error;
  }
  await waitFor(`table ${tableName}`, async () => {
    const { Table } = await (client as DynamoDBClient).send(new DescribeTableCommand({ TableName: tableName }));
    return Table?.TableStatus === 'ACTIVE';
  });
}

export async function createBucket(client: S3Client, bucket: string): Promise<void> {
  const region = await client.config.region();
  try {
    await client.send(
      new CreateBucketCommand({
        Bucket: bucket,
        // us-east-1 is the default location and must not be named.
        ...(region === 'us-east-1' ? {} : { CreateBucketConfiguration: { LocationConstraint: region as never } }),
      }),
    );
  } catch (error) {
    if (!isAlreadyExists(error)) throw error;
  }
}

export async function createStream(client: KinesisClient, streamName: string, shardCount: number): Promise<void> {
  try {
    // With a shard count and no mode the stream is PROVISIONED (kinesalite has no other mode).
    await client.send(new CreateStreamCommand({ StreamName: streamName, ShardCount: shardCount }));
  } catch (error) {
    if (!isAlreadyExists(error)) throw error;
  }
  await waitFor(`stream ${streamName}`, async () => {
    const { StreamDescriptionSummary } = await client.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
    return StreamDescriptionSummary?.StreamStatus === 'ACTIVE';
  });
}

async function waitFor(what: string, isReady: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + WAIT_TIMEOUT_MS;
  for (;;) {
    try {
      if (await isReady()) return;
    } catch (error) {
      // Just created: it may not be visible yet.
      if (!isNotFound(error)) throw error;
    }
    if (Date.now() > deadline) throw new TransientError(`${what} did not become ACTIVE within ${WAIT_TIMEOUT_MS / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
