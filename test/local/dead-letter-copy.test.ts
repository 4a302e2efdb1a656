/**
 * The copy of a dead-letter table's letters of the layout before bundles (one item per
 * letter) into bundles (local/dead-letter-copy.ts), on DynamoDB Local: every letter read
 * back once, as it was, and no old item left; a crash after a put or in the middle of the
 * deletes, then a rerun, neither loses nor duplicates a letter.
 */
import { BatchWriteCommand, PutCommand, QueryCommand, ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoDbDeadLetterQueue } from '../../engine/adapters/aws/dynamodb-dead-letter-queue.js';
import { deadLetterId, type DeadLetter, type DeadLetterQueue } from '../../engine/ports/dead-letter-queue.js';
import { copyOldDeadLetters } from '../../local/dead-letter-copy.js';
import { createTestDeadLetterTable, testAwsClients } from '../support/aws.js';

const RECORDED_AT = 1_767_225_600_000;

function letter(jobId: string, partition: number, offset: number, rowKey?: string): DeadLetter {
  return {
    jobId,
    partition: `shardId-00000000000${partition}`,
    offset: String(49_000_000 + offset),
    batchId: 1 + Math.floor(offset / 10),
    stage: rowKey === undefined ? 'decode' : 'sink',
    reason: `SyntaxError: Unexpected end of JSON input at ${offset}`,
    payloadBase64: Buffer.from(`{"page": "/p/${offset}", "ts": `).toString('base64'),
    recordedAt: RECORDED_AT + offset,
    ...(rowKey === undefined ? {} : { rowKey }),
  };
}

/** Writes letters as the adapter before bundles did: one item each, keyed by the letter's id. */
async function putOldLayout(tableName: string, letters: readonly DeadLetter[]): Promise<void> {
  const client = testAwsClients().dynamodb;
  for (const l of letters) await client.send(new PutCommand({ TableName: tableName, Item: { ...l, pk: l.jobId, sk: deadLetterId(l) } }));
}

async function oldItemCount(tableName: string): Promise<number> {
  const answer = await testAwsClients().dynamodb.send(
    new ScanCommand({
      TableName: tableName,
      FilterExpression: 'attribute_not_exists(#l)',
      ExpressionAttributeNames: { '#l': 'letters' },
      ConsistentRead: true,
    }),
  );
  return answer.Items?.length ?? 0;
}

