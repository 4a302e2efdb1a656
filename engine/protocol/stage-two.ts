/**
 * Between the two stages of a batch on the exchange path (docs/design/key-groups.md):
 * which key groups stage 2 runs, and what the commit records for them.
 *
 *   stage 1   one executor per source partition (as the one-stage path): reads exactly
 *             its range, runs the stateless operators and the combiner, and returns its
 *             rows grouped by key group (ExchangeOutput), inline or in S3.
 *   route     stageTwoGroups(plan, stage-1 results), then stageTwoSlots: at most 40
 *             stage-2 executor calls, each a contiguous run of active groups, as few as
 *             their input and state allow (coalesceGroups).
 *   stage 2   per active group: its rows from every partition, in the plan's partition
 *             order, applied to the group's state at its base version; writes state
 *             version N of the group, the sink rows and the dead letters.
 *   commit    buildCommit with the stage-2 results (commitGroups): the plan's group
 *             table, updated by the groups that ran.
 *
 * A group is active when it has rows from stage 1, or when the plan's watermark reaches
 * its dueAtWatermarkMs (a window to evict or emit, an event-time timer), or when the
 * plan's `plannedAt` reaches its dueAtMs (a processing-time timer, a state TTL: the
 * processing time of a batch is the one its plan recorded, so every attempt and every
 * replay of the plan sees the same due groups), or when the batch migrates the state
 * to a new job version (every group with state runs then). Every input is in the plan or
 * in stage 1's deterministic results, so every attempt routes the same groups the same way.
 *
 * Recovery: nothing here is stored. A crash anywhere before the commit resumes the batch
 * from its plan: stage 1 runs again and writes the same bytes, stage 2 again on the same
 * base versions and writes the same state versions and rows.
 *
 * Pure: no I/O.
 */
import { InvariantError } from '../errors.js';
import type { BatchPlan, GroupResult, GroupState, PartitionResult } from './batch-records.js';
import { coalesceGroups } from './key-groups.js';

/** The key groups stage 2 runs for a batch, ascending (see the rules above). */
export function stageTwoGroups(plan: BatchPlan, results: readonly PartitionResult[]): number[] {
  if (plan.keyGroups === undefined) return [];
  return activeGroups({ keyGroups: plan.keyGroups, dueGroups: dueGroups(plan), results, batchId: plan.batchId });
}

/** The groups of a plan that run whatever stage 1 finds: work due at the plan's watermark or time, or a migration. */
export function dueGroups(plan: BatchPlan): number[] {
  const due: number[] = [];
  for (const [group, state] of Object.entries(plan.groups ?? {})) {
    const windowDue = state.dueAtWatermarkMs !== undefined && plan.watermarkMs !== null && plan.watermarkMs >= state.dueAtWatermarkMs;
    const timeDue = state.dueAtMs !== undefined && plan.plannedAt >= state.dueAtMs;
    if (windowDue || timeDue || (plan.migrateFromVersion !== undefined && state.version > 0)) due.push(Number(group));
  }
  return due.sort((a, b) => a - b);
}

/** The due groups and those stage 1 sent rows to, ascending; each must be one of the plan's key groups. */
export function activeGroups(args: {
  readonly keyGroups: number;
  readonly dueGroups: readonly number[];
  readonly results: readonly PartitionResult[];
  readonly batchId: number;
}): number[] {
  const active = new Set<number>(args.dueGroups);
  for (const result of args.results) for (const group of Object.keys(result.exchange?.index ?? {})) active.add(Number(group));
  for (const group of active) {
    if (!Number.isInteger(group) || group < 0 || group >= args.keyGroups) {
      throw new InvariantError(`batch ${args.batchId}: key group ${group} is outside 0..${args.keyGroups - 1}`);
    }
  }
  return [...active].sort((a, b) => a - b);
}

