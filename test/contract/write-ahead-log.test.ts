/**
 * The write-ahead log contract (write-ahead-log.contract.ts and its parts) on the memory
 * adapter and on the DynamoDB adapter over DynamoDB Local, and the DynamoDB adapter's
 * batch item as it lies on the table.
 */
import { gunzipSync } from 'node:zlib';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoDbWriteAheadLog } from '../../engine/adapters/aws/dynamodb-write-ahead-log.js';
import { MemoryWriteAheadLog } from '../../engine/adapters/memory/memory-write-ahead-log.js';
import { StateCorruptionError } from '../../engine/errors.js';
import { BatchStatus } from '../../engine/protocol/batch-records.js';
import { createTestWalTable, testAwsClients } from '../support/aws.js';
import { describeWriteAheadLogBatches } from './write-ahead-log-batches.contract.js';
import { describeWriteAheadLogFormat } from './write-ahead-log-format.contract.js';
import { describeWriteAheadLogLease } from './write-ahead-log-lease.contract.js';
import { describeWriteAheadLogRangeEnds } from './write-ahead-log-range-ends.contract.js';
import { describeWriteAheadLogReplays } from './write-ahead-log-replays.contract.js';
import { type MakeWriteAheadLog, testCommit, testPlan } from './write-ahead-log.contract.js';

const memory: MakeWriteAheadLog = () => {
  const wal = new MemoryWriteAheadLog();
  return {
    wal,
    putStoredBatch: async (jobId, batchId, stored) => wal.putStoredBatch(jobId, batchId, stored),
    getStoredBatch: async (jobId, batchId) => wal.getStoredBatch(jobId, batchId),
  };
};

// A batch item's key, as the adapter lays it out (engine/adapters/aws/dynamodb-write-ahead-log.ts).
const key = (jobId: string, batchId: number) => ({ pk: jobId, sk: `batch#${String(batchId).padStart(12, '0')}` });
const gunzipJson = (value: unknown) => JSON.parse(gunzipSync(value as Uint8Array).toString('utf8')) as unknown;

async function storedItem(tableName: string, jobId: string, batchId: number): Promise<Record<string, unknown> | undefined> {
  const client = testAwsClients().dynamodb;
  return (await client.send(new GetCommand({ TableName: tableName, Key: key(jobId, batchId), ConsistentRead: true }))).Item;
}

const dynamodb: MakeWriteAheadLog = async () => {
  const tableName = await createTestWalTable();
  const client = testAwsClients().dynamodb;
  return {
    wal: new DynamoDbWriteAheadLog({ client, tableName }),
    async putStoredBatch(jobId, batchId, stored) {
      await client.send(new PutCommand({ TableName: tableName, Item: { ...key(jobId, batchId), batchId, ...stored } }));
    },
    /** The stored record: the item without its keys, its gzip'd plan and commit read as the record's fields. */
    async getStoredBatch(jobId, batchId) {
      const item = await storedItem(tableName, jobId, batchId);
      if (item === undefined) return null;
      const { pk: _pk, sk: _sk, batchId: _id, planZ, commitZ, ...stored } = item;
      return {
        ...stored,
        ...(planZ === undefined ? {} : { plan: gunzipJson(planZ) }),
        ...(commitZ === undefined ? {} : { commit: gunzipJson(commitZ) }),
      };
    },
  };
};

// The contract (write-ahead-log.contract.ts), every part of it on every adapter.
for (const describePart of [
  describeWriteAheadLogLease,
  describeWriteAheadLogBatches,
  describeWriteAheadLogRangeEnds,
  describeWriteAheadLogReplays,
  describeWriteAheadLogFormat,
]) {
  describePart('memory', memory);
  describePart('DynamoDB (DynamoDB Local)', dynamodb);
}

describe('DynamoDbWriteAheadLog: the batch item on the table', () => {
  it("stores the plan and the commit gzip'd, status and format version plain: a 64-shard batch in under half the bytes", async () => {
    const tableName = await createTestWalTable();
    const wal = new DynamoDbWriteAheadLog({ client: testAwsClients().dynamodb, tableName });
    const epoch = await wal.acquireEpoch('job');
    const shards = Array.from({ length: 64 }, (_, i) => `shardId-${String(i).padStart(12, '0')}`);
    const plan = testPlan('job', 1, epoch, shards);
    await wal.putPlan(plan);
    await wal.commitBatch('job', testCommit(plan));
    const item = (await storedItem(tableName, 'job', 1))!;
    expect(Object.keys(item).sort()).toEqual(['batchId', 'commitZ', 'formatVersion', 'pk', 'planZ', 'sk', 'status']);
    expect(item.status).toBe(BatchStatus.COMMITTED);
    expect(gunzipJson(item.planZ)).toEqual(plan);
    expect(gunzipJson(item.commitZ)).toEqual(testCommit(plan));
    const plain = JSON.stringify({ plan, commit: testCommit(plan) }).length;
    expect((item.planZ as Uint8Array).byteLength + (item.commitZ as Uint8Array).byteLength).toBeLessThan(plain / 2);
  });

  it("reads and commits an item of format 3 (plain plan), the commit stored gzip'd beside it", async () => {
    const tableName = await createTestWalTable();
    const client = testAwsClients().dynamodb;
    const wal = new DynamoDbWriteAheadLog({ client, tableName });
    const epoch = await wal.acquireEpoch('job');
    const plan = testPlan('job', 1, epoch);
    await client.send(
      new PutCommand({ TableName: tableName, Item: { ...key('job', 1), batchId: 1, formatVersion: 3, status: BatchStatus.PLANNED, plan } }),
    );
    expect(await wal.getBatch('job', 1)).toEqual({ plan, status: BatchStatus.PLANNED });
    expect(await wal.commitBatch('job', testCommit(plan))).toBe('committed');
    expect(await wal.getBatch('job', 1)).toEqual({ plan, status: BatchStatus.COMMITTED, commit: testCommit(plan) });
    const item = (await storedItem(tableName, 'job', 1))!;
    expect(item.formatVersion).toBe(3);
    expect(item).toHaveProperty('plan');
    expect(item).toHaveProperty('commitZ');
  });

  it("refuses an item whose gzip'd plan cannot be read, naming the job, the batch and the attribute", async () => {
    const tableName = await createTestWalTable();
    const client = testAwsClients().dynamodb;
    const wal = new DynamoDbWriteAheadLog({ client, tableName });
    await client.send(
      new PutCommand({
        TableName: tableName,
        Item: { ...key('job', 1), batchId: 1, formatVersion: 4, status: BatchStatus.PLANNED, planZ: new Uint8Array([1, 2, 3]) },
      }),
    );
    const error = await wal.getBatch('job', 1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateCorruptionError);
    expect((error as Error).message).toMatch(/^job job: batch 1 of the write-ahead log has an unreadable plan/);
  });
});
