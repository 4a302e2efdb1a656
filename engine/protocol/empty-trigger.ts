/**
 * The skipped trigger: a trigger of a caught-up job that would plan an empty batch plans
 * nothing. Pure: the decision of whether a trigger must plan, from what the WAL and the
 * source's listing say; the driver (engine/driver/plan-batch.ts) asks the source last.
 *
 * Spark does the same. MicroBatchExecution.constructNextBatch asks every source for its
 * latest offset and constructs a batch only when some source has new data or when the
 * last execution requires another batch (`lastExecutionRequiresAnotherBatch`: a stateful
 * operator's shouldRunAnotherBatch at the new watermark, with
 * spark.sql.streaming.noDataMicroBatches.enabled); otherwise it writes nothing to the
 * offset log and the trigger executor waits for the next trigger. Processing-time
 * timeouts (FlatMapGroupsWithStateExec with ProcessingTimeTimeout) always ask for another
 * batch there; Sluice records when a key group's next timer or expiry is due, so it runs
 * the batch only then.
 *
 * A trigger must plan a batch when (reasonToPlan, in this order):
 *   1. the WAL holds no batch (the first plan), or its latest batch is PLANNED (a batch in
 *      flight is resumed, never skipped);
 *   2. a stop was requested (the driver stops rather than wait; it plans nothing either),
 *      or the job version changed (the first batch under it migrates the state, even
 *      with no records);
 *   3. a key group's processing-time timer or state expiry is due at this trigger's time
 *      (the commit's GroupState.dueAtMs); on the one-stage path no due time is recorded,
 *      so a pipeline that may hold processing-time timers or a TTL never skips;
 *   4. a no-data batch is due: the last batch advanced the watermark and some state has
 *      work at the new one (no-data-batch.ts);
 *   5. the next plan's partitions differ from the last plan's (a shard split, merged or
 *      read to its end, a Kafka partition added): the plan that records it runs;
 *   6. the last batch did not see the tail of every partition (a partition's read stopped
 *      at maxRecordsPerPartition, so its `caughtUp` is false even when nothing followed):
 *      one batch more looks, so that the WAL's last commit says caught up (the jobs API's
 *      lag, availableNowDone) before triggers are skipped;
 *   7. the source holds a record after the committed position of some partition (the
 *      driver's probe: one record per Kinesis shard, the latest offsets of a Kafka topic,
 *      the memory source's read; engine/driver/parking.ts partitionWithRecords).
 * Otherwise the trigger is skipped.
 *
 * What a skipped trigger writes: nothing. No plan, no range end, no commit, no state, no
 * sink row (the driver still repairs a committed batch's sink commit, as before any plan:
 * commit-batch.ts commitSinks, idempotent). The driver then waits as after an empty batch:
 * the idle streak grows, the backoff stretches the wait, and parking counts the skipped
 * triggers (next-step.ts).
 *
 * Crash rules:
 *   - A crash during the check leaves the WAL as it was (committed): the next trigger, or
 *     the restarted driver, checks again.
 *   - A check racing a producer: a record arriving just after the probe read the tail
 *     waits one trigger (the next trigger's probe sees it), as it would have waited had it
 *     arrived just after an empty batch's executor read the tail. Nothing is lost.
 *   - A zombie or twin driver that checks and skips has written nothing, so there is
 *     nothing to fence; when it plans, putPlan is fenced by epoch as always.
 *   - Available-now triggers use it too: a run that starts caught up (nothing after the
 *     committed batch, no no-data batch due) stops without a batch, as Spark's
 *     Trigger.AvailableNow stops when no batch is constructed. availableNowDone is
 *     unchanged: a skipped trigger is fresh and caught up by construction.
 */
import { BatchStatus, type BatchCommit, type BatchRecord } from './batch-records.js';
import { isCaughtUp } from './commit.js';
import { noDataBatchDue } from './no-data-batch.js';

export interface TriggerFacts {
  /** The WAL's latest batch. */
  readonly latest: BatchRecord | null;
  /** The partitions the next plan would read (resolveNextBatch on the current listing). */
  readonly nextPartitions: readonly string[];
  readonly allowedLatenessMs: number | null;
  /** The pipeline's keyed operator may have work due by processing time alone (CompiledPipeline.firesByProcessingTime). */
  readonly firesByProcessingTime: boolean;
  readonly nowMs: number;
  readonly stopRequested: boolean;
  /** The next plan migrates state from another job version (BatchPlan.migrateFromVersion): the first batch under a new version runs, records or not. */
  readonly migrationDue?: boolean;
}

/**
 * Why this trigger must plan a batch without asking the source (rules 1 to 6 above), or
 * null when only the source can say (rule 7).
 */
export function reasonToPlan(facts: TriggerFacts): string | null {
  const { latest } = facts;
  if (latest === null) return 'no batch was committed yet';
  if (latest.status !== BatchStatus.COMMITTED || latest.commit === undefined) return `batch ${latest.plan.batchId} is in flight`;
  if (facts.stopRequested) return 'a stop was requested';
  if (facts.migrationDue === true) return 'the job version changed: the first batch under it migrates the state';
  const timer = dueTimerGroup(latest.commit, facts.nowMs);
  if (timer !== null) return `key group ${timer} has a timer due`;
  if (latest.plan.keyGroups === undefined && facts.firesByProcessingTime) {
    return 'a one-stage job with processing-time timers or a TTL runs every trigger';
  }
  if (noDataBatchDue({ plan: latest.plan, commit: latest.commit, allowedLatenessMs: facts.allowedLatenessMs })) {
    return `batch ${latest.plan.batchId} advanced the watermark: a no-data batch is due`;
  }
  const last = latest.plan.partitions.map((p) => p.partition);
  if (!samePartitions(last, facts.nextPartitions)) {
    return `the partitions changed since batch ${latest.plan.batchId} (${last.join(',')} -> ${facts.nextPartitions.join(',')})`;
  }
  if (!isCaughtUp(latest.commit)) return `batch ${latest.plan.batchId} did not reach the tail of every partition`;
  return null;
}

/** The key group whose processing-time timer or expiry is due at `nowMs` (GroupState.dueAtMs), or null. */
export function dueTimerGroup(commit: BatchCommit | undefined, nowMs: number): string | null {
  const due = Object.entries(commit?.groups ?? {}).find(([, g]) => g.dueAtMs !== undefined && g.dueAtMs <= nowMs);
  return due === undefined ? null : due[0];
}

function samePartitions(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const set = new Set(a);
  return b.every((p) => set.has(p));
}