/**
 * What one stage-2 executor call is given at most, in bytes of its input and of the state
 * it holds (coalesceGroups): 8 MiB. Decoded, with the state's new version beside the old,
 * that takes several times as much memory, still a small part of an executor's 1,024 MB;
 * more goes to calls of its own, which run in parallel.
 */
export const STAGE_TWO_SLOT_BYTES = 8 * 2 ** 20;
/** A state row's weight: about what a row of a key group's state costs an executor in memory. */
export const STATE_ROW_BYTES = 256;
/** A group's weight before its rows and its input: its state's read and write, whatever their size. */
export const GROUP_BYTES = 64 * 2 ** 10;

/**
 * The stage-2 executor calls of a batch: its active groups coalesced into contiguous
 * slots (coalesceGroups) by their weight, GROUP_BYTES + their rows in stage 1's exchange
 * (bytes, from stage 1's indexes) + their state's rows (`groupRows`, the plan's group
 * table) × STATE_ROW_BYTES, up to STAGE_TWO_SLOT_BYTES a slot and 40 slots. A batch of
 * small groups runs in one call; one with much input or state in several, in parallel.
 * Every input is in the plan or in stage 1's deterministic results: every attempt and
 * every replay routes the same groups to the same calls.
 */
export function stageTwoSlots(
  args: Parameters<typeof activeGroups>[0] & { readonly groupRows?: Readonly<Record<string, number>> },
): number[][] {
  const input = new Map<number, number>();
  for (const result of args.results) {
    for (const [group, [start, end]] of Object.entries(result.exchange?.index ?? {})) {
      input.set(Number(group), (input.get(Number(group)) ?? 0) + (end - start));
    }
  }
  const weightOf = (group: number): number =>
    GROUP_BYTES + (input.get(group) ?? 0) + STATE_ROW_BYTES * (args.groupRows?.[String(group)] ?? 0);
  return coalesceGroups(activeGroups(args), weightOf, { targetBytes: STAGE_TWO_SLOT_BYTES });
}

/** Each key group's state rows in a plan's group table (those with state): stageTwoSlots' groupRows. */
export function groupRowsOf(plan: BatchPlan): Record<string, number> {
  return Object.fromEntries(Object.entries(plan.groups ?? {}).map(([group, state]) => [group, state.rows]));
}

/**
 * The commit's group table: the plan's, with each group that ran replaced by its result.
 * Every active group must have exactly one result and no other group any: anything else
 * is a driver bug and throws.
 */
export function commitGroups(
  plan: BatchPlan,
  results: readonly PartitionResult[],
  groupResults: readonly GroupResult[],
): Record<string, GroupState> {
  const expected = stageTwoGroups(plan, results);
  const byGroup = new Map(groupResults.map((r) => [r.group, r]));
  if (byGroup.size !== groupResults.length) throw new InvariantError(`batch ${plan.batchId}: more than one result for a key group`);
  const missing = expected.filter((g) => !byGroup.has(g));
  const extra = [...byGroup.keys()].filter((g) => !expected.includes(g));
  if (missing.length > 0 || extra.length > 0) {
    throw new InvariantError(
      `batch ${plan.batchId}: stage-2 results do not match the active key groups ` +
        `(missing ${missing.join(', ') || 'none'}; unexpected ${extra.join(', ') || 'none'})`,
    );
  }
  const groups: Record<string, GroupState> = { ...(plan.groups ?? {}) };
  for (const r of groupResults) {
    const state: GroupState = {
      version: r.stateVersion,
      rows: r.stateRows,
      ...(r.dueAtWatermarkMs === null ? {} : { dueAtWatermarkMs: r.dueAtWatermarkMs }),
      ...(r.dueAtMs === null || r.dueAtMs === undefined ? {} : { dueAtMs: r.dueAtMs }),
    };
    if (r.stateVersion === 0)
      delete groups[r.group]; // never written: the empty state
    else groups[r.group] = state;
  }
  return groups;
}
