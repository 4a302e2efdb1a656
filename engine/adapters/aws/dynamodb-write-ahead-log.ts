/**
 * The write-ahead log on one DynamoDB table (keys: WAL_TABLE_KEYS in provision.ts).
 * Items of a job, all under pk = job id:
 *
 *   sk = lease                          { epoch, generation? }          the driver lease
 *   sk = batch#<batchId, 12 digits>     { batchId, formatVersion, status, planZ, commitZ? } (gzip'd JSON)
 *   sk = range#<batchId, 12 digits>#<p> { batchId, partition, count, lastOffset?, closed?, startedAt?, more? }
 *   sk = replay#<generation, 6 digits>  { generation, record }          a replay (engine/replay)
 *   sk = superseded#<generation>#batch#<batchId>      a batch that replay superseded, as it was
 *   sk = superseded#<generation>#range#<batchId>#<p>  and its range ends
 *
 * A batch item is a batch record in the format of engine/protocol/batch-record-format.ts
 * (plus its keys and batchId): written by encodeBatchRecord, the plan and the commit
 * gzip'd (batchItemAttributes in dynamodb-wal-items.ts), and every read of one, the
 * protocol's and a replay's, goes through decodeBatchRecord. A commit sets status and
 * commitZ on the item and keeps its formatVersion.
 *
 * Zero-padding makes the sort key order the batch order. Every read the protocol depends
 * on is strongly consistent. The rules each method keeps are in engine/ports/write-ahead-log.ts.
 *
 * Superseded batches stay under the job's own partition key, as their own item kind,
 * rather than under an archive job id: they go wherever the job's items go, no job id
 * is invented that a listing of jobs could mistake for a job, and the queries of the
 * protocol (batch#, range#) never see them. Retention does not delete them.
 *
 * Here: the lease, the batches, their range ends and retention. The sort keys, the
 * conditions and the decoding of items are in dynamodb-wal-items.ts, the reads, queries
 * and writes the operations share in dynamodb-wal-table.ts, and the replay records and
 * the archive of superseded batches in dynamodb-wal-replays.ts.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConcurrentDriverError, NotFoundError } from '../../errors.js';
import { WAL_FORMAT_VERSION, encodeBatchRecord } from '../../protocol/batch-record-format.js';
import { BatchStatus, generationOf, type BatchCommit, type BatchPlan, type BatchRecord } from '../../protocol/batch-records.js';
import type { RecordedRangeEnd } from '../../protocol/offsets.js';
import { replayUnfinishedError, type ReplayRecord, type SupersededBatch, type WriteAheadLog } from '../../ports/write-ahead-log.js';
import { CONDITION_FAILED_REASON as CONDITION_FAILED, isConditionalCheckFailed } from './aws-errors.js';
import { defaultSleep, type Sleep } from './dynamodb-util.js';
import {
  BATCH_IS_PLANNED_IN_A_KNOWN_FORMAT,
  BATCH_PREFIX,
  ITEM_DOES_NOT_EXIST,
  LEASE_EPOCH_IS_CURRENT,
  LEASE_EPOCH_IS_CURRENT_AND_GENERATION_NOT_ABOVE,
  LEASE_SK,
  MAX_ID,
  RANGE_PREFIX,
  batchItemAttributes,
  batchKey,
  commitAttribute,
  pad,
  rangeKey,
  toBatchRecord,
  toRangeEnd,
} from './dynamodb-wal-items.js';
import * as replays from './dynamodb-wal-replays.js';
import { WalTable, cancelled } from './dynamodb-wal-table.js';

export interface DynamoDbWriteAheadLogOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly sleep?: Sleep;
}

export class DynamoDbWriteAheadLog implements WriteAheadLog {
  private readonly table: WalTable;

  constructor(options: DynamoDbWriteAheadLogOptions) {
    this.table = new WalTable(options.client, options.tableName, options.sleep ?? defaultSleep);
  }

  async acquireEpoch(jobId: string): Promise<number> {
    const { Attributes } = await this.table.client.send(
      new UpdateCommand({
        TableName: this.table.name,
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
    const item = await this.table.getItem(jobId, LEASE_SK);
    return item === null ? null : (item.epoch as number);
  }

  async putPlan(plan: BatchPlan): Promise<void> {
    const { jobId, batchId, epoch } = plan;
    const context = { jobId, batchId, epoch };
    const generation = generationOf(plan);
    const failure = await this.table.transact([
      {
        ConditionCheck: {
          TableName: this.table.name,
          Key: { pk: jobId, sk: LEASE_SK },
          ConditionExpression: LEASE_EPOCH_IS_CURRENT_AND_GENERATION_NOT_ABOVE,
          ExpressionAttributeNames: { '#epoch': 'epoch', '#generation': 'generation' },
          ExpressionAttributeValues: { ':epoch': epoch, ':generation': generation },
        },
      },
      {
        Put: {
          TableName: this.table.name,
          Item: {
            pk: jobId,
            sk: batchKey(batchId),
            batchId,
            ...batchItemAttributes(encodeBatchRecord({ plan, status: BatchStatus.PLANNED })),
          },
          ConditionExpression: ITEM_DOES_NOT_EXIST,
        },
      },
    ]);
    if (failure === null) return;
    const [lease, batch] = failure.codes;
    if (lease === CONDITION_FAILED) {
      const item = await this.table.getItem(jobId, LEASE_SK);
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
    const item = await this.table.getItem(jobId, batchKey(batchId));
    return item === null ? null : toBatchRecord(item);
  }

  async getLatestBatch(jobId: string): Promise<BatchRecord | null> {
    const { Items } = await this.table.client.send(
      new QueryCommand({
        TableName: this.table.name,
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
    const items = await this.table.queryBetween(jobId, batchKey(from), batchKey(MAX_ID), limit);
    return items.map(toBatchRecord);
  }

  async recordRangeEnd(jobId: string, batchId: number, partition: string, end: RecordedRangeEnd): Promise<RecordedRangeEnd> {
    try {
      await this.table.client.send(
        new PutCommand({
          TableName: this.table.name,
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
          more: old.more?.BOOL,
        });
      }
      const stored = await this.getRangeEnd(jobId, batchId, partition);
      if (stored === null) throw error;
      return stored;
    }
  }

  async getRangeEnd(jobId: string, batchId: number, partition: string): Promise<RecordedRangeEnd | null> {
    const item = await this.table.getItem(jobId, rangeKey(batchId, partition));
    return item === null ? null : toRangeEnd(item);
  }

  async commitBatch(jobId: string, commit: BatchCommit): Promise<'committed' | 'already-committed'> {
    const { batchId, epoch } = commit;
    const context = { jobId, batchId, epoch };
    const notPlanned = () => new NotFoundError(`batch ${batchId} of job ${jobId} was never planned`, { context });
    // No read first: the transaction's conditions decide (lease epoch current, batch PLANNED
    // in a format this code reads), and only a failed one reads the batch to say why:
    // committed before, never planned, a stale epoch, or a newer format (the read throws).
    const failure = await this.table.transact([
      { ConditionCheck: this.leaseCheck(jobId, epoch) },
      {
        Update: {
          TableName: this.table.name,
          Key: { pk: jobId, sk: batchKey(batchId) },
          // Status and commit only: the item keeps the format version it was created with.
          UpdateExpression: 'SET #status = :committed, #commitZ = :commitZ',
          ConditionExpression: BATCH_IS_PLANNED_IN_A_KNOWN_FORMAT,
          ExpressionAttributeNames: { '#status': 'status', '#commitZ': 'commitZ', '#formatVersion': 'formatVersion' },
          ExpressionAttributeValues: {
            ':planned': BatchStatus.PLANNED,
            ':committed': BatchStatus.COMMITTED,
            ':commitZ': commitAttribute(commit),
            ':formatVersion': WAL_FORMAT_VERSION,
          },
        },
      },
    ]);
    if (failure === null) return 'committed';
    // Committed before (a retried commit), or by a concurrent identical retry: not a failure.
    const now = await this.getBatch(jobId, batchId);
    if (now?.status === BatchStatus.COMMITTED && now.commit !== undefined) return 'already-committed';
    if (failure.codes[0] === CONDITION_FAILED) throw await this.staleEpoch(jobId, epoch, context);
    if (now === null) throw notPlanned();
    throw cancelled(`committing batch ${batchId} of job ${jobId}`, failure, context);
  }

  async deleteBatchesBelow(jobId: string, batchId: number): Promise<number> {
    if (batchId <= 0) return 0;
    // range#<batchId> sorts after every range#<id below batchId>#<partition> and before range#<batchId>#...
    const ranges = await this.table.queryBetween(jobId, RANGE_PREFIX, `${RANGE_PREFIX}${pad(batchId)}`, Infinity, true);
    const batches = await this.table.queryBetween(jobId, batchKey(0), batchKey(batchId - 1), Infinity, true);
    // Both kinds are found by key range, so a call cut short is finished by the next one.
    const requests = [...ranges, ...batches].map((item) => ({ DeleteRequest: { Key: { pk: item.pk, sk: item.sk } } }));
    await this.table.batchWrite(requests);
    return batches.length;
  }

  async beginReplay(record: ReplayRecord): Promise<void> {
    return replays.beginReplay(this.table, record);
  }

  async finishReplay(jobId: string, generation: number, finishedAt: number): Promise<void> {
    return replays.finishReplay(this.table, jobId, generation, finishedAt);
  }

  async listReplays(jobId: string): Promise<ReplayRecord[]> {
    return replays.listReplays(this.table, jobId);
  }

  async supersedeBatchesAbove(jobId: string, batchId: number, generation: number): Promise<number> {
    return replays.supersedeBatchesAbove(this.table, jobId, batchId, generation);
  }

  async listSupersededBatches(jobId: string, generation: number): Promise<SupersededBatch[]> {
    return replays.listSupersededBatches(this.table, jobId, generation);
  }

  private leaseCheck(jobId: string, epoch: number) {
    return {
      TableName: this.table.name,
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
}
