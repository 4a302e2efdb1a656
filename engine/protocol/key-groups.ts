/**
 * Key groups: the fixed units keyed state lives in (docs/design/key-groups.md).
 *
 * A keyed job has G key groups, fixed for the life of its checkpoint (as Spark's shuffle
 * partitions and Flink's max parallelism are). A key belongs to one group for ever:
 *
 *   h(key)     = the first four bytes of MD5(JSON.stringify([key])), big-endian, 0..2^32-1
 *   group(key) = floor(h(key) · G / 2^32)
 *
 * so each group owns a contiguous slice of the hash space, [ceil(g·2^32/G), ceil((g+1)·2^32/G)),
 * and re-grouping from G to G' re-slices ranges (a key's new group follows from its hash
 * alone). The canonical form is the one state keys use, so 42 and "42" are different
 * keys here as there.
 *
 * Pure: no I/O; MD5 is a hash, not a source of randomness.
 */
import { createHash } from 'node:crypto';
import { JobSpecError } from '../errors.js';
import { weightedRuns } from './weighted-runs.js';

/** A group key as pipelines produce it (keyBy's result). */
export type KeyGroupKey = string | number;

/** The default number of key groups (the design record says why 8). */
export const DEFAULT_KEY_GROUPS = 8;
/**
 * The most key groups a job may have. Every active group's stage-2 result, and every
 * (partition, group) pair of stage 1's index, travels through the Step Functions state
 * of a batch, whose limit is 256 KiB (infra/state-machines/batches-definition.ts has the
 * envelope): 256 groups on 8 partitions fit with room to spare, 1,024 active groups do not.
 */
export const MAX_KEY_GROUPS = 256;
/** The most (partition, key group) pairs a batch may have, for the same envelope: a plan beyond it is refused. */
export const MAX_GROUP_PARTITION_PAIRS = 2048;
/** Stage-2 executor calls per batch at most: the inline Map's concurrency limit. */
export const MAX_STAGE_TWO_SLOTS = 40;

const HASH_SPACE = 2 ** 32;

/** The 32-bit hash a key's group is taken from. */
export function keyHashOf(key: KeyGroupKey): number {
  return createHash('md5')
    .update(JSON.stringify([key]), 'utf8')
    .digest()
    .readUInt32BE(0);
}

/** The key group of a key, in 0..keyGroups-1. */
export function keyGroupOf(key: KeyGroupKey, keyGroups: number): number {
  return keyGroupOfHash(keyHashOf(key), keyGroups);
}

/** The key group of a 32-bit key hash: floor(h · G / 2^32), exact in doubles (h · G < 2^42). */
export function keyGroupOfHash(hash: number, keyGroups: number): number {
  return Math.floor((hash * keyGroups) / HASH_SPACE);
}

/** The hashes group g owns: [start, end), contiguous, covering 0..2^32 exactly once over all groups. */
export function keyGroupHashRange(group: number, keyGroups: number): { readonly start: number; readonly end: number } {
  return { start: Math.ceil((group * HASH_SPACE) / keyGroups), end: Math.ceil(((group + 1) * HASH_SPACE) / keyGroups) };
}

/** Refuses a number of key groups that is not an integer in 1..MAX_KEY_GROUPS. */
export function checkKeyGroups(keyGroups: unknown, where = 'keyGroups'): number {
  if (typeof keyGroups !== 'number' || !Number.isInteger(keyGroups) || keyGroups < 1 || keyGroups > MAX_KEY_GROUPS) {
    throw new JobSpecError(
      `${where} must be an integer from 1 to ${MAX_KEY_GROUPS}, got ${JSON.stringify(keyGroups) ?? String(keyGroups)}`,
    );
  }
  return keyGroups;
}

/**
 * A batch of `partitions` partitions over `keyGroups` key groups must fit the driver's
 * payload envelope (MAX_GROUP_PARTITION_PAIRS): a plan that would not is refused with
 * JobSpecError before anything runs, rather than failing inside Step Functions.
 */
export function checkPayloadEnvelope(args: { jobId: string; keyGroups: number; partitions: number }): void {
  if (args.keyGroups * args.partitions <= MAX_GROUP_PARTITION_PAIRS) return;
  throw new JobSpecError(
    `job ${args.jobId} would run a batch over ${args.partitions} partitions and ${args.keyGroups} key groups: ` +
      `${args.partitions * args.keyGroups} (partition, key group) pairs, above the ${MAX_GROUP_PARTITION_PAIRS} a batch's ` +
      'state machine payload holds; use fewer key groups (replay --regroup) or fewer partitions',
  );
}

/**
 * A checkpoint's number of key groups cannot change in place: every key would move to
 * another group and its state would be read from the wrong one. A regroup is a replay
 * that re-slices the state (declared by the user).
 */
export function checkKeyGroupsUnchanged(args: { jobId: string; checkpointed: number; declared: number }): void {
  if (args.checkpointed !== args.declared) {
    throw new JobSpecError(
      `job ${args.jobId} was checkpointed with ${args.checkpointed} key groups and now declares ${args.declared}: ` +
        'the number of key groups is fixed for the life of a checkpoint; keep ' +
        `${args.checkpointed}, or change it with a replay that regroups the state (replay --regroup)`,
    );
  }
}

