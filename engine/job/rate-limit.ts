/**
 * The rate limit a job gets when it sets none: how many records one batch reads from one
 * partition at most (maxRecordsPerPartition).
 *
 * A batch reads at most the cap per partition, and the next batch starts at the next
 * trigger (at once when a batch took longer than the interval), so an interval job
 * sustains at most cap / interval records a second per partition, as a Spark job with
 * `maxOffsetsPerTrigger` does. A fixed default would leave a job with a long interval
 * behind for ever: 10,000 at a 60 s trigger is 167 records/s, and a Kinesis shard takes
 * 1,000 records/s. So the default follows the trigger:
 *
 *   interval trigger   the records a shard can serve its readers in one interval
 *                      (2 MB/s: 2,000 records of 1 KB a second), twice what it can be
 *                      written in that time (1,000 records/s): a job keeps up with a
 *                      shard written at its limit and catches up at twice that rate;
 *                      at least 10,000 (one GetRecords call) and at most 40,000: a
 *                      shard gives 40,000 records of 1 KB in 20 s to a reader alone, 40 s
 *                      beside a second one, both well within an executor's timeout (90 s,
 *                      infra/state-machines/functions.ts), since a range is read whole
 *                      before its end is recorded
 *   available now      40,000, the largest default: the job reads batch after batch
 *                      until it is caught up, and nothing waits for a batch to end but
 *                      the next one, so the cap is what an executor reads well within
 *                      its limits (the interval rule's own limit as the interval grows).
 *                      Each batch pays the same fixed steps (plan, stage 2, commit:
 *                      200 to 400 ms locally) whatever its records, so a backlog drains
 *                      in fewer, cheaper batches. The first read of a Kinesis range also
 *                      stops at its read budget (64 MiB or 40 s: RANGE_READ_BUDGET in
 *                      engine/executor/read-range.ts), so large records make smaller
 *                      batches, not an executor out of memory or time. A Kafka range,
 *                      fixed when the batch is planned, gets the same bytes as a bound
 *                      in its plan (PartitionPlan.maxBytes).
 *
 * So the default keeps up with a shard written at its limit at intervals up to 40 s; a
 * longer interval on such a shard needs a cap of its own (and records small enough, or an
 * executor given the time and memory, to read it). AWS Glue's Kinesis source defaults to
 * 100,000 records per shard per micro-batch, on workers without Lambda's time limit.
 *
 * A cap the job or its instance sets is a rate limit and is kept as it is, whatever the
 * trigger. The default follows the trigger the instance runs with (the jobs API may give
 * one: withInstanceTrigger), not only the job's own.
 */
import type { JobDefinition, Trigger } from './types.js';

/** Records of 1 KB a Kinesis shard serves its readers in a second (2 MB/s). */
export const SHARD_READ_RECORDS_PER_SECOND = 2_000;
/** The smallest default: one GetRecords call's most. */
export const MIN_DEFAULT_RECORDS_PER_PARTITION = 10_000;
/** The largest default: what one executor reads from a shard well within its timeout. */
export const MAX_DEFAULT_RECORDS_PER_PARTITION = 40_000;

/** maxRecordsPerPartition for a job that sets none, under `trigger`. */
export function defaultRecordsPerPartition(trigger: Trigger): number {
  if (trigger.type === 'availableNow') return MAX_DEFAULT_RECORDS_PER_PARTITION;
  const perInterval = Math.ceil((trigger.intervalMs / 1000) * SHARD_READ_RECORDS_PER_SECOND);
  return Math.min(MAX_DEFAULT_RECORDS_PER_PARTITION, Math.max(MIN_DEFAULT_RECORDS_PER_PARTITION, perInterval));
}

/**
 * The job as an instance runs it under `trigger`: a default cap (rateLimitFromTrigger)
 * follows that trigger; a cap the job or the instance set stays. The job's own trigger
 * is left as it is: the driver runs the instance's trigger itself.
 */
export function withInstanceTrigger(job: JobDefinition, trigger: Trigger): JobDefinition {
  if (job.rateLimitFromTrigger !== true) return job;
  const cap = defaultRecordsPerPartition(trigger);
  return cap === job.maxRecordsPerPartition ? job : { ...job, maxRecordsPerPartition: cap };
}
