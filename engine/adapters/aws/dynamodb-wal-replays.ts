/**
 * The write-ahead log's replays (engine/replay) on DynamoDB: the replay records, which
 * raise the job's generation on the lease item, and the archive of the batches a replay
 * superseded (the items: dynamodb-write-ahead-log.ts). Each function is the
 * DynamoDbWriteAheadLog method of its name; the rules they keep are in
 * engine/ports/write-ahead-log.ts.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConcurrentDriverError, NotFoundError } from '../../errors.js';
import { generationOf } from '../../protocol/batch-records.js';
import type { RangeEnd } from '../../protocol/offsets.js';
import type { ReplayRecord, SupersededBatch } from '../../ports/write-ahead-log.js';
import { CONDITION_FAILED_REASON as CONDITION_FAILED } from './aws-errors.js';
import {
  BATCH_PREFIX,
  ITEM_DOES_NOT_EXIST,
  LEASE_EPOCH_IS_CURRENT_AND_GENERATION_BELOW,
  LEASE_SK,
  MAX_ID,
  RANGE_PREFIX,
  REPLAY_PREFIX,
  batchKey,
  pad,
  replayKey,
  supersededBatchKey,
  supersededPrefix,
  supersededRangeKey,
  toBatchRecord,
  toRangeEnd,
  type Item,
} from './dynamodb-wal-items.js';
import { cancelled, type WalTable } from './dynamodb-wal-table.js';

export async function beginReplay(table: WalTable, record: ReplayRecord): Promise<void> {
  const { jobId, generation, epoch } = record;
  const context = { jobId, generation, epoch };
  const failure = await table.transact([
    {
      Update: {
        TableName: table.name,
        Key: { pk: jobId, sk: LEASE_SK },
        UpdateExpression: 'SET #generation = :generation',
        ConditionExpression: LEASE_EPOCH_IS_CURRENT_AND_GENERATION_BELOW,
        ExpressionAttributeNames: { '#epoch': 'epoch', '#generation': 'generation' },
        ExpressionAttributeValues: { ':epoch': epoch, ':generation': generation },
      },
    },
    {
      Put: {
        TableName: table.name,
        Item: { pk: jobId, sk: replayKey(generation), generation, record },
        ConditionExpression: ITEM_DOES_NOT_EXIST,
      },
    },
  ]);
  if (failure === null) return;
  const lease = await table.getItem(jobId, LEASE_SK);
  if (lease?.epoch !== epoch) {
    throw new ConcurrentDriverError(
      `replay epoch ${epoch} is stale: another driver or replay took job ${jobId} (epoch ${String(lease?.epoch ?? 'none')})`,
      { context },
    );
  }
  if (failure.codes.includes(CONDITION_FAILED)) {
    throw new ConcurrentDriverError(
      `generation ${generation} of job ${jobId} is taken: the job is at generation ${String(lease.generation ?? 0)}`,
      { context },
    );
  }
  throw cancelled(`beginning replay ${generation} of job ${jobId}`, failure, context);
}

export async function finishReplay(table: WalTable, jobId: string, generation: number, finishedAt: number): Promise<void> {
  const item = await table.getItem(jobId, replayKey(generation));
  if (item === null) {
    throw new NotFoundError(`job ${jobId} has no replay of generation ${generation}`, { context: { jobId, generation } });
  }
  if ((item.record as ReplayRecord).finishedAt !== null) return;
  await table.client.send(
    new UpdateCommand({
      TableName: table.name,
      Key: { pk: jobId, sk: replayKey(generation) },
      UpdateExpression: 'SET #record.#finishedAt = :at',
      ConditionExpression: 'attribute_exists(sk)',
      ExpressionAttributeNames: { '#record': 'record', '#finishedAt': 'finishedAt' },
      ExpressionAttributeValues: { ':at': finishedAt },
    }),
  );
}

export async function listReplays(table: WalTable, jobId: string): Promise<ReplayRecord[]> {
  const items = await table.queryPrefix(jobId, REPLAY_PREFIX);
  return items.map((item) => item.record as ReplayRecord);
}

export async function supersedeBatchesAbove(table: WalTable, jobId: string, batchId: number, generation: number): Promise<number> {
  if (batchId >= MAX_ID) return 0;
  const from = Math.max(0, batchId + 1);
  const batches = (await table.queryBetween(jobId, batchKey(from), batchKey(MAX_ID), Infinity)).filter(
    (item) => generationOf(toBatchRecord(item).plan) < generation,
  );
  if (batches.length === 0) return 0;
  const ids = new Set(batches.map((item) => item.batchId as number));
  // '~' sorts after '#': the bound takes every partition of the highest id.
  const ranges = (await table.queryBetween(jobId, `${RANGE_PREFIX}${pad(from)}`, `${RANGE_PREFIX}${pad(MAX_ID)}~`, Infinity)).filter(
    (item) => ids.has(item.batchId as number),
  );
  // Copy first, then delete the range ends, then the batches: a call cut short leaves
  // every batch still in the log with its range ends, and the next call finishes it.
  const copies = [
    ...batches.map((item) => ({ ...item, sk: supersededBatchKey(generation, item.batchId as number) })),
    ...ranges.map((item) => ({ ...item, sk: supersededRangeKey(generation, item.batchId as number, item.partition as string) })),
  ];
  await table.batchWrite(copies.map((Item) => ({ PutRequest: { Item } })));
  const deletes = (items: Item[]) => items.map((item) => ({ DeleteRequest: { Key: { pk: item.pk, sk: item.sk } } }));
  await table.batchWrite(deletes(ranges));
  await table.batchWrite(deletes(batches));
  return batches.length;
}

export async function listSupersededBatches(table: WalTable, jobId: string, generation: number): Promise<SupersededBatch[]> {
  const [batches, ranges] = await Promise.all([
    table.queryPrefix(jobId, `${supersededPrefix(generation)}${BATCH_PREFIX}`),
    table.queryPrefix(jobId, `${supersededPrefix(generation)}${RANGE_PREFIX}`),
  ]);
  const ends = new Map<number, Record<string, RangeEnd>>();
  for (const item of ranges) {
    const id = item.batchId as number;
    const forBatch = ends.get(id) ?? {};
    forBatch[item.partition as string] = toRangeEnd(item);
    ends.set(id, forBatch);
  }
  return batches.map((item) => ({ record: toBatchRecord(item), rangeEnds: ends.get(item.batchId as number) ?? {} }));
}
