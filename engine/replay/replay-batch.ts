/**
 * One replayed batch (step 4 of replayJob, replay-job.ts): whether a batch the write-ahead
 * log holds at the replay's generation reads as its first run, and running its executors:
 * every partition (runPartition), and for a plan with key groups, stage 2 per slot of the
 * batch's active key groups (runKeyGroups, engine/protocol/stage-two.ts), as the driver
 * runs them (engine/driver/run-driver.ts). Stage 1 reads exactly the first run's ranges,
 * so it writes the same exchange rows; stage 2 applies them to the groups' state as the
 * replay left it.
 */
import { runKeyGroups } from '../executor/run-key-groups.js';
import { runPartition } from '../executor/run-partition.js';
import type { StateCache } from '../executor/state-cache.js';
import type { EnginePorts } from '../ports/index.js';
import type { BatchRecord, GroupResult, PartitionResult } from '../protocol/batch-records.js';
import { sameRangeEnd } from '../protocol/offsets.js';
import { dueGroups, groupRowsOf, stageTwoSlots } from '../protocol/stage-two.js';
import { retry } from '../retry.js';
import { rangeMismatch } from './replay-errors.js';
import { readsSameRanges } from './replay-plan.js';
import type { ReplayBatch, ReplayContext } from './replay-types.js';

/**
 * True when a batch of the replay's generation found in the WAL reads the records its
 * first run read: the replay planned it (or a driver planned the same): it is resumed or,
 * committed, kept. Its committed ends, or the range ends recorded so far, must match.
 */
export async function readsAsFirstRun(jobId: string, record: BatchRecord, batch: ReplayBatch, wal: EnginePorts['wal']): Promise<boolean> {
  if (!readsSameRanges(record.plan, batch.original.plan)) return false;
  for (const [partition, end] of Object.entries(batch.rangeEnds)) {
    const read = record.commit?.partitions[partition]?.end ?? (await wal.getRangeEnd(jobId, record.plan.batchId, partition));
    if (read !== null && read !== undefined && !sameRangeEnd(read, end)) return false;
  }
  return true;
}

/**
 * Runs a planned replayed batch: every partition (stage 1 on the two-stage path), each
 * checked to have read what the first run read (RangeMismatchError otherwise, before
 * stage 2 writes anything), then stage 2 per slot of active key groups; retryable
 * errors are retried. Returns what commitBatch takes.
 */
export async function runReplayedBatch(
  jobId: string,
  record: BatchRecord,
  batch: ReplayBatch,
  ctx: ReplayContext,
  cache: StateCache,
): Promise<{ results: PartitionResult[]; groupResults?: GroupResult[] }> {
  const { ports, job } = ctx;
  const { plan } = record;
  const batchId = plan.batchId;
  const retried = <R>(run: () => Promise<R>, where: Record<string, unknown>): Promise<R> =>
    retry(run, {
      attempts: ctx.executorAttempts ?? 4,
      baseDelayMs: 200,
      clock: ports.clock,
      onRetry: (error, attempt) =>
        ports.logger.warn('replay executor failed, retrying', { jobId, batchId, ...where, attempt, error: String(error) }),
    });
  const results = await Promise.all(
    plan.partitions.map(({ partition }) =>
      retried(() => runPartition({ jobId, batchId, partition }, { ports, job, cache }), { partition }),
    ),
  );
  for (const result of results) {
    const first = batch.original.commit!.partitions[result.partition]?.end;
    if (first !== undefined && !sameRangeEnd(first, result.end)) throw rangeMismatch(jobId, batchId, result.partition, first, result.end);
  }
  if (plan.keyGroups === undefined) return { results };
  const slots = stageTwoSlots({ keyGroups: plan.keyGroups, dueGroups: dueGroups(plan), results, batchId, groupRows: groupRowsOf(plan) });
  const groupResults = await Promise.all(
    slots.map((groups) =>
      retried(() => runKeyGroups({ jobId, batchId, groups, stageOne: results }, { ports, job, cache }), { groups: groups.join(',') }),
    ),
  );
  return { results, groupResults: groupResults.flat() };
}