/**
 * The layout of a checkpoint's keyed state, `checkpointed`, and the layout the code
 * declares, `declared`: a number of key groups, or undefined when state lives per source
 * partition (or there is none). The layout never changes in place (the planner checks
 * every plan, a replay its base): another number of key groups, or key groups for state
 * kept per partition (or the reverse), is refused with JobSpecError naming both and the
 * way out, a replay that regroups the state (replay --regroup).
 */
export function checkStateLayoutUnchanged(args: { jobId: string; checkpointed: number | undefined; declared: number | undefined }): void {
  const { jobId, checkpointed, declared } = args;
  if (checkpointed !== undefined && declared !== undefined) {
    checkKeyGroupsUnchanged({ jobId, checkpointed, declared });
    return;
  }
  if (checkpointed === declared) return;
  throw new JobSpecError(
    `job ${jobId}'s checkpoint ${describeStateLayout(checkpointed)}, and this version of the job ${describeStateLayout(declared)}: ` +
      "the layout of a checkpoint's state is fixed for its life; deploy a version with the same layout, " +
      "or move the state with a replay that regroups it (replay --regroup). A job whose keys are its source's " +
      "partition keys may keep state per partition by declaring keyedBy: 'partitionKey'",
    { context: { jobId, checkpointed: checkpointed ?? null, declared: declared ?? null } },
  );
}

/** "keeps keyed state in 8 key groups", or "keeps keyed state per source partition" for undefined. */
export function describeStateLayout(keyGroups: number | undefined): string {
  return keyGroups === undefined ? 'keeps keyed state per source partition' : `keeps keyed state in ${keyGroups} key groups`;
}

/**
 * Splits a batch's active key groups (sorted, distinct) into at most `maxSlots`
 * contiguous runs, one stage-2 executor call each, as even as possible (sizes differ by
 * at most one; earlier runs take the extra). Deterministic in its inputs, so every
 * attempt of a batch assigns the same groups to the same call.
 */
export function assignGroupsToSlots(activeGroups: readonly number[], maxSlots = MAX_STAGE_TWO_SLOTS): number[][] {
  if (!Number.isInteger(maxSlots) || maxSlots < 1) throw new JobSpecError(`stage-2 slots must be a positive integer, got ${maxSlots}`);
  const slots = Math.min(maxSlots, activeGroups.length);
  const runs: number[][] = [];
  let next = 0;
  for (let s = 0; s < slots; s += 1) {
    const size = Math.floor(activeGroups.length / slots) + (s < activeGroups.length % slots ? 1 : 0);
    runs.push(activeGroups.slice(next, next + size));
    next += size;
  }
  return runs;
}

/**
 * Coalesces a batch's active key groups (sorted, distinct) into contiguous slots, one
 * stage-2 executor call each, as Spark's adaptive execution coalesces small shuffle
 * partitions towards an advisory size: walking the groups in order, a slot takes the next
 * group while its weight stays within `targetBytes` (a group heavier than that has a slot
 * of its own). When that makes more than `maxSlots`, the groups are split evenly by count
 * instead (assignGroupsToSlots). Deterministic in its inputs.
 */
export function coalesceGroups(
  activeGroups: readonly number[],
  weightOf: (group: number) => number,
  options: { readonly targetBytes: number; readonly maxSlots?: number },
): number[][] {
  const maxSlots = options.maxSlots ?? MAX_STAGE_TWO_SLOTS;
  const slots = weightedRuns(activeGroups, weightOf, { maxWeight: options.targetBytes });
  return slots.length > maxSlots ? assignGroupsToSlots(activeGroups, maxSlots) : slots;
}

/**
 * The state store's name for a key group's state: `keygroup-0007`. Source partitions keep
 * their own ids (Kinesis `shardId-…`, Kafka `0`, `1`…), which never look like this.
 */
export function keyGroupScope(group: number): string {
  return `keygroup-${String(group).padStart(4, '0')}`;
}

/** The key group a state scope names, or null when it names a partition. */
export function keyGroupOfScope(scope: string): number | null {
  const match = /^keygroup-(\d{4})$/.exec(scope);
  return match === null ? null : Number(match[1]);
}

/**
 * The fast path on Kafka (keyedBy: 'partitionKey'): a key's state lives with the
 * partition its records arrive on, and Kafka's default partitioner picks that partition
 * from the key's hash modulo the partition count. Partitions added to the topic move keys
 * to other partitions, whose state does not hold them: the plan is refused with
 * JobSpecError before anything is read. (Kinesis reshards keep a key's hash range, and its
 * state follows it: engine/protocol/lineage.ts.)
 */
export function checkPartitionsUnchanged(args: {
  readonly jobId: string;
  readonly topic: string;
  readonly planned: readonly string[];
  readonly listed: readonly string[];
}): void {
  const planned = new Set(args.planned);
  const added = args.listed.filter((p) => !planned.has(p));
  if (planned.size === 0 || added.length === 0) return;
  throw new JobSpecError(
    `job ${args.jobId} declares keyedBy: 'partitionKey', so each key's state lives with its Kafka partition, ` +
      `but topic ${args.topic} now has ${args.listed.length} partitions (was ${planned.size}; added ${added.join(', ')}): ` +
      'Kafka re-routes existing keys to the new partitions, where their state is not. Remove keyedBy to group ' +
      'through key groups (then replay --regroup moves the state), or recreate the topic with its old partition count',
  );
}
