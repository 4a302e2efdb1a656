/**
 * The write-ahead log on one DynamoDB table (keys: WAL_TABLE_KEYS in provision.ts).
 * Items of a job, all under pk = job id:
 *
 *   sk = lease                          { epoch, generation? }          the driver lease
 *   sk = batch#<batchId, 12 digits>     { batchId, formatVersion, status, plan, commit? }
 *   sk = range#<batchId, 12 digits>#<p> { batchId, partition, count, lastOffset?, closed? }
 *   sk = replay#<generation, 6 digits>  { generation, record }          a replay (engine/replay)
 *   sk = superseded#<generation>#batch#<batchId>      a batch that replay superseded, as it was
 *   sk = superseded#<generation>#range#<batchId>#<p>  and its range ends
 *
 * A batch item is a batch record in the format of engine/protocol/batch-record-format.ts
 * (plus its keys and batchId): written by encodeBatchRecord, and every read of one, the
 * protocol's and a replay's, goes through decodeBatchRecord. A commit sets status and
 * commit on the item and keeps its formatVersion.
 *
 * Zero-padding makes the sort key order the batch order. Every read the protocol depends
 * on is strongly consistent. The rules each method keeps are in engine/ports/write-ahead-log.ts.
 *
 * Superseded batches stay under the job's own partition key, as their own item kind,
 * rather than under an archive job id: they go wherever the job's items go, no job id
 * is invented that a listing of jobs could mistake for a job, and the queries of the
 * protocol (batch#, range#) never see them. Retention does not delete them.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConcurrentDriverError, InvalidArgumentError, NotFoundError, TransientError } from '../../errors.js';
import { decodeBatchRecord, encodeBatchRecord } from '../../protocol/batch-record-format.js';
import { BatchStatus, generationOf, type BatchCommit, type BatchPlan, type BatchRecord } from '../../protocol/batch-records.js';
import type { RangeEnd } from '../../protocol/offsets.js';
import { replayUnfinishedError, type ReplayRecord, type SupersededBatch, type WriteAheadLog } from '../../ports/write-ahead-log.js';
import { retry } from '../../retry.js';
import {
  CONDITION_FAILED_REASON as CONDITION_FAILED,
  cancellationCodes,
  isConditionalCheckFailed,
  isTransactionCanceled,
  isTransactionConflict,
} from './aws-errors.js';
import { batchWriteAll, defaultSleep, type Sleep } from './dynamodb-util.js';

/** The writer's epoch is still the lease's: no other driver has acquired the job since it did. */
const LEASE_EPOCH_IS_CURRENT = '#epoch = :epoch';
/**
 * A plan's: the epoch is current, and no replay raised the job's generation above the
 * plan's (no generation yet: the job was never replayed, every plan qualifies).
 */
const LEASE_EPOCH_IS_CURRENT_AND_GENERATION_NOT_ABOVE =
  '#epoch = :epoch AND (attribute_not_exists(#generation) OR #generation <= :generation)';
/** A replay's start: the epoch is current and the replay's generation is above the job's. */
const LEASE_EPOCH_IS_CURRENT_AND_GENERATION_BELOW = '#epoch = :epoch AND (attribute_not_exists(#generation) OR #generation < :generation)';
/** Nothing is stored under this key yet: the first writer wins and nothing is overwritten. */
const ITEM_DOES_NOT_EXIST = 'attribute_not_exists(sk)';
/** The batch is still PLANNED (it exists and is not committed): a commit never rewrites a commit. */
const BATCH_IS_PLANNED = '#status = :planned';

const LEASE_SK = 'lease';
const BATCH_PREFIX = 'batch#';
const RANGE_PREFIX = 'range#';
const REPLAY_PREFIX = 'replay#';
const SUPERSEDED_PREFIX = 'superseded#';
const ID_DIGITS = 12;
const GENERATION_DIGITS = 6;
const MAX_ID = 10 ** ID_DIGITS - 1;
const MAX_CONFLICT_RETRIES = 4;

export interface DynamoDbWriteAheadLogOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly sleep?: Sleep;
}

type Item = Record<string, unknown>;
type TransactItems = NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>;
interface Cancellation {
  /** Per item of the transaction: 'None', 'ConditionalCheckFailed', 'TransactionConflict'... */
  readonly codes: readonly (string | undefined)[];
  readonly error: unknown;
}

