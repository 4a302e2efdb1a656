/**
 * The state variables of a keyed process function (process-function.ts): each one is
 * declared by a descriptor, under its name in the function's `state` object, and seen by
 * the handlers as `ctx.state.<name>`, scoped to the current key.
 *
 *   state: {
 *     count: valueState<number>(),                       // ctx.state.count.get() / set / clear
 *     seen: listState<Event>(),                          // get / add / set / clear
 *     perPage: mapState<number>({ ttlMs: 3_600_000 }),   // get / set / delete / has / entries / keys / clear
 *   }
 *
 * The three kinds are Flink's ValueState, ListState and MapState (and Spark's
 * getValueState, getListState, getMapState in transformWithState). Map keys are strings
 * (Flink's MapState<UK, UV> allows any key type; here a key is a JSON object's key).
 * Values are JSON: a handler that stores anything else fails its value.
 *
 * TTL (`ttlMs`), per variable, in processing time (the batch's time from its plan), as
 * Flink's StateTtlConfig (TtlTimeCharacteristic.ProcessingTime, its only one) and Spark's
 * TTLConfig(ttlDuration):
 * - measured from the last write of the value (a list's element, a map's entry), never
 *   from a read: Flink's default UpdateType.OnCreateAndWrite, and Spark's rule that "the
 *   TTL is reset on every update";
 * - an expired value is invisible at once (Flink's StateVisibility.NeverReturnExpired,
 *   Spark's behaviour): get() gives undefined, a list or map leaves it out;
 * - it is removed from the stored state the next time the key's group runs, and its
 *   expiry counts in the group's `dueAtMs`, so a key nobody sends values to any more
 *   still has its state released (Flink cleans up lazily or in compaction, Spark when the
 *   batch runs; here the driver runs the group when an expiry is due).
 */
import { requireObject, show, specError } from '../spec-checks.js';

declare const valueType: unique symbol;

export type StateKind = 'value' | 'list' | 'map';

export interface StateOptions {
  /** Time to live of each value, in milliseconds of processing time, from its last write. Absent: no TTL. */
  readonly ttlMs?: number;
}

interface Descriptor<K extends StateKind, T> {
  readonly kind: K;
  readonly options: StateOptions | undefined;
  /** Carries the value type for `ctx.state` (never present at run time). */
  readonly [valueType]?: (value: T) => T;
}

export type ValueStateDescriptor<T> = Descriptor<'value', T>;
export type ListStateDescriptor<T> = Descriptor<'list', T>;
export type MapStateDescriptor<V> = Descriptor<'map', V>;
// biome-ignore lint/suspicious/noExplicitAny: any value type may be declared
export type StateDescriptor = Descriptor<StateKind, any>;
export type StateDescriptors = { readonly [name: string]: StateDescriptor };

const made = new WeakSet<object>();

function describe<K extends StateKind, T>(kind: K, options: StateOptions | undefined): Descriptor<K, T> {
  const descriptor = Object.freeze({ kind, options });
  made.add(descriptor);
  return descriptor;
}

/** One value per key (Flink's ValueState, Spark's ValueState). */
export function valueState<T>(options?: StateOptions): ValueStateDescriptor<T> {
  return describe('value', options);
}

/** A list of values per key, in the order added (Flink's ListState, Spark's ListState). */
export function listState<T>(options?: StateOptions): ListStateDescriptor<T> {
  return describe('list', options);
}

/** A map from string keys to values per key (Flink's MapState, Spark's MapState). */
export function mapState<V>(options?: StateOptions): MapStateDescriptor<V> {
  return describe('map', options);
}

/** `ctx.state.<name>` for a value variable. */
export interface ValueState<T> {
  /** The value, or undefined when it was never set, was cleared or has expired. */
  get(): T | undefined;
  set(value: T): void;
  clear(): void;
}

/** `ctx.state.<name>` for a list variable. */
export interface ListState<T> {
  /** The values not expired, in the order added (a copy: change it with add or set). */
  get(): T[];
  add(value: T): void;
  /** Replaces the whole list (every element's TTL starts again). */
  set(values: readonly T[]): void;
  clear(): void;
}

/** `ctx.state.<name>` for a map variable. */
export interface MapState<V> {
  get(key: string): V | undefined;
  set(key: string, value: V): void;
  delete(key: string): void;
  has(key: string): boolean;
  /** The entries not expired, in the order first set. */
  entries(): [string, V][];
  keys(): string[];
  clear(): void;
}

/** The typed `ctx.state` of a function whose `state` is S. */
export type StateOf<S extends StateDescriptors> = {
  readonly [N in keyof S]: S[N] extends Descriptor<'value', infer T>
    ? ValueState<T>
    : S[N] extends Descriptor<'list', infer T>
      ? ListState<T>
      : S[N] extends Descriptor<'map', infer T>
        ? MapState<T>
        : never;
};

/** A declared variable, checked. */
export interface StateVariable {
  readonly name: string;
  readonly kind: StateKind;
  readonly ttlMs: number | null;
}

/**
 * The `state` of a process function, checked when the job is defined: each entry made by
 * valueState/listState/mapState, each descriptor used once (two names cannot share one
 * variable), a TTL a positive whole number of milliseconds.
 */
export function checkStateDescriptors(field: string, state: unknown): StateVariable[] {
  if (state === undefined) return [];
  const entries = Object.entries(requireObject(field, state));
  const seen = new Map<object, string>();
  return entries.map(([name, descriptor]) => {
    const at = `${field}.${name}`;
    if (name === '__proto__') throw specError(at, 'is not a usable state variable name');
    if (typeof descriptor !== 'object' || descriptor === null || !made.has(descriptor)) {
      throw specError(at, `must be valueState(), listState() or mapState(), got ${show(descriptor)}`);
    }
    const previous = seen.get(descriptor);
    if (previous !== undefined) {
      throw specError(
        at,
        `reuses the descriptor of ${field}.${previous}: declare each state variable with its own valueState()/listState()/mapState()`,
      );
    }
    seen.set(descriptor, name);
    const { kind, options } = descriptor as StateDescriptor;
    return { name, kind, ttlMs: checkTtl(at, options) };
  });
}

function checkTtl(at: string, options: StateOptions | undefined): number | null {
  if (options === undefined) return null;
  const fields = requireObject(`${at} options`, options);
  for (const key of Object.keys(fields)) {
    if (key !== 'ttlMs') throw specError(`${at}.${key}`, "is not a state option (the one option is 'ttlMs')");
  }
  const ttlMs = fields.ttlMs;
  if (ttlMs === undefined) return null;
  if (typeof ttlMs !== 'number' || !Number.isSafeInteger(ttlMs) || ttlMs <= 0) {
    throw specError(`${at}.ttlMs`, `must be a positive whole number of milliseconds, got ${show(ttlMs)}`);
  }
  return ttlMs;
}
