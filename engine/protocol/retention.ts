/**
 * Retention, step 4 of the protocol (planning.ts): after a commit, which WAL records and
 * state versions no commit can need any more.
 */
import { InvariantError, JobSpecError } from '../errors.js';
import { FIRST_BATCH_ID, type BatchPlan } from './batch-records.js';
import { keyGroupScope } from './key-groups.js';

/**
 * Retention after batch `committedBatchId` committed, keeping the last `retainBatches`
 * committed batches (and their state versions) for replay:
 * - WAL records of batches below `deleteBatchesBelow` may go: a committed successor
 *   exists, so no recovery reads them.
 * - per partition, state versions below `keepStateFrom[p]` may go (the state store keeps
 *   whatever the first version it keeps at or above that reads: a snapshot and the deltas
 *   after it; that part is its job):
 *   - a partition the oldest kept batch K reads: from K's base version, so recovery and
 *     replay of every kept batch still find their base;
 *   - a finished partition whose children inherited its state before K (`handedOver`):
 *     from K, which deletes all of it, since no kept batch reads it;
 *   - a finished partition not yet handed over (or handed over in K or later): nothing
 *     is deleted; a kept batch's children, or the next plan's, read its final state;
 *   - with key groups (K's plan has `keyGroups`): each key group K's plan lists, from its
 *     base version there; partitions hold no state and are skipped. A group K does not
 *     list had no state before K: nothing of it is old enough to go;
 *   - a partition K neither reads nor keeps finished is left alone. Retention lists no
 *     state (a LIST of every object, every few batches, costs more than it saves): a
 *     shard that expired before it was read to its end, or a finished one whose entry
 *     was dropped (it and its children expired) before its hand-over left the kept
 *     batches, keeps its last state versions.
 */
export function retentionPlan(args: {
  readonly committedBatchId: number;
  readonly retainBatches: number;
  readonly oldestKeptPlan: BatchPlan | null;
}): { deleteBatchesBelow: number; keepStateFrom: Record<string, number> } | null {
  const { committedBatchId, retainBatches, oldestKeptPlan } = args;
  if (retainBatches < 1) throw new JobSpecError(`retainBatches must be at least 1, got ${retainBatches}`);
  const deleteBatchesBelow = committedBatchId - retainBatches + 1;
  if (deleteBatchesBelow <= FIRST_BATCH_ID || oldestKeptPlan === null) return null;
  if (oldestKeptPlan.batchId !== deleteBatchesBelow) {
    throw new InvariantError(`retention needs the plan of batch ${deleteBatchesBelow}, got ${oldestKeptPlan.batchId}`);
  }
  const keepStateFrom: Record<string, number> = {};
  for (const [partition, handedOverAt] of Object.entries(oldestKeptPlan.handedOver ?? {})) {
    if (handedOverAt < deleteBatchesBelow && oldestKeptPlan.finished[partition] !== undefined)
      keepStateFrom[partition] = deleteBatchesBelow;
  }
  if (oldestKeptPlan.keyGroups !== undefined) {
    // Key groups hold the state and partitions none: each group keeps from K's base.
    for (const [group, state] of Object.entries(oldestKeptPlan.groups ?? {})) keepStateFrom[keyGroupScope(Number(group))] = state.version;
    return { deleteBatchesBelow, keepStateFrom };
  }
  for (const p of oldestKeptPlan.partitions) keepStateFrom[p.partition] = p.baseStateVersion;
  return { deleteBatchesBelow, keepStateFrom };
}
