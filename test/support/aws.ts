/**
 * AWS adapters on the local stand-ins for tests. The stand-ins are started once per run
 * by test/support/global-setup.ts; every helper here creates a uniquely named resource,
 * so test files (and tests) can run in parallel without seeing each other's data.
 */
import { DescribeStreamSummaryCommand, ListShardsCommand, MergeShardsCommand, SplitShardCommand } from '@aws-sdk/client-kinesis';
import { inject } from 'vitest';
import { createAwsClients, localAwsConfig, type AwsClients, type AwsConfig } from '../../engine/adapters/aws/clients.js';
import { putAllRecords, type PutResult } from '../../engine/adapters/aws/kinesis-producer.js';
import { createBucket, createDeadLetterTable, createSinkTable, createStream, createWalTable } from '../../engine/adapters/aws/provision.js';
import type { StandInEndpoints } from '../../local/stand-ins.js';
import { createAwsPorts, type AwsPorts } from '../../engine/adapters/deployed-ports.js';
import type { KafkaConnection } from '../../engine/adapters/kafka/kafka-config.js';
import { silentLogger } from '../../engine/adapters/memory/index.js';
import { systemClock } from '../../engine/adapters/system-clock.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

let clients: AwsClients | undefined;
let counter = 0;

export function standInEndpoints(): StandInEndpoints {
  const endpoints = inject('standIns');
  if (endpoints === undefined) {
    throw new Error(
      'the AWS stand-ins are not running: this test file is in the "unit" project of vitest.config.ts, which starts none; move it out of test/unit/',
    );
  }
  return endpoints;
}

/** The AwsConfig of the stand-ins (for createAwsPorts and createAwsClients). */
export function testAwsConfig(): AwsConfig {
  return localAwsConfig(standInEndpoints());
}

/** SDK clients on the stand-ins, shared by the tests of one worker. */
export function testAwsClients(): AwsClients {
  return (clients ??= createAwsClients(testAwsConfig()));
}

/**
 * A name no other test uses: lower case letters, digits and hyphens, so it is valid for a
 * table, a stream and a bucket alike (at most 63 characters).
 */
export function uniqueName(prefix: string): string {
  counter += 1;
  const base = prefix
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .slice(0, 30);
  const random = Math.random().toString(36).slice(2, 8);
  return `${base}-${process.pid}-${counter}-${random}`;
}

export async function createTestWalTable(prefix = 'wal'): Promise<string> {
  const name = uniqueName(prefix);
  await createWalTable(testAwsClients().dynamodb, name);
  return name;
}

export async function createTestSinkTable(prefix = 'sink'): Promise<string> {
  const name = uniqueName(prefix);
  await createSinkTable(testAwsClients().dynamodb, name);
  return name;
}

export async function createTestDeadLetterTable(prefix = 'dlq'): Promise<string> {
  const name = uniqueName(prefix);
  await createDeadLetterTable(testAwsClients().dynamodb, name);
  return name;
}

export async function createTestBucket(prefix = 'bucket'): Promise<string> {
  const name = uniqueName(prefix);
  await createBucket(testAwsClients().s3, name);
  return name;
}

/** The engine's AWS ports on the stand-ins, on a WAL table, a dead-letter table and a bucket of their own. */
export async function createTestPorts(options: { readonly kafka?: KafkaConnection } = {}): Promise<AwsPorts> {
  const [walTable, deadLetterTable, bucket] = await Promise.all([createTestWalTable(), createTestDeadLetterTable(), createTestBucket()]);
  return createAwsPorts({ ...testAwsConfig(), walTable, deadLetterTable, bucket, clock: systemClock, logger: silentLogger, ...options });
}

export async function createTestStream(shardCount: number, prefix = 'stream'): Promise<string> {
  const name = uniqueName(prefix);
  await createStream(testAwsClients().kinesis, name, shardCount);
  return name;
}

/** The shard ids of a stream, in order, and the hash key that sends a record to each. */
export async function shardHashKeys(streamName: string): Promise<Map<string, string>> {
  const { Shards } = await testAwsClients().kinesis.send(new ListShardsCommand({ StreamName: streamName }));
  const keys = new Map<string, string>();
  for (const shard of Shards ?? []) {
    if (shard.ShardId !== undefined && shard.HashKeyRange?.StartingHashKey !== undefined) {
      keys.set(shard.ShardId, shard.HashKeyRange.StartingHashKey);
    }
  }
  return keys;
}

/**
 * Appends records to one shard (by its starting hash key) and returns their sequence
 * numbers in order. Throws if Kinesis put any of them elsewhere.
 */
export async function appendToShard(
  streamName: string,
  shardId: string,
  records: readonly { key: string; data: Uint8Array }[],
  hashKeys?: Map<string, string>,
): Promise<string[]> {
  const explicitHashKey = (hashKeys ?? (await shardHashKeys(streamName))).get(shardId);
  if (explicitHashKey === undefined) throw new Error(`stream ${streamName} has no shard ${shardId}`);
  const results: PutResult[] = await putAllRecords(
    testAwsClients().kinesis,
    streamName,
    records.map((r) => ({ ...r, explicitHashKey })),
  );
  for (const result of results) {
    if (result.shardId !== shardId) throw new Error(`a record meant for ${shardId} landed in ${result.shardId}`);
  }
  return results.map((r) => r.sequenceNumber);
}

/** Splits a shard in two at the middle of its hash key range; returns the two children once the stream is ACTIVE again. */
export async function splitShard(streamName: string, shardId: string): Promise<string[]> {
  const kinesis = testAwsClients().kinesis;
  const { Shards } = await kinesis.send(new ListShardsCommand({ StreamName: streamName }));
  const range = Shards?.find((s) => s.ShardId === shardId)?.HashKeyRange;
  if (range?.StartingHashKey === undefined || range.EndingHashKey === undefined) throw new Error(`no shard ${shardId} in ${streamName}`);
  const middle = (BigInt(range.StartingHashKey) + BigInt(range.EndingHashKey) + 1n) / 2n;
  await kinesis.send(new SplitShardCommand({ StreamName: streamName, ShardToSplit: shardId, NewStartingHashKey: middle.toString() }));
  await waitUntilActive(streamName);
  const after = await kinesis.send(new ListShardsCommand({ StreamName: streamName }));
  return (after.Shards ?? [])
    .filter((s) => s.ParentShardId === shardId)
    .map((s) => s.ShardId!)
    .sort();
}

/** Merges two adjacent shards; returns the child once the stream is ACTIVE again. */
export async function mergeShards(streamName: string, shardId: string, adjacentShardId: string): Promise<string> {
  const kinesis = testAwsClients().kinesis;
  await kinesis.send(new MergeShardsCommand({ StreamName: streamName, ShardToMerge: shardId, AdjacentShardToMerge: adjacentShardId }));
  await waitUntilActive(streamName);
  const after = await kinesis.send(new ListShardsCommand({ StreamName: streamName }));
  const child = (after.Shards ?? []).find((s) => s.ParentShardId === shardId && s.AdjacentParentShardId === adjacentShardId);
  if (child?.ShardId === undefined) throw new Error(`merging ${shardId} and ${adjacentShardId} made no child`);
  return child.ShardId;
}

async function waitUntilActive(streamName: string): Promise<void> {
  const kinesis = testAwsClients().kinesis;
  for (let i = 0; ; i += 1) {
    const { StreamDescriptionSummary } = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
    if (StreamDescriptionSummary?.StreamStatus === 'ACTIVE') return;
    if (i > 300) throw new Error(`stream ${streamName} did not become ACTIVE after resharding`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