export class DynamoDbWriteAheadLog implements WriteAheadLog {
  private readonly client: DynamoDBDocumentClient;
  private readonly table: string;
  private readonly sleep: Sleep;

  constructor(options: DynamoDbWriteAheadLogOptions) {
    this.client = options.client;
    this.table = options.tableName;
    this.sleep = options.sleep ?? defaultSleep;
  }

  async acquireEpoch(jobId: string): Promise<number> {
    const { Attributes } = await this.client.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk: jobId, sk: LEASE_SK },
        UpdateExpression: 'ADD #epoch :one',
        ExpressionAttributeNames: { '#epoch': 'epoch' },
        ExpressionAttributeValues: { ':one': 1 },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return Attributes?.epoch as number;
  }

  async currentEpoch(jobId: string): Promise<number | null> {
    const item = await this.getItem(jobId, LEASE_SK);
    return item === null ? null : (item.epoch as number);
  }

  async putPlan(plan: BatchPlan): Promise<void> {
    const { jobId, batchId, epoch } = plan;
    const context = { jobId, batchId, epoch };
    const generation = generationOf(plan);
    const failure = await this.transact([
      {
        ConditionCheck: {
          TableName: this.table,
          Key: { pk: jobId, sk: LEASE_SK },
          ConditionExpression: LEASE_EPOCH_IS_CURRENT_AND_GENERATION_NOT_ABOVE,
          ExpressionAttributeNames: { '#epoch': 'epoch', '#generation': 'generation' },
          ExpressionAttributeValues: { ':epoch': epoch, ':generation': generation },
        },
      },
      {
        Put: {
          TableName: this.table,
          Item: { pk: jobId, sk: batchKey(batchId), batchId, ...encodeBatchRecord({ plan, status: BatchStatus.PLANNED }) },
          ConditionExpression: ITEM_DOES_NOT_EXIST,
        },
      },
    ]);
    if (failure === null) return;
    const [lease, batch] = failure.codes;
    if (lease === CONDITION_FAILED) {
      const item = await this.getItem(jobId, LEASE_SK);
      const jobGeneration = (item?.generation as number | undefined) ?? 0;
      if (item?.epoch === epoch && jobGeneration > generation) throw replayUnfinishedError(plan, jobGeneration);
      throw await this.staleEpoch(jobId, epoch, context);
    }
    if (batch === CONDITION_FAILED) {
      throw new ConcurrentDriverError(`batch ${batchId} of job ${jobId} was planned by another driver`, { context });
    }
    throw cancelled(`planning batch ${batchId} of job ${jobId}`, failure, context);
  }

  async getBatch(jobId: string, batchId: number): Promise<BatchRecord | null> {
    const item = await this.getItem(jobId, batchKey(batchId));
    return item === null ? null : toBatchRecord(item);
  }

  async getLatestBatch(jobId: string): Promise<BatchRecord | null> {
    const { Items } = await this.client.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': jobId, ':prefix': BATCH_PREFIX },
        ScanIndexForward: false,
        Limit: 1,
        ConsistentRead: true,
      }),
    );
    const item = Items?.[0];
    return item === undefined ? null : toBatchRecord(item);
  }

  async listBatches(jobId: string, options: { fromBatchId?: number; limit?: number } = {}): Promise<BatchRecord[]> {
    const limit = options.limit ?? Number.POSITIVE_INFINITY;
    const from = Math.max(0, options.fromBatchId ?? 0);
    if (limit <= 0 || from > MAX_ID) return [];
    const items = await this.queryBetween(jobId, batchKey(from), batchKey(MAX_ID), limit);
    return items.map(toBatchRecord);
  }

  async recordRangeEnd(jobId: string, batchId: number, partition: string, end: RangeEnd): Promise<RangeEnd> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.table,
          Item: { pk: jobId, sk: rangeKey(batchId, partition), batchId, partition, ...end },
          ConditionExpression: ITEM_DOES_NOT_EXIST,
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return { ...end };
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      // The error carries the stored item in the low-level format (no document unmarshalling).
      const old = (error as { Item?: Record<string, { N?: string; S?: string; BOOL?: boolean }> }).Item;
      if (old?.count?.N !== undefined) {
        return toRangeEnd({
          count: Number(old.count.N),
          lastOffset: old.lastOffset?.S,
          closed: old.closed?.BOOL,
          startedAt: old.startedAt?.S,
        });
      }
      const stored = await this.getRangeEnd(jobId, batchId, partition);
      if (stored === null) throw error;
      return stored;
    }
  }

  async getRangeEnd(jobId: string, batchId: number, partition: string): Promise<RangeEnd | null> {
    const item = await this.getItem(jobId, rangeKey(batchId, partition));
    return item === null ? null : toRangeEnd(item);
  }

  async commitBatch(jobId: string, commit: BatchCommit): Promise<'committed' | 'already-committed'> {
    const { batchId, epoch } = commit;
    const context = { jobId, batchId, epoch };
    const notPlanned = () => new NotFoundError(`batch ${batchId} of job ${jobId} was never planned`, { context });
    const existing = await this.getBatch(jobId, batchId);
    if (existing === null) throw notPlanned();
    if (existing.status === BatchStatus.COMMITTED) return 'already-committed';
    const failure = await this.transact([
      { ConditionCheck: this.leaseCheck(jobId, epoch) },
      {
        Update: {
          TableName: this.table,
          Key: { pk: jobId, sk: batchKey(batchId) },
          // Status and commit only: the item keeps the format version it was created with.
          UpdateExpression: 'SET #status = :committed, #commit = :commit',
          ConditionExpression: BATCH_IS_PLANNED,
          ExpressionAttributeNames: { '#status': 'status', '#commit': 'commit' },
          ExpressionAttributeValues: { ':planned': BatchStatus.PLANNED, ':committed': BatchStatus.COMMITTED, ':commit': commit },
        },
      },
    ]);
    if (failure === null) return 'committed';
    // A concurrent identical retry may have committed it between the read and the write.
    const now = await this.getBatch(jobId, batchId);
    if (now?.status === BatchStatus.COMMITTED && now.commit !== undefined) return 'already-committed';
    if (failure.codes[0] === CONDITION_FAILED) throw await this.staleEpoch(jobId, epoch, context);
    if (now === null) throw notPlanned();
    throw cancelled(`committing batch ${batchId} of job ${jobId}`, failure, context);
  }

  async deleteBatchesBelow(jobId: string, batchId: number): Promise<number> {
    if (batchId <= 0) return 0;
    // range#<batchId> sorts after every range#<id below batchId>#<partition> and before range#<batchId>#...
    const ranges = await this.queryBetween(jobId, RANGE_PREFIX, `${RANGE_PREFIX}${pad(batchId)}`, Infinity, true);
    const batches = await this.queryBetween(jobId, batchKey(0), batchKey(batchId - 1), Infinity, true);
    // Both kinds are found by key range, so a call cut short is finished by the next one.
    const requests = [...ranges, ...batches].map((item) => ({ DeleteRequest: { Key: { pk: item.pk, sk: item.sk } } }));
    await batchWriteAll(this.client, this.table, requests, this.sleep);
    return batches.length;
  }

  async beginReplay(record: ReplayRecord): Promise<void> {
    const { jobId, generation, epoch } = record;
    const context = { jobId, generation, epoch };
    const failure = await this.transact([
      {
        Update: {
          TableName: this.table,
          Key: { pk: jobId, sk: LEASE_SK },
          UpdateExpression: 'SET #generation = :generation',
          ConditionExpression: LEASE_EPOCH_IS_CURRENT_AND_GENERATION_BELOW,
          ExpressionAttributeNames: { '#epoch': 'epoch', '#generation': 'generation' },
          ExpressionAttributeValues: { ':epoch': epoch, ':generation': generation },
        },
      },
      {
        Put: {
          TableName: this.table,
          Item: { pk: jobId, sk: replayKey(generation), generation, record },
          ConditionExpression: ITEM_DOES_NOT_EXIST,
        },
      },
    ]);
    if (failure === null) return;
    const lease = await this.getItem(jobId, LEASE_SK);
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

  async finishReplay(jobId: string, generation: number, finishedAt: number): Promise<void> {
    const item = await this.getItem(jobId, replayKey(generation));
    if (item === null) {
      throw new NotFoundError(`job ${jobId} has no replay of generation ${generation}`, { context: { jobId, generation } });
    }
    if ((item.record as ReplayRecord).finishedAt !== null) return;
    await this.client.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk: jobId, sk: replayKey(generation) },
        UpdateExpression: 'SET #record.#finishedAt = :at',
        ConditionExpression: 'attribute_exists(sk)',
        ExpressionAttributeNames: { '#record': 'record', '#finishedAt': 'finishedAt' },
        ExpressionAttributeValues: { ':at': finishedAt },
      }),
    );
  }

  async listReplays(jobId: string): Promise<ReplayRecord[]> {
    const items = await this.queryPrefix(jobId, REPLAY_PREFIX);
    return items.map((item) => item.record as ReplayRecord);
  }

  async supersedeBatchesAbove(jobId: string, batchId: number, generation: number): Promise<number> {
    if (batchId >= MAX_ID) return 0;
    const from = Math.max(0, batchId + 1);
    const batches = (await this.queryBetween(jobId, batchKey(from), batchKey(MAX_ID), Infinity)).filter(
      (item) => generationOf(toBatchRecord(item).plan) < generation,
    );
    if (batches.length === 0) return 0;
    const ids = new Set(batches.map((item) => item.batchId as number));
    // '~' sorts after '#': the bound takes every partition of the highest id.
    const ranges = (await this.queryBetween(jobId, `${RANGE_PREFIX}${pad(from)}`, `${RANGE_PREFIX}${pad(MAX_ID)}~`, Infinity)).filter(
      (item) => ids.has(item.batchId as number),
    );
    // Copy first, then delete the range ends, then the batches: a call cut short leaves
    // every batch still in the log with its range ends, and the next call finishes it.
    const copies = [
      ...batches.map((item) => ({ ...item, sk: supersededBatchKey(generation, item.batchId as number) })),
      ...ranges.map((item) => ({ ...item, sk: supersededRangeKey(generation, item.batchId as number, item.partition as string) })),
    ];
    await batchWriteAll(
      this.client,
      this.table,
      copies.map((Item) => ({ PutRequest: { Item } })),
      this.sleep,
    );
    const deletes = (items: Item[]) => items.map((item) => ({ DeleteRequest: { Key: { pk: item.pk, sk: item.sk } } }));
    await batchWriteAll(this.client, this.table, deletes(ranges), this.sleep);
    await batchWriteAll(this.client, this.table, deletes(batches), this.sleep);
    return batches.length;
  }

  async listSupersededBatches(jobId: string, generation: number): Promise<SupersededBatch[]> {
    const [batches, ranges] = await Promise.all([
      this.queryPrefix(jobId, `${supersededPrefix(generation)}${BATCH_PREFIX}`),
      this.queryPrefix(jobId, `${supersededPrefix(generation)}${RANGE_PREFIX}`),
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

  /**
   * Sends a transaction. Returns null when it went through, or why it was cancelled (one
   * code per item). A cancellation by conflicting transactions only is retried a few times,
   * with equal jitter: the conflicting writers are twins of this one (a retried task, a
   * second driver), and the same waits would make them meet again.
   */
  private async transact(items: TransactItems): Promise<Cancellation | null> {
    try {
      await retry(() => this.client.send(new TransactWriteCommand({ TransactItems: items })), {
        attempts: MAX_CONFLICT_RETRIES + 1,
        baseDelayMs: 20,
        jitter: 'equal',
        clock: { sleep: this.sleep },
        shouldRetry: isTransactionConflict,
      });
      return null;
    } catch (error) {
      if (!isTransactionCanceled(error)) throw error;
      return { codes: cancellationCodes(error), error };
    }
  }

  private leaseCheck(jobId: string, epoch: number) {
    return {
      TableName: this.table,
      Key: { pk: jobId, sk: LEASE_SK },
      ConditionExpression: LEASE_EPOCH_IS_CURRENT,
      ExpressionAttributeNames: { '#epoch': 'epoch' },
      ExpressionAttributeValues: { ':epoch': epoch },
    };
  }

  private async staleEpoch(jobId: string, epoch: number, context: Record<string, string | number>): Promise<ConcurrentDriverError> {
    const current = await this.currentEpoch(jobId);
    return new ConcurrentDriverError(`driver epoch ${epoch} is stale: another driver took job ${jobId} (epoch ${current ?? 'none'})`, {
      context,
    });
  }

  private async getItem(jobId: string, sk: string): Promise<Item | null> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.table, Key: { pk: jobId, sk }, ConsistentRead: true }));
    return Item ?? null;
  }

  /** Every item whose sort key starts with `prefix`, in key order. */
  private queryPrefix(jobId: string, prefix: string): Promise<Item[]> {
    return this.query({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': jobId, ':prefix': prefix },
    });
  }

  /** Items with from ≤ sk ≤ to in key order, at most `limit`. */
  private queryBetween(jobId: string, from: string, to: string, limit: number, keysOnly = false): Promise<Item[]> {
    return this.query(
      {
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':pk': jobId, ':from': from, ':to': to },
        ...(keysOnly ? { ProjectionExpression: 'pk, sk' } : {}),
      },
      limit,
    );
  }

  /** A consistent Query of this table, following LastEvaluatedKey, at most `limit` items. */
  private async query(
    condition: { KeyConditionExpression: string; ExpressionAttributeValues: Item; ProjectionExpression?: string },
    limit = Infinity,
  ): Promise<Item[]> {
    const items: Item[] = [];
    let startKey: Item | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          ...condition,
          ...(Number.isFinite(limit) ? { Limit: limit - items.length } : {}),
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined && items.length < limit);
    return items;
  }
}