/** Letters stored across a job's bundles, copies counted: more than the letters when bundles overlap. */
async function storedCopies(tableName: string, jobId: string): Promise<number> {
  const answer = await testAwsClients().dynamodb.send(
    new QueryCommand({ TableName: tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': jobId } }),
  );
  return (answer.Items ?? []).reduce((n, item) => n + ((item.count as number | undefined) ?? 0), 0);
}

async function world(): Promise<{ tableName: string; queue: DynamoDbDeadLetterQueue; client: DynamoDBDocumentClient }> {
  const tableName = await createTestDeadLetterTable();
  const client = testAwsClients().dynamodb;
  return { tableName, client, queue: new DynamoDbDeadLetterQueue({ client, tableName }) };
}

/** Three partitions of a job, a sink-row letter among them. */
const jobLetters = (jobId: string) => [
  ...[0, 1, 2].flatMap((p) => Array.from({ length: 30 }, (_, i) => letter(jobId, p, i * 3 + p))),
  letter(jobId, 1, 88, 'row-a'),
  letter(jobId, 1, 88, 'row-b'),
];

const sorted = (letters: readonly DeadLetter[]) =>
  [...letters].sort(
    (a, b) =>
      a.partition.localeCompare(b.partition) || Number(a.offset) - Number(b.offset) || (a.rowKey ?? '').localeCompare(b.rowKey ?? ''),
  );

describe('copying dead letters of the layout before bundles into bundles (DynamoDB Local)', () => {
  it('copies every letter into bundles, as it was, deletes the old items, and leaves items that are not letters', async () => {
    const { tableName, client, queue } = await world();
    const old = [...jobLetters('views'), ...jobLetters('orders')];
    await putOldLayout(tableName, old);
    // A bundle the engine wrote since the upgrade, and an item that is not a letter.
    const fresh = [letter('views', 3, 5), letter('views', 3, 6)];
    await queue.put(fresh);
    await client.send(new PutCommand({ TableName: tableName, Item: { pk: 'views', sk: 'shardId-000000000009#1', note: 'not a letter' } }));
    expect(await queue.list('views')).toEqual(fresh);

    const dry = await copyOldDeadLetters({ client, tableName, queue, dryRun: true });
    expect(dry.letters).toEqual({ views: 92, orders: 92 });
    expect(dry.copied).toBe(0);
    expect(await queue.list('views')).toEqual(fresh);

    const report = await copyOldDeadLetters({ client, tableName, queue, lettersPerPut: 50 });
    expect(report.copied).toBe(184);
    expect(report.skipped).toEqual([{ pk: 'views', sk: 'shardId-000000000009#1', why: 'jobId is not a string' }]);
    expect(await queue.list('views')).toEqual(sorted([...jobLetters('views'), ...fresh]));
    expect(await queue.list('orders')).toEqual(sorted(jobLetters('orders')));
    // Only the item that is not a letter is left of the old layout.
    expect(await oldItemCount(tableName)).toBe(1);
    // A second run finds nothing to copy.
    expect((await copyOldDeadLetters({ client, tableName, queue })).copied).toBe(0);
  });

  it("copies one job's letters only, with a job id", async () => {
    const { tableName, client, queue } = await world();
    await putOldLayout(tableName, [...jobLetters('views'), ...jobLetters('orders')]);
    const report = await copyOldDeadLetters({ client, tableName, queue, jobId: 'orders' });
    expect(report).toMatchObject({ letters: { orders: 92 }, copied: 92 });
    expect(await queue.list('orders')).toHaveLength(92);
    expect(await queue.list('views')).toEqual([]);
    expect(await oldItemCount(tableName)).toBe(92);
  });

  it('neither loses nor duplicates a letter when a run dies after a put, before its deletes, and is run again', async () => {
    const { tableName, client, queue } = await world();
    const old = jobLetters('views');
    await putOldLayout(tableName, old);
    // The second put writes its bundles, then the process dies.
    let puts = 0;
    const dying: DeadLetterQueue = {
      put: async (letters) => {
        await queue.put(letters);
        puts += 1;
        if (puts === 2) throw new Error('killed after the put');
      },
      list: (jobId) => queue.list(jobId),
      page: (jobId, options) => queue.page(jobId, options),
    };
    await expect(copyOldDeadLetters({ client, tableName, queue: dying, lettersPerPut: 40 })).rejects.toThrow('killed after the put');
    // The first put's items are gone, the second's are in bundles and still in old items, the rest only in old items.
    expect(await oldItemCount(tableName)).toBe(old.length - 40);
    expect(await queue.list('views')).toHaveLength(80);

    const rerun = await copyOldDeadLetters({ client, tableName, queue, lettersPerPut: 40 });
    expect(rerun.copied).toBe(old.length - 40);
    expect(await queue.list('views')).toEqual(sorted(old));
    expect(await oldItemCount(tableName)).toBe(0);
  });

  it('neither loses nor duplicates a letter when a run dies in the middle of its deletes, and is run again', async () => {
    const { tableName, client, queue } = await world();
    const old = jobLetters('views');
    await putOldLayout(tableName, old);
    // The first put's deletes take two BatchWriteItem calls (25 and 15): the second fails.
    let deleteCalls = 0;
    const dying = {
      send: async (command: unknown) => {
        if (command instanceof BatchWriteCommand && Object.values(command.input.RequestItems ?? {})[0]?.[0]?.DeleteRequest) {
          deleteCalls += 1;
          if (deleteCalls === 2) throw new Error('killed in the deletes');
        }
        return client.send(command as ScanCommand);
      },
    } as unknown as DynamoDBDocumentClient;
    await expect(copyOldDeadLetters({ client: dying, tableName, queue, lettersPerPut: 40 })).rejects.toThrow('killed in the deletes');
    expect(await oldItemCount(tableName)).toBe(old.length - 25);

    await copyOldDeadLetters({ client, tableName, queue, lettersPerPut: 40 });
    // The rerun's bundles overlap the first run's (15 letters are in both): each is read once.
    expect(await storedCopies(tableName, 'views')).toBe(old.length + 15);
    expect(await queue.list('views')).toEqual(sorted(old));
    expect(await oldItemCount(tableName)).toBe(0);
  });

  it('keeps a newer copy of a letter (its batch replayed since the upgrade) as the one read', async () => {
    const { tableName, client, queue } = await world();
    const old = [letter('views', 0, 1), letter('views', 0, 2)];
    await putOldLayout(tableName, old);
    const replayed = { ...old[1]!, batchId: 9, reason: 'replayed', recordedAt: old[1]!.recordedAt + 60_000 };
    await queue.put([replayed]);
    await copyOldDeadLetters({ client, tableName, queue });
    expect(await queue.list('views')).toEqual([old[0], replayed]);
  });
});
