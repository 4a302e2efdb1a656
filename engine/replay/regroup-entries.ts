/**
 * The re-slicing of a regroup (regroup.ts has the steps, replay-job.ts the protocol):
 * every state entry of every scope of the base checkpoint goes to the key group of its
 * key, in the number of key groups the job's code declares.
 *
 *   keys       a state key is the pipeline's own (engine/job/keyed-groups.ts): the JSON
 *              `[key]`, or `[key, windowStart]` for a windowed aggregate, the key a
 *              string or a number. Its group is keyGroupOf(key, G'), the group stage 1
 *              routes the key's rows to, so the key's state and its later rows meet. A
 *              key of another shape (the pipeline's groupKeyOf does not know it, or it is
 *              not written as the pipeline writes it) is refused with JobSpecError: its
 *              group cannot be told, and guessing would put it where no row ever reads it.
 *   one scope  a key held by one scope keeps its value.
 *   several    a key held by several scopes comes from a checkpoint that kept state per
 *              partition while the job's keys were not its partition keys: each partition
 *              kept its own share (three of a country's views in one, one in the other).
 *              When the aggregate has a merge (count, sum, min, max, reduce with merge,
 *              named aggregates of those) the shares are merged, in scope order (the code
 *              unit order of the scope names), by the job's own stage 2, exactly as it
 *              merges the partial accumulators several partitions send for a key: the
 *              regrouped state is then the one a single key group would have built from
 *              the same records. Without a merge no value would be right: the regroup is
 *              refused (ConflictError) naming the first keys and the scopes holding them.
 *   due        each group's dueAtWatermarkMs (a window to evict or emit) and dueAtMs (a
 *              processing-time timer, a TTL) are computed over its entries by the same
 *              stage 2, with no watermark and no time: nothing is evicted or fires.
 *
 * Deterministic: the same scopes give the same groups, whatever order they come in.
 * Pure: no I/O.
 */
import { ConflictError, InvariantError, JobSpecError } from '../errors.js';
import { TrackedState } from '../executor/tracked-state.js';
import type { CompiledPipeline } from '../job/types.js';
import type { JsonValue } from '../json.js';
import { keyGroupOf, type KeyGroupKey } from '../protocol/key-groups.js';

/** One scope's state at the base: a partition's or a key group's. */
export interface ScopeEntries {
  readonly scope: string;
  readonly entries: ReadonlyMap<string, JsonValue>;
}

export interface RegroupedGroup {
  readonly entries: ReadonlyMap<string, JsonValue>;
  /** As GroupState.dueAtWatermarkMs; null when nothing is due. */
  readonly dueAtWatermarkMs: number | null;
  /** As GroupState.dueAtMs; null when nothing is due. */
  readonly dueAtMs: number | null;
}

export interface Regrouped {
  readonly keyGroups: number;
  /** The groups holding state, ascending. */
  readonly groups: ReadonlyMap<number, RegroupedGroup>;
  /** Keys held by more than one scope, merged. */
  readonly mergedKeys: number;
}

/** How many conflicting keys a refusal names. */
const NAMED_CONFLICTS = 3;