function pad(id: number): string {
  if (!Number.isSafeInteger(id) || id < 0 || id > MAX_ID) {
    throw new InvalidArgumentError(`a batch id must be an integer from 0 to ${MAX_ID}, got ${id}`);
  }
  return String(id).padStart(ID_DIGITS, '0');
}

function batchKey(batchId: number): string {
  return `${BATCH_PREFIX}${pad(batchId)}`;
}

function rangeKey(batchId: number, partition: string): string {
  return `${RANGE_PREFIX}${pad(batchId)}#${partition}`;
}

function padGeneration(generation: number): string {
  if (!Number.isSafeInteger(generation) || generation < 1 || generation >= 10 ** GENERATION_DIGITS) {
    throw new InvalidArgumentError(`a replay generation must be an integer from 1 to ${10 ** GENERATION_DIGITS - 1}, got ${generation}`);
  }
  return String(generation).padStart(GENERATION_DIGITS, '0');
}

function replayKey(generation: number): string {
  return `${REPLAY_PREFIX}${padGeneration(generation)}`;
}

function supersededPrefix(generation: number): string {
  return `${SUPERSEDED_PREFIX}${padGeneration(generation)}#`;
}

function supersededBatchKey(generation: number, batchId: number): string {
  return `${supersededPrefix(generation)}${BATCH_PREFIX}${pad(batchId)}`;
}

function supersededRangeKey(generation: number, batchId: number, partition: string): string {
  return `${supersededPrefix(generation)}${RANGE_PREFIX}${pad(batchId)}#${partition}`;
}

/** A batch item's record, decoded (the item without its keys is the stored record). */
function toBatchRecord(item: Item): BatchRecord {
  const { pk, sk: _sk, batchId, ...stored } = item;
  return decodeBatchRecord(stored, { jobId: String(pk), batchId: Number(batchId) });
}

function toRangeEnd(item: { count?: unknown; lastOffset?: unknown; closed?: unknown; startedAt?: unknown }): RangeEnd {
  return {
    count: item.count as number,
    ...(item.lastOffset === undefined ? {} : { lastOffset: item.lastOffset as string }),
    ...(item.closed === undefined ? {} : { closed: item.closed as boolean }),
    ...(item.startedAt === undefined ? {} : { startedAt: item.startedAt as string }),
  };
}

/** Cancelled for another reason than a condition (a conflict that lasted, throttling): a later attempt may pass. */
function cancelled(what: string, failure: Cancellation, context: Record<string, string | number>): TransientError {
  return new TransientError(`${what} was cancelled (${failure.codes.join(', ')})`, { cause: failure.error, context });
}
