import { NotFoundError } from '../errors.js';
import type { BatchMetrics, GroupResult, PartitionResult } from '../protocol/batch-records.js';
import { buildCommit, isCaughtUp } from '../protocol/commit.js';
import { noDataBatchDue } from '../protocol/no-data-batch.js';
import { retentionPlan } from '../protocol/retention.js';
import type { DriverContext } from './context.js';

export interface CommitBatchInput {
  readonly jobId: string;
  readonly epoch: number;
  readonly batchId: number;
  readonly results: readonly PartitionResult[];
  /** Stage 2's results, on the two-stage path. */
  readonly groupResults?: readonly GroupResult[];
}

export interface CommitBatchResult {
  readonly jobId: string;
  readonly epoch: number;
  readonly batchId: number;
  /** False when the batch had been committed already (a retried commit). */
  readonly committedNow: boolean;
  /** Every partition reached its tail: an available-now job is done. */
  readonly caughtUp: boolean;
  /**
   * The batch advanced the watermark, and a batch that reads nothing would have work at the
   * new one (engine/protocol/no-data-batch.ts): an available-now job runs it before it stops.
   */
  readonly noDataBatchDue: boolean;
  readonly watermarkMs: number | null;
  readonly metrics: BatchMetrics;
}

/** Retention runs after every this many batches, not after each one (it lists objects). */
export const RETENTION_EVERY_BATCHES = 10;

/**
 * Steps 3 and 4 of the protocol: write the commit record (fenced by epoch), then apply
 * retention, which may only delete what the commit just made unnecessary.
 */
export async function commitBatch(input: CommitBatchInput, ctx: DriverContext): Promise<CommitBatchResult> {
  const { jobId, epoch, batchId } = input;
  const { ports } = ctx;
  const record = await ports.wal.getBatch(jobId, batchId);
  if (record === null) {
    throw new NotFoundError(`batch ${batchId} of job ${jobId} is not in the write-ahead log`, {
      context: { jobId, batchId },
    });
  }
  const commit =
    record.commit ??
    buildCommit({
      plan: record.plan,
      results: input.results,
      ...(input.groupResults === undefined ? {} : { groupResults: input.groupResults }),
      epoch,
      nowMs: ports.clock.now(),
    });
  const outcome = record.commit ? 'already-committed' : await ports.wal.commitBatch(jobId, commit);
  const stored = outcome === 'committed' ? commit : ((await ports.wal.getBatch(jobId, batchId))?.commit ?? commit);
  if (outcome === 'committed') await deleteExchange(input.results, ctx);
  if (outcome === 'committed' && batchId % RETENTION_EVERY_BATCHES === 0) {
    await applyRetention(jobId, batchId, ctx);
  }
  return {
    jobId,
    epoch,
    batchId,
    committedNow: outcome === 'committed',
    caughtUp: isCaughtUp(stored),
    noDataBatchDue: noDataBatchDue({ plan: record.plan, commit: stored, allowedLatenessMs: ctx.job.pipeline.allowedLatenessMs }),
    watermarkMs: record.plan.watermarkMs,
    metrics: stored.metrics,
  };
}

/**
 * A committed batch's exchange objects are needed no more (a replay runs stage 1 again
 * from the source): delete them now. A failure only logs: the objects are garbage, and
 * the bucket's lifecycle rule on the exchange prefix expires whatever is left.
 */
async function deleteExchange(results: readonly PartitionResult[], ctx: DriverContext): Promise<void> {
  const keys = results.flatMap((r) => (r.exchange?.objectKey === undefined ? [] : [r.exchange.objectKey]));
  if (keys.length === 0) return;
  try {
    await ctx.ports.exchange.delete(keys);
  } catch (error) {
    ctx.ports.logger.warn('could not delete exchange objects; the lifecycle rule will', { keys: keys.length, error: String(error) });
  }
}

/** Deletes WAL records and state versions older than the last `retainBatches` committed batches. */
export async function applyRetention(jobId: string, committedBatchId: number, ctx: DriverContext): Promise<void> {
  const { ports, job } = ctx;
  const retainBatches = job.checkpoint.retainBatches;
  const oldestKept = committedBatchId - retainBatches + 1;
  if (oldestKept <= 1) return;
  const oldest = await ports.wal.getBatch(jobId, oldestKept);
  const plan = retentionPlan({ committedBatchId, retainBatches, oldestKeptPlan: oldest?.plan ?? null });
  if (plan === null) return;
  for (const [partition, version] of Object.entries(plan.keepStateFrom)) {
    await ports.state.deleteVersionsBelow(jobId, partition, version);
  }
  if (job.pipeline.lookups !== undefined) await deleteLookupRecords(jobId, plan.deleteBatchesBelow - 1, ctx);
  const deleted = await ports.wal.deleteBatchesBelow(jobId, plan.deleteBatchesBelow);
  if (deleted > 0) ports.logger.info('retention', { jobId, deletedBatches: deleted, keptFrom: plan.deleteBatchesBelow });
}

/**
 * The lookup records of the batch whose WAL record retention lets go now (one a commit,
 * as the oldest kept batch moves on; engine/protocol/lookup-record.ts): no replay can run
 * it again. A failure only logs: the records are garbage, the next commits go on.
 */
async function deleteLookupRecords(jobId: string, batchId: number, ctx: DriverContext): Promise<void> {
  try {
    await ctx.ports.lookupRecords.deleteBatch(jobId, batchId);
  } catch (error) {
    ctx.ports.logger.warn('could not delete lookup records', { jobId, batchId, error: String(error) });
  }
}
