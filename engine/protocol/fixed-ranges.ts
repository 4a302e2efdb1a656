/**
 * Fixed ranges, at step 1 (plan) of the protocol (planning.ts): a source that knows its
 * partitions' ends up front (Kafka) fixes each range in the plan, [AT_OFFSET s, endBefore e),
 * with a byte bound (maxBytes: the range ends early at the record that reaches it), before
 * the plan is written. No range end is recorded for those at step 2: the records at
 * fixed offsets never change, so every attempt reads and cuts the same.
 */
import { InvariantError } from '../errors.js';
import type { BatchPlan } from './batch-records.js';
import type { Offset, StartPosition } from './offsets.js';

/** A range a source fixed at plan time (SourceReader.fixRanges). */
export interface FixedRange {
  readonly partition: string;
  readonly start: StartPosition;
  readonly endBefore: Offset;
  readonly endIsTail: boolean;
  readonly skipped?: { readonly from: Offset; readonly to: Offset };
}

/**
 * Puts the ranges a source fixed into a plan, each with the byte bound `maxBytes`
 * (before the plan is written: a written plan never changes).
 */
export function withFixedRanges(plan: BatchPlan, fixed: readonly FixedRange[], maxBytes: number): BatchPlan {
  const byPartition = new Map(fixed.map((f) => [f.partition, f]));
  return {
    ...plan,
    partitions: plan.partitions.map((p) => {
      const f = byPartition.get(p.partition);
      if (f === undefined) throw new InvariantError(`the source fixed no range for partition ${p.partition}`);
      return {
        ...p,
        start: f.start,
        endBefore: f.endBefore,
        endIsTail: f.endIsTail,
        maxBytes,
        ...(f.skipped ? { skipped: f.skipped } : {}),
      };
    }),
  };
}
