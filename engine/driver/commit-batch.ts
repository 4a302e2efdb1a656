/**
 * Steps 3 and 4 of the protocol (commit, retention), and the commit of sinks that make a
 * batch visible only once it is committed (Sink.commitBatch: the file sink,
 * engine/file-sink/file-sink.ts, as Spark's FileStreamSink commits through its
 * `_spark_metadata` log after the batch).
 *
 * The file sink's protocol, batch N of generation g:
 *   1. executors write N's part files under deterministic names, then each scope's
 *      staged list (write);
 *   2. the driver commits N in the WAL (the commit point: conditional, fenced by epoch);
 *   3. the driver writes N's log entry (commitSinks): the staged lists merged, with g,
 *      after Athena's manifests for N; the entry is written last and marks N done.
 * Readers follow the log: a file is committed when a live log entry lists it.
 *
 * Recovery, per crash point:
 *   - inside the sink write (some parts put, no staged list, or not every scope's): the
 *     batch is not committed; its retry (or a zombie) rewrites the same objects with the
 *     same bytes, then the staged lists. Parts nobody lists are never read.
 *   - between the sink write and the WAL commit: the batch is resumed with its recorded
 *     plan and ranges and writes the same files again (a replay instead writes other
 *     names, generation g+1); no log entry exists for N yet, so readers see nothing of N.
 *   - between the WAL commit and the log entry: N is committed but invisible. A retried
 *     commit step (Finish) finds N committed and writes the entry; otherwise the next
 *     plan does, before it plans N+1 (planBatch calls commitSinks for the latest committed
 *     batch; a resumed replay calls it for each batch its interrupted run committed,
 *     engine/replay/replay-job.ts). The sink's commitBatch is idempotent: an entry
 *     already written is left alone.
 *   - inside the log write (manifests put, no entry): as above; the manifests are
 *     rewritten with the same bytes.
 * The generation comes from the WAL's record of N, never from an executor, so an older
 * generation's zombie executor only ever leaves unlisted files.
 */
import { allSinksOf } from '../job/outputs.js';
import { NotFoundError } from '../errors.js';
import { generationOf, type BatchMetrics, type BatchRecord, type GroupResult, type PartitionResult } from '../protocol/batch-records.js';
import { buildCommit, isCaughtUp } from '../protocol/commit.js';
import { noDataBatchDue } from '../protocol/no-data-batch.js';
import { retentionPlan } from '../protocol/retention.js';
import type { DriverContext } from './context.js';
import { deadLetterLimitReason, firstDeadLetterOf } from './dead-letter-limit.js';

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
  /**
   * The reason the job fails with when the batch's dead letters passed the job's limit
   * (dead-letter-limit.ts), judged from its stored commit; null when they did not. The
   * batch is committed either way: the caller fails the job (the Finish task, runDriver).
   */
  readonly deadLetterLimit: string | null;
}

/** Retention runs after every this many batches, not after each one (it lists objects). */
export const RETENTION_EVERY_BATCHES = 10;

/**
 * Steps 3 and 4 of the protocol: write the commit record (fenced by epoch), commit the
 * sinks that need it (commitSinks), then apply retention, which may only delete what the
 * commit just made unnecessary.
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
  // Committed now or before (a retried Finish): make the batch visible in the sinks that wait for the commit.
  await commitSinks(record, ctx);
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
    deadLetterLimit: deadLetterLimitReason({
      jobId,
      batchId,
      metrics: stored.metrics,
      limit: ctx.job.deadLetterLimit,
      first: firstDeadLetterOf(input.results, input.groupResults),
    }),
  };
}

/**
 * The job's sinks' commitBatch for a committed batch (the job's sink and its late-records
 * sink), with the generation of the batch's own plan. Idempotent; upsert sinks have none.
 */
export async function commitSinks(record: BatchRecord, ctx: DriverContext): Promise<void> {
  const { ports, job } = ctx;
  const batch = { jobId: record.plan.jobId, batchId: record.plan.batchId, generation: generationOf(record.plan) };
  for (const spec of allSinksOf(job)) {
    await ports.sinks(spec).commitBatch?.(batch);
  }
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
