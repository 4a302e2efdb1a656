/**
 * The dead-letter ratio guard (JobSpec.deadLetterLimit): a pure verdict on a committed
 * batch, from the counts its commit already holds (BatchMetrics.records, deadLetters).
 *
 * A batch of at least `minRecords` records whose dead letters are more than `maxRatio` of
 * them fails the job (the Finish task records it FAILED with the reason and ends the
 * driver; the in-process driver throws it). Bad records never block a partition, so
 * without the guard a job whose every record fails (a changed input format, a bug, state
 * it misreads) would stay RUNNING and write all of its input to the dead-letter table.
 *
 * The batch is judged after its commit, not before: its sink rows and its dead letters
 * are written by then (step 2), so nothing is lost and nothing is half done. The reason
 * says so: the dead letters are in the dead-letter table, and a resume goes on with the
 * next batch (a replay from the batch before re-runs it with fixed code). A retried Finish
 * of the same batch judges it again the same way, from the same stored commit.
 */
import type { DeadLetterLimit } from '../job/types.js';
import type { BatchMetrics, GroupResult, PartitionResult } from '../protocol/batch-records.js';

/** Whether the batch's dead letters pass the limit: more than maxRatio of at least minRecords records. */
export function overDeadLetterLimit(metrics: Pick<BatchMetrics, 'records' | 'deadLetters'>, limit: DeadLetterLimit | null): boolean {
  if (limit === null || metrics.records < limit.minRecords || metrics.records === 0) return false;
  // Integer division is rounded once, as the limit's literal was: a ratio equal to the limit is not over it.
  return metrics.deadLetters / metrics.records > limit.maxRatio;
}

/**
 * The reason the job fails with when batch `batchId` passed its limit, or null when it did
 * not: "batch 12 dead-lettered 890 of 1,000 records (89 %), over the job's limit of 50 %;
 * the first: ...", and what was kept and what to do.
 */
export function deadLetterLimitReason(args: {
  readonly jobId: string;
  readonly batchId: number;
  readonly metrics: Pick<BatchMetrics, 'records' | 'deadLetters'>;
  readonly limit: DeadLetterLimit | null;
  /** The first dead letter's summary (an executor's firstDeadLetter), when one reported it. */
  readonly first?: string | undefined;
}): string | null {
  const { jobId, batchId, metrics, limit } = args;
  if (limit === null || !overDeadLetterLimit(metrics, limit)) return null;
  const first = args.first === undefined ? '' : `; the first: ${args.first}`;
  return (
    `batch ${batchId} dead-lettered ${count(metrics.deadLetters)} of ${count(metrics.records)} records ` +
    `(${percent(metrics.deadLetters / metrics.records)} %), over the job's limit of ${percent(limit.maxRatio)} %${first}. ` +
    `The batch is committed: its dead letters are in the dead-letter table (sluice jobs dead-letters ${jobId}), nothing is lost. ` +
    `Fix the job or its input, then resume it (or replay from batch ${batchId - 1} with the fix); the job's deadLetterLimit sets the limit.`
  );
}

/** The first dead letter a batch's executors reported: stage 1 (or the one stage) in plan order, then stage 2 by key group. */
export function firstDeadLetterOf(results: readonly PartitionResult[], groupResults: readonly GroupResult[] = []): string | undefined {
  return (
    results.find((r) => r.firstDeadLetter !== undefined)?.firstDeadLetter ??
    groupResults.find((g) => g.firstDeadLetter !== undefined)?.firstDeadLetter
  );
}

/** 1,000 */
function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** A ratio as a percentage with at most two decimals: 89, 12.5, 66.67. */
function percent(ratio: number): string {
  return String(Math.round(ratio * 10_000) / 100);
}
