/**
 * Partitions that change shape under a running job: Kinesis shards split and merged.
 *
 * Kinesis closes the parent shard(s) and opens children; a key's new records go to the
 * child whose hash key range holds MD5(partition key). To keep each key's records in
 * order, a parent is read to its end before any of its children (AWS's rule for
 * resharding consumers), and to keep each key's state, a child's first state is built
 * from its parents' final states:
 *
 *   split   parent P → children C1 [a, m), C2 [m, b]: each child takes the entries of P
 *           whose group key hashes into its own range. The entries divide: each lands in
 *           exactly one child.
 *   merge   parents P1, P2 → child C = P1 ∪ P2's ranges: C takes every entry of both.
 *
 * A group's state must go to the shard its records go to. By default a group's hash key
 * is MD5 of the job's keyBy key, which is right when that key is the records' Kinesis
 * partition key (the same assumption as "a key's records share a partition"). A job whose
 * producers route with ExplicitHashKey, or whose keyBy key is not the partition key,
 * gives the source the producers' routing (kinesisSource's `hashKeyOf`).
 *
 * All functions here are pure.
 */
import { createHash } from 'node:crypto';
import { StateCorruptionError } from '../errors.js';
import type { JsonValue } from '../json.js';

/** A Kinesis hash key range, inclusive at both ends, as decimal strings (128-bit numbers). */
export interface HashKeyRange {
  readonly start: string;
  readonly end: string;
}

export interface PartitionLineage {
  readonly id: string;
  /** Partitions that must be read to their end first. */
  readonly parentIds: readonly string[];
  readonly hashKeyRange?: HashKeyRange;
  /** The source says no record will be added (a Kinesis shard with an ending sequence number). */
  readonly closed?: boolean;
}

export interface ReadyPartition {
  readonly id: string;
  readonly inherits: { readonly partition: string; readonly stateVersion: number }[];
  readonly hashKeyRange?: HashKeyRange;
  readonly closed?: true;
}

/**
 * Which listed partitions the next plan reads, and which are finished.
 *
 * - finished: what earlier plans recorded, plus every partition whose last committed
 *   range read it to its end (`closed`), with its final state version. An entry is
 *   dropped once neither the partition nor a child naming it is listed any more.
 * - ready: listed, not finished, and every parent that is still listed is finished. A
 *   parent the source no longer lists (expired) cannot be read, so it does not hold its
 *   children back. `inherits` names the finished parents that hold state.
 */
export function lineageOf(args: {
  readonly listed: readonly PartitionLineage[];
  readonly previousFinished: Readonly<Record<string, number>>;
  readonly committed: Readonly<Record<string, { readonly end: { readonly closed?: boolean }; readonly stateVersion: number }>>;
}): { ready: ReadyPartition[]; finished: Record<string, number> } {
  const finished: Record<string, number> = { ...args.previousFinished };
  for (const [id, c] of Object.entries(args.committed)) {
    if (c.end.closed) finished[id] = c.stateVersion;
  }
  const listedIds = new Set(args.listed.map((p) => p.id));
  for (const id of Object.keys(finished)) {
    const stillNeeded = listedIds.has(id) || args.listed.some((p) => p.parentIds.includes(id));
    if (!stillNeeded) delete finished[id];
  }
  const ready = args.listed
    .filter((p) => finished[p.id] === undefined)
    .filter((p) => p.parentIds.every((parent) => finished[parent] !== undefined || !listedIds.has(parent)))
    .map((p) => ({
      id: p.id,
      inherits: p.parentIds
        .filter((parent) => (finished[parent] ?? 0) > 0)
        .sort()
        .map((parent) => ({ partition: parent, stateVersion: finished[parent]! })),
      ...(p.hashKeyRange ? { hashKeyRange: p.hashKeyRange } : {}),
      ...(p.closed ? { closed: true as const } : {}),
    }))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { ready, finished };
}

/** Kinesis's hash of a partition key: MD5 of its UTF-8 bytes as a 128-bit unsigned integer. */
export function hashKeyOf(partitionKey: string): bigint {
  return BigInt(`0x${createHash('md5').update(partitionKey, 'utf8').digest('hex')}`);
}

export function inHashKeyRange(range: HashKeyRange, hashKey: bigint): boolean {
  return hashKey >= BigInt(range.start) && hashKey <= BigInt(range.end);
}

/** How a group key is routed to a shard: its 128-bit hash key. */
export type HashKeyFunction = (groupKey: string) => bigint;

/**
 * A child's first state: the entries of its parents' final states whose group key hashes
 * into the child's range (all of them when the child has no range). `groupKeyOf` maps a
 * state key to the group key it belongs to (the pipeline knows its state layout);
 * `hashOf` routes a group key (default: MD5, Kinesis's routing of a partition key).
 * Parents are taken in id order; a state key present in two parents (a key whose records
 * were not co-partitioned) keeps the later parent's value.
 */
export function inheritState(
  parents: readonly { readonly partition: string; readonly state: ReadonlyMap<string, JsonValue> }[],
  range: HashKeyRange | undefined,
  groupKeyOf: (stateKey: string) => string | null,
  hashOf: HashKeyFunction = hashKeyOf,
): Map<string, JsonValue> {
  const inherited = new Map<string, JsonValue>();
  const ordered = [...parents].sort((a, b) => (a.partition < b.partition ? -1 : a.partition > b.partition ? 1 : 0));
  for (const { partition, state } of ordered) {
    for (const [stateKey, value] of state) {
      if (range !== undefined) {
        const group = groupKeyOf(stateKey);
        if (group === null) {
          throw new StateCorruptionError(`state key ${stateKey} of partition ${partition} names no group: it cannot follow a reshard`, {
            context: { partition },
          });
        }
        if (!inHashKeyRange(range, hashOf(group))) continue;
      }
      inherited.set(stateKey, value);
    }
  }
  return inherited;
}
