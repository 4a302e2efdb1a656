import type { JsonValue } from '../json.js';
import { cloneJson, toJson } from './json-values.js';
import { requireFunction, requireObject, show, specError } from './spec-checks.js';
import { synchronousResult } from './synchronous.js';

/**
 * An aggregate function over the values of one group (a key, or a key and a window).
 * Its accumulator is what keyed state holds for the group, so it must be JSON; `result`
 * turns it into the value written to the sink. Rows always carry absolute values (the
 * count so far, never "+1"), so rewriting a row on a retry is harmless.
 *
 * Build aggregates with count(), sum(), min(), max() and reduce(); an object of them
 * (`{ views: count(), bytes: sum((e) => e.size) }`) aggregates several at once.
 */
export interface Aggregate<T, A extends JsonValue = JsonValue> {
  readonly kind: 'count' | 'sum' | 'min' | 'max' | 'reduce';
  /** A fresh accumulator, for a group's first value. */
  readonly initial: () => A;
  /** The accumulator after one more value. Throwing makes the record a failure of stage 'aggregate'. */
  readonly add: (acc: A, value: T) => A;
  /** What the sink row holds for an accumulator. */
  readonly result: (acc: A) => JsonValue;
  /**
   * Two accumulators of one group as one (Spark's Aggregator.merge): lets stage 1 of a
   * two-stage batch combine a partition's values before the exchange. Absent: the values
   * travel to their key group one by one.
   */
  readonly merge?: (a: A, b: A) => A;
}

/** What `.aggregate()` takes: one aggregate, or named aggregates. */
// biome-ignore lint/suspicious/noExplicitAny: each aggregate keeps its own accumulator type; the spec only needs their inputs to be T
export type AggregateSpec<T> = Aggregate<T, any> | { readonly [name: string]: Aggregate<T, any> };

/** Fields of an aggregate row that a named aggregate may not use. */
export const RESERVED_FIELDS: readonly string[] = ['key', 'windowStart', 'windowEnd'];

const made = new WeakSet<object>();

function make<T, A extends JsonValue>(aggregate: Aggregate<T, A>): Aggregate<T, A> {
  const frozen = Object.freeze(aggregate);
  made.add(frozen);
  return frozen;
}

function isAggregate(value: unknown): value is Aggregate<unknown> {
  return typeof value === 'object' && value !== null && made.has(value);
}

function finiteNumber(kind: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new TypeError(`${kind}() needs a finite number, the function returned ${show(value)}`);
  }
  return value;
}

/** The number of values in the group. */
export function count(): Aggregate<unknown, number> {
  return make({ kind: 'count', initial: () => 0, add: (acc) => acc + 1, result: (acc) => acc, merge: (a, b) => a + b });
}

/** The sum of `fn(value)`; a value for which it is not a finite number fails the record. */
export function sum<T>(fn: (value: T) => number): Aggregate<T, number> {
  requireFunction('sum()', fn);
  return make({
    kind: 'sum',
    initial: () => 0,
    add: (acc, value) => {
      const total = acc + finiteNumber('sum', synchronousResult(fn(value), 'sum()'));
      if (!Number.isFinite(total)) throw new RangeError(`sum() overflowed to ${total}`);
      return total;
    },
    result: (acc) => acc,
    merge: (a, b) => {
      const total = a + b;
      if (!Number.isFinite(total)) throw new RangeError(`sum() overflowed to ${total}`);
      return total;
    },
  });
}

/** The smallest `fn(value)` of the group. */
export function min<T>(fn: (value: T) => number): Aggregate<T, number | null> {
  requireFunction('min()', fn);
  return make<T, number | null>({
    kind: 'min',
    initial: () => null,
    add: (acc, value) => {
      const v = finiteNumber('min', synchronousResult(fn(value), 'min()'));
      return acc === null ? v : Math.min(acc, v);
    },
    result: (acc) => acc,
    merge: (a, b) => (a === null ? b : b === null ? a : Math.min(a, b)),
  });
}

/** The largest `fn(value)` of the group. */
export function max<T>(fn: (value: T) => number): Aggregate<T, number | null> {
  requireFunction('max()', fn);
  return make<T, number | null>({
    kind: 'max',
    initial: () => null,
    add: (acc, value) => {
      const v = finiteNumber('max', synchronousResult(fn(value), 'max()'));
      return acc === null ? v : Math.max(acc, v);
    },
    result: (acc) => acc,
    merge: (a, b) => (a === null ? b : b === null ? a : Math.max(a, b)),
  });
}

/**
 * A fold: the group's accumulator starts as `initial` and becomes `add(acc, value)` for
 * each value. Accumulators must be JSON (checked on every add). `add` gets its own copy
 * of the accumulator, so it may mutate and return it. `merge(a, b)`, when given, combines
 * two accumulators of one group: with it a two-stage batch combines each partition's
 * values before the exchange (it must agree with add: folding values into a and into b
 * separately, then merging, gives what folding them all into a would).
 */
