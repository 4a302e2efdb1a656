import { randomBytes } from 'node:crypto';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoDbDeadLetterQueue } from '../../engine/adapters/aws/dynamodb-dead-letter-queue.js';
import { MemoryDeadLetterQueue } from '../../engine/adapters/memory/memory-dead-letter-queue.js';
import type { DeadLetter } from '../../engine/ports/dead-letter-queue.js';
import { createTestDeadLetterTable, testAwsClients } from '../support/aws.js';
import { describeDeadLetterQueueContract } from './dead-letter-queue.contract.js';

describeDeadLetterQueueContract('memory', () => new MemoryDeadLetterQueue());

describeDeadLetterQueueContract('DynamoDB (DynamoDB Local)', async () => {
  return new DynamoDbDeadLetterQueue({ client: testAwsClients().dynamodb, tableName: await createTestDeadLetterTable() });
});

/** The table's items: what a put costs is one item (and its size in WRU) per bundle. */
describe('DynamoDbDeadLetterQueue: the table layout', () => {
  const letter = (partition: number, offset: number, payloadBase64: string): DeadLetter => ({
    jobId: 'job',
    partition: `shardId-00000000000${partition}`,
    offset: String(49_000_000 + offset),
    batchId: 7,
    stage: 'decode',
    reason: `SyntaxError: Unexpected end of JSON input at ${offset}`,
    payloadBase64,
    recordedAt: 1_767_225_600_000,
  });

  async function items(tableName: string): Promise<Record<string, unknown>[]> {
    const answer = await testAwsClients().dynamodb.send(
      new QueryCommand({ TableName: tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': 'job' } }),
    );
    return answer.Items ?? [];
  }

  it("writes a batch's letters as one item per partition, keyed by the partition and the range of its letters", async () => {
    const tableName = await createTestDeadLetterTable();
    const queue = new DynamoDbDeadLetterQueue({ client: testAwsClients().dynamodb, tableName });
    // 60 letters per partition of ~1 KB clickstream-like records: 240 items of the old layout.
    const payload = (i: number) =>
      Buffer.from(`{"user":"u${i}","page":"/p/${i % 50}","ts":"2026-01-01T12:00:${i % 60}Z",${'"x":1,'.repeat(150)}`).toString('base64');
    const letters = [0, 1, 2, 3].flatMap((p) => Array.from({ length: 60 }, (_, i) => letter(p, i * 10 + p, payload(i))));
    await queue.put(letters);
    const stored = await items(tableName);
    expect(stored.map((item) => item.sk)).toEqual(
      // The offsets length-prefixed: 49000000 is 008 49000000.
      [0, 1, 2, 3].map((p) => expect.stringMatching(new RegExp(`^shardId-00000000000${p}#0084900000${p}#0084900059${p}#[0-9a-f]{16}$`))),
    );
    expect(stored.map((item) => item.count)).toEqual([60, 60, 60, 60]);
    // Compressed: each item is a few KB (a few WRU), not 60 items of 1 WRU or more.
    for (const item of stored) expect((item.letters as Uint8Array).byteLength).toBeLessThan(8 * 1024);
    expect(await queue.list('job')).toHaveLength(240);
  });

  it('cuts a bundle over the size limit into several items, each under it, none lost', async () => {
    const tableName = await createTestDeadLetterTable();
    const queue = new DynamoDbDeadLetterQueue({ client: testAwsClients().dynamodb, tableName, maxBundleBytes: 64 * 1024 });
    const letters = Array.from({ length: 200 }, (_, i) => letter(0, i, randomBytes(2_000).toString('base64')));
    await queue.put(letters);
    const stored = await items(tableName);
    expect(stored.length).toBeGreaterThanOrEqual(7);
    for (const item of stored) expect((item.letters as Uint8Array).byteLength).toBeLessThanOrEqual(64 * 1024);
    expect(stored.reduce((n, item) => n + (item.count as number), 0)).toBe(200);
    expect(await queue.list('job')).toEqual(letters);
  });

  it('reads past an item of the layout before bundles (one letter, no bundle) without failing', async () => {
    const tableName = await createTestDeadLetterTable();
    const queue = new DynamoDbDeadLetterQueue({ client: testAwsClients().dynamodb, tableName });
    const old = letter(0, 5, 'e30=');
    await testAwsClients().dynamodb.send(
      new PutCommand({ TableName: tableName, Item: { ...old, pk: 'job', sk: `${old.partition}#${old.offset}` } }),
    );
    const letters = [letter(0, 1, 'e30='), letter(0, 9, 'e30=')];
    await queue.put(letters);
    expect(await queue.list('job')).toEqual(letters);
    expect((await queue.page('job', { limit: 1 })).letters).toEqual([letters[0]]);
  });

  it('refuses a cursor that is not one of its pages before reading the table', async () => {
    const queue = new DynamoDbDeadLetterQueue({ client: testAwsClients().dynamodb, tableName: await createTestDeadLetterTable() });
    for (const after of ['shardId-1#105', '', '["a#0011#0011#0123456789abcdef"]', JSON.stringify(['x', 'y'])]) {
      await expect(queue.page('job', { limit: 1, after }), after).rejects.toMatchObject({ name: 'InvalidArgumentError' });
    }
    const cursor = JSON.stringify(['shardId-1#0011#0012#0123456789abcdef', 'shardId-1#0011']);
    await expect(queue.page('job', { limit: 1, after: cursor, partition: 'shardId-2' })).rejects.toMatchObject({
      name: 'InvalidArgumentError',
    });
    expect(await queue.page('job', { limit: 1, after: cursor, partition: 'shardId-1' })).toEqual({ letters: [], next: null });
  });
});
