/**
 * The extra batch of an available-now job (Spark's no-data micro-batch), decided after a
 * batch commits. Pure: a function of the batch's plan, its commit and the job's allowed
 * lateness.
 *
 * An available-now job stops once a batch has read every partition to its tail. But the
 * watermark that batch's data moves is only used by the batch after it (watermark.ts:
 * batch N's watermark is fixed in its plan from data up to N-1), so without one more batch
 * the windows that data closes would never be emitted in append mode (nor their state
 * evicted) until the job ran again. So when the last batch advanced the watermark (the
 * watermark the next plan would fix is higher than the one this batch ran with), the
 * driver runs one more batch; it reads nothing new, applies the new watermark, emits what
 * it closes, and commits. It does not advance the watermark itself (it saw no event time),
 * so the check after it says no: never an endless loop. (Records that arrive meanwhile
 * are read by it like any batch's; their event times may call for one more.)
 *
 * Spark: MicroBatchExecution constructs a batch when new data is available or, with
 * spark.sql.streaming.noDataMicroBatches.enabled (default true), when the last execution
 * requires another batch: IncrementalExecution.shouldRunAnotherBatch asks every stateful
 * operator (StateStoreWriter.shouldRunAnotherBatch(newInputWatermark)), and e.g.
 * StateStoreSaveExec says yes in append or update mode when the new watermark is above the
 * one it evicted with; Trigger.AvailableNow (MultiBatchExecutor) terminates only when no
 * batch is constructed, so it runs those batches too, while Trigger.Once runs one batch
 * and leaves the new watermark to the next run (it is kept in the commit log since
 * SPARK-24699).
 *
 * Where Sluice differs:
 *   - The driver does not see the operators: it asks the job. A job has one watermark
 *     (withWatermark, declared once), so "the watermark rose" is the question Spark's
 *     operators answer. A job without a watermark never gets the extra batch; a job with a
 *     watermark but no keyed state (a stateless job that only drops late records) gets one
 *     batch that finds nothing to do, which Spark would not run.
 *   - On the exchange path (key groups) the commit says, per group, the lowest watermark
 *     at which it has a window to evict or emit (GroupState.dueAtWatermarkMs): the extra
 *     batch runs only when some group is due at the new watermark, since a batch that
 *     reads nothing runs stage 2 only for due groups (stage-two.ts) and would emit
 *     nothing otherwise. That is finer than Spark, which runs the batch whenever the
 *     watermark rose, whether or not anything is evicted.
 *   - Interval triggers need no rule: their driver runs a batch every period, empty or
 *     not, and that batch applies the new watermark.
 */
import type { BatchCommit, BatchPlan } from './batch-records.js';
import { nextWatermark } from './watermark.js';

/** The watermark the plan after this committed batch fixes (planNextBatch computes it the same way). */
export function watermarkAfter(plan: BatchPlan, commit: BatchCommit, allowedLatenessMs: number | null): number | null {
  return nextWatermark(plan.watermarkMs, commit.maxEventTimeMs, allowedLatenessMs);
}

/** True when a batch that reads nothing after this one would have work: see the rule above. */
export function noDataBatchDue(args: {
  readonly plan: BatchPlan;
  readonly commit: BatchCommit;
  readonly allowedLatenessMs: number | null;
}): boolean {
  const { plan, commit } = args;
  const next = watermarkAfter(plan, commit, args.allowedLatenessMs);
  if (next === null || (plan.watermarkMs !== null && next <= plan.watermarkMs)) return false;
  if (plan.keyGroups === undefined) return true;
  return Object.values(commit.groups ?? {}).some((g) => g.dueAtWatermarkMs !== undefined && next >= g.dueAtWatermarkMs);
}