export function reduce<T, A>(spec: {
  readonly initial: A;
  readonly add: (acc: A, value: T) => A;
  readonly merge?: (a: A, b: A) => A;
}): Aggregate<T> {
  requireObject('reduce()', spec);
  const add = requireFunction('reduce().add', spec.add);
  const merge = spec.merge === undefined ? undefined : requireFunction('reduce().merge', spec.merge);
  let initial: JsonValue;
  try {
    initial = toJson(spec.initial, 'initial');
  } catch (error) {
    throw specError('reduce().initial', `must be JSON: ${(error as Error).message}`);
  }
  return make<T, JsonValue>({
    kind: 'reduce',
    initial: () => cloneJson(initial),
    add: (acc, value) => toJson(synchronousResult(add(cloneJson(acc) as A, value), 'reduce().add'), "reduce()'s accumulator"),
    result: (acc) => cloneJson(acc),
    ...(merge === undefined
      ? {}
      : {
          merge: (a: JsonValue, b: JsonValue) =>
            toJson(synchronousResult(merge(cloneJson(a) as A, cloneJson(b) as A), 'reduce().merge'), "reduce()'s accumulator"),
        }),
  });
}

/** An aggregate spec compiled for the runtime: one accumulator per group, any shape. */
export interface Aggregator {
  readonly description: string;
  /**
   * What its accumulator holds, for the job's state-shape fingerprint (state-shape.ts): the
   * kind of one aggregate (`'count'`), or each named aggregate's kind by name. The
   * functions inside are not part of it: they do not change what is stored.
   */
  readonly shape: JsonValue;
  initial(): JsonValue;
  add(acc: JsonValue, value: unknown): JsonValue;
  /** The row fields of an accumulator: `value`, or one field per named aggregate. */
  fields(acc: JsonValue): [string, JsonValue][];
  /** Two accumulators as one, when every aggregate has a merge (Aggregate.merge). */
  readonly merge?: (a: JsonValue, b: JsonValue) => JsonValue;
}

/** Validates what was passed to `.aggregate()` and compiles it. */
export function compileAggregate(spec: unknown, field = 'aggregate()'): Aggregator {
  if (isAggregate(spec)) {
    const one = spec as Aggregate<unknown, JsonValue>;
    return {
      description: one.kind,
      shape: one.kind,
      initial: () => one.initial(),
      add: (acc, value) => one.add(acc, value),
      fields: (acc) => [['value', one.result(acc)]],
      ...(one.merge === undefined ? {} : { merge: one.merge }),
    };
  }
  const named = requireObject(field, spec);
  const entries = Object.entries(named);
  if (entries.length === 0) throw specError(field, 'needs at least one aggregate, got {}');
  for (const [name, aggregate] of entries) {
    if (name === '' || name === '__proto__' || RESERVED_FIELDS.includes(name)) {
      const reserved = `${RESERVED_FIELDS.join(', ')}, '' or __proto__`;
      throw specError(`${field}.${name}`, `is a reserved name: named aggregates may not be called ${reserved}`);
    }
    if (!isAggregate(aggregate)) {
      throw specError(`${field}.${name}`, `must be an aggregate (count(), sum(fn), min(fn), max(fn), reduce(...)), got ${show(aggregate)}`);
    }
  }
  const parts = entries as [string, Aggregate<unknown, JsonValue>][];
  const partOf = (acc: JsonValue, name: string): JsonValue => {
    if (typeof acc !== 'object' || acc === null || Array.isArray(acc) || !Object.hasOwn(acc, name)) {
      throw new TypeError(`the group's accumulator ${show(acc)} has no field ${name}: did the aggregate change?`);
    }
    return acc[name] as JsonValue;
  };
  return {
    description: `aggregate(${parts.map(([name, a]) => `${name}: ${a.kind}`).join(', ')})`,
    shape: Object.fromEntries(parts.map(([name, a]) => [name, a.kind])),
    initial: () => Object.fromEntries(parts.map(([name, a]) => [name, a.initial()])),
    add: (acc, value) => Object.fromEntries(parts.map(([name, a]) => [name, a.add(partOf(acc, name), value)])),
    fields: (acc) => parts.map(([name, a]) => [name, a.result(partOf(acc, name))]),
    ...(parts.every(([, a]) => a.merge !== undefined)
      ? {
          merge: (x: JsonValue, y: JsonValue) =>
            Object.fromEntries(parts.map(([name, a]) => [name, a.merge!(partOf(x, name), partOf(y, name))])),
        }
      : {}),
  };
}
