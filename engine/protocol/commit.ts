/**
 * The commit record, at step 3 (commit) of the protocol (planning.ts): built by the driver
 * from its executors' results, then written with a conditional update that checks the
 * driver's epoch.
 */
import { InvariantError } from '../errors.js';
import type { BatchCommit, BatchPlan, GroupResult, GroupState, PartitionCommit, PartitionResult } from './batch-records.js';
import { nextStart } from './offsets.js';
import { commitGroups } from './stage-two.js';

/**
 * Builds the commit record of a plan from its executors' results. Every planned
 * partition must have exactly one result, and on the two-stage path every active key
 * group one stage-2 result (stage-two.ts); anything else is a driver bug and throws.
 */
export function buildCommit(args: {
  readonly plan: BatchPlan;
  readonly results: readonly PartitionResult[];
  /** Stage 2's results, when the plan has key groups. */
  readonly groupResults?: readonly GroupResult[];
  readonly epoch: number;
  readonly nowMs: number;
}): BatchCommit {
  const { plan, results } = args;
  const byPartition = new Map(results.map((r) => [r.partition, r]));
  if (byPartition.size !== results.length) {
    throw new InvariantError(`batch ${plan.batchId}: more than one result for a partition`);
  }
  const partitions: Record<string, PartitionCommit> = {};
  let maxEventTimeMs = plan.maxEventTimeMs;
  let lagMs: number | null = null;
  const sum = { records: 0, skippedOffsets: 0, outputRows: 0, deadLetters: 0, lateRecords: 0, stateRows: 0, stateBytesWritten: 0 };
  for (const p of plan.partitions) {
    const r = byPartition.get(p.partition);
    if (r === undefined) throw new InvariantError(`batch ${plan.batchId}: no result for partition ${p.partition}`);
    byPartition.delete(p.partition);
    partitions[p.partition] = {
      end: r.end,
      nextStart: nextStart(p.start, r.end, p.endBefore),
      stateVersion: r.stateVersion,
      caughtUp: r.caughtUp,
      lagMs: r.lagMs,
    };
    if (r.maxEventTimeMs !== null) {
      maxEventTimeMs = maxEventTimeMs === null ? r.maxEventTimeMs : Math.max(maxEventTimeMs, r.maxEventTimeMs);
    }
    if (r.lagMs !== null) lagMs = lagMs === null ? r.lagMs : Math.max(lagMs, r.lagMs);
    sum.records += r.records;
    if (p.skipped) sum.skippedOffsets += Number(BigInt(p.skipped.to) - BigInt(p.skipped.from));
    sum.skippedOffsets += r.skippedOffsets ?? 0;
    sum.outputRows += r.outputRows;
    sum.deadLetters += r.deadLetters;
    sum.lateRecords += r.lateRecords;
    sum.stateRows += r.stateRows;
    sum.stateBytesWritten += r.stateBytesWritten;
  }
  if (byPartition.size > 0) {
    throw new InvariantError(`batch ${plan.batchId}: results for unplanned partitions ${[...byPartition.keys()].join(', ')}`);
  }
  let groups: Record<string, GroupState> | undefined;
  if (plan.keyGroups !== undefined) {
    groups = commitGroups(plan, results, args.groupResults ?? []);
    for (const g of args.groupResults ?? []) {
      sum.outputRows += g.outputRows;
      sum.deadLetters += g.deadLetters;
      sum.stateBytesWritten += g.stateBytesWritten;
    }
    // Every group's rows, those that did not run included: the job's whole state.
    sum.stateRows = Object.values(groups).reduce((total, g) => total + g.rows, 0);
  } else if ((args.groupResults ?? []).length > 0) {
    throw new InvariantError(`batch ${plan.batchId} has no key groups, but stage-2 results were given`);
  }
  return {
    batchId: plan.batchId,
    epoch: args.epoch,
    committedAt: args.nowMs,
    maxEventTimeMs,
    partitions,
    ...(groups === undefined ? {} : { groups }),
    metrics: { ...sum, durationMs: Math.max(0, args.nowMs - plan.plannedAt), lagMs },
  };
}

/** True when every partition of a committed batch reached the tail of its partition. */
export function isCaughtUp(commit: BatchCommit): boolean {
  return Object.values(commit.partitions).every((p) => p.caughtUp);
}