/** Re-slices `scopes` into `keyGroups` key groups (see the rules above). */
export function regroupEntries(args: {
  readonly jobId: string;
  readonly scopes: readonly ScopeEntries[];
  readonly keyGroups: number;
  readonly pipeline: Pick<CompiledPipeline, 'groupKeyOf' | 'exchange'>;
}): Regrouped {
  const { jobId, keyGroups, pipeline } = args;
  const stages = pipeline.exchange;
  if (stages === undefined) throw new InvariantError(`job ${jobId}: a regroup needs a pipeline that keeps its state in key groups`);
  const scopes = [...args.scopes].sort((a, b) => (a.scope < b.scope ? -1 : a.scope > b.scope ? 1 : 0));

  // Every key's holders, in scope order.
  const holders = new Map<string, { scope: string; value: JsonValue }[]>();
  for (const { scope, entries } of scopes) {
    for (const [stateKey, value] of entries) {
      const held = holders.get(stateKey);
      if (held === undefined) holders.set(stateKey, [{ scope, value }]);
      else held.push({ scope, value });
    }
  }
  const conflicts = [...holders].filter(([, held]) => held.length > 1);
  if (conflicts.length > 0 && !stages.combines) throw conflictError(jobId, conflicts);

  // Per group: the first holder's value, then the others' as merges, scope by scope.
  const bases = new Map<number, Map<string, JsonValue>>();
  const merges = new Map<number, Map<string, JsonValue[]>>();
  for (const [stateKey, [first, ...others]] of holders) {
    const { key, windowStart } = parseStateKey(jobId, stateKey, first!.scope, pipeline);
    const group = keyGroupOf(key, keyGroups);
    if (!bases.has(group)) bases.set(group, new Map());
    bases.get(group)!.set(stateKey, first!.value);
    for (const { scope, value } of others) {
      const byScope = merges.get(group) ?? new Map<string, JsonValue[]>();
      merges.set(group, byScope);
      byScope.set(scope, [...(byScope.get(scope) ?? []), { k: key, w: windowStart, a: value, o: stateKey }]);
    }
  }

  const groups = new Map<number, RegroupedGroup>();
  for (const group of [...bases.keys()].sort((a, b) => a - b)) {
    const state = new TrackedState(bases.get(group)!);
    const inputs = [...(merges.get(group) ?? new Map<string, JsonValue[]>())]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([partition, rows]) => ({ partition, rows }));
    // Re-slicing is no batch: no watermark and no time, so nothing falls due while it runs.
    const outcome = stages.stageTwo({ inputs, state, watermarkMs: null, timeMs: Number.NEGATIVE_INFINITY });
    const failure = outcome.failures[0];
    if (failure !== undefined) {
      throw new JobSpecError(
        `job ${jobId}: the aggregate's merge failed for state key ${failure.offset} (its share in ${failure.partition}): ${failure.reason}`,
        { context: { jobId, key: failure.offset, scope: failure.partition } },
      );
    }
    groups.set(group, { entries: state.materialize(), dueAtWatermarkMs: outcome.dueAtWatermarkMs, dueAtMs: outcome.dueAtMs ?? null });
  }
  return { keyGroups, groups, mergedKeys: conflicts.length };
}

/** The typed key (and window start) of a state key of this pipeline, or JobSpecError. */
function parseStateKey(
  jobId: string,
  stateKey: string,
  scope: string,
  pipeline: Pick<CompiledPipeline, 'groupKeyOf'>,
): { key: KeyGroupKey; windowStart: number | null } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stateKey);
  } catch {
    parsed = undefined;
  }
  const canonical = Array.isArray(parsed) && JSON.stringify(parsed) === stateKey;
  const [key, windowStart] = canonical ? (parsed as unknown[]) : [];
  if (!canonical || pipeline.groupKeyOf(stateKey) === null || (typeof key !== 'string' && typeof key !== 'number')) {
    throw new JobSpecError(
      `job ${jobId}: state key ${stateKey} of ${scope} is not a group key of this job's pipeline ([key] or [key, windowStart], ` +
        'as keyBy().aggregate() writes them): the regroup cannot tell its key group. Regroup with the job version whose state this is (or one that migrates it)',
      { context: { jobId, key: stateKey, scope } },
    );
  }
  return { key, windowStart: typeof windowStart === 'number' ? windowStart : null };
}

function conflictError(jobId: string, conflicts: readonly (readonly [string, readonly { scope: string }[]])[]): ConflictError {
  const named = conflicts
    .slice(0, NAMED_CONFLICTS)
    .map(([key, held]) => `${key} (in ${held.map((h) => h.scope).join(', ')})`)
    .join(', ');
  const more = conflicts.length > NAMED_CONFLICTS ? ` and ${conflicts.length - NAMED_CONFLICTS} more` : '';
  return new ConflictError(
    `job ${jobId}: ${conflicts.length} state ${conflicts.length === 1 ? 'key is' : 'keys are'} held by more than one scope of the ` +
      `checkpoint: ${named}${more}. Each holds a share of the key's state, and this job cannot combine the shares: ` +
      'an aggregate can only with a merge (declare reduce({ ..., merge }), or aggregate with count, sum, min or max), ' +
      "and a keyed operator's state (a process function's, a deduplication's, a join's) never can, so the regroup is refused",
    { context: { jobId, keys: conflicts.length } },
  );
}
