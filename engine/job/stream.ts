import { JobSpecError } from '../errors.js';
import { compileAggregate, type AggregateSpec, type Aggregator } from './aggregates.js';
import { dropDuplicatesWithinWatermarkOperator, dropDuplicatesWithTtlOperator } from './dedup.js';
import { intervalJoinOperator, type JoinFunction } from './interval-join.js';
import type { KeyedOperator } from './keyed-operator.js';
import { lookupStage, type LookupOptions, type LookupStage, type LookupTableRef } from './lookup.js';
import { type ProcessFunction, processOperator } from './process/process-function.js';
import type { StateDescriptors } from './process/state-descriptors.js';
import { formatMs, requireFunction, requireNonNegativeNumber, requireObject, show, specError } from './spec-checks.js';
import { checkWindow, describeWindow, type WindowSpec } from './windows.js';

/**
 * The operators users chain in a job's `pipeline` function. Building a stream runs no
 * user code: each operator returns a new immutable stream that records one more stage,
 * and `defineJob` compiles the final one (engine/job/compile.ts).
 *
 *   Stream<T>          map, filter, flatMap, withWatermark, keyBy
 *   KeyedStream<T>     window(tumbling(...) | sliding(...) | session(...)) then aggregate(...),
 *                      or aggregate(...), or a keyed operator (keyed-operator.ts)
 *   WindowedStream<T>  aggregate(...)
 *   AggregatedStream   the end of an aggregation
 *   OperatorStream     the end of a keyed operator
 *
 * A pipeline ends with a Stream (a stateless job: every value is a row), an
 * AggregatedStream or an OperatorStream. Ending with keyBy() or window() is an error:
 * nothing is aggregated. One keyed operator per pipeline: its output is the job's rows.
 */

/** One per-value stage, in the order the user chained them. */
export type Stage =
  | { readonly kind: 'map'; readonly fn: (value: unknown) => unknown }
  | { readonly kind: 'filter'; readonly fn: (value: unknown) => unknown }
  | { readonly kind: 'flatMap'; readonly fn: (value: unknown) => unknown }
  | { readonly kind: 'withWatermark'; readonly fn: (value: unknown) => unknown; readonly allowedLatenessMs: number }
  | LookupStage;

/** Everything a pipeline declares, as compile.ts reads it. */
export interface PipelinePlan {
  /** Identifies the stream `defineJob` passed in: a stream from elsewhere is refused. */
  readonly root: symbol;
  readonly stages: readonly Stage[];
  readonly keyBy?: (value: unknown) => unknown;
  readonly window?: WindowSpec;
  readonly aggregate?: Aggregator;
  /** The keyed operator the pipeline ends with, when it is not an aggregate. */
  readonly operator?: KeyedOperator;
  /** The second input of a two-input operator (a join): its own stages and key, from the same source. */
  readonly other?: { readonly stages: readonly Stage[]; readonly keyBy: (value: unknown) => unknown };
}

let planOfStream: (stream: Stream<unknown>) => PipelinePlan;
let planOfKeyed: (stream: KeyedStream<unknown>) => PipelinePlan;
let planOfAggregated: (stream: AggregatedStream) => PipelinePlan;
let planOfOperator: (stream: OperatorStream) => PipelinePlan;

export class Stream<T> {
  readonly #plan: PipelinePlan;

  static {
    planOfStream = (stream) => stream.#plan;
  }

  /** @internal Streams are made by defineJob; users receive one in `pipeline`. */
  constructor(plan: PipelinePlan) {
    this.#plan = plan;
  }

  #then<U>(stage: Stage): Stream<U> {
    return new Stream<U>({ ...this.#plan, stages: [...this.#plan.stages, stage] });
  }

  /** Each value becomes `fn(value)`. */
  map<U>(fn: (value: T) => U): Stream<U> {
    return this.#then({ kind: 'map', fn: requireFunction('map()', fn) as (value: unknown) => unknown });
  }

  /** Keeps the values for which `predicate` returns a truthy value. */
  filter<S extends T>(predicate: (value: T) => value is S): Stream<S>;
  filter(predicate: (value: T) => boolean): Stream<T>;
  filter(predicate: (value: T) => boolean): Stream<T> {
    return this.#then({ kind: 'filter', fn: requireFunction('filter()', predicate) as (value: unknown) => unknown });
  }

  /**
   * Each value becomes the values of the array `fn(value)` returns (none for []).
   * (Typed by the whole array, so that an `any` result gives Stream<any>, not unknown.)
   */
  flatMap<A extends readonly unknown[]>(fn: (value: T) => A): Stream<A[number]> {
    return this.#then({ kind: 'flatMap', fn: requireFunction('flatMap()', fn) as (value: unknown) => unknown });
  }

  /**
   * Declares the event time of each value (epoch milliseconds) and the job's watermark
   * (Spark's `withWatermark`): the watermark of batch N is fixed in its plan as
   * max(previous watermark, max event time of batches before N - allowedLatenessMs).
   * withWatermark drops nothing itself: a value is late, dropped and counted, only when
   * the state it would update is final, e.g. every window it falls in ended at or before
   * the watermark (engine/job/lateness.ts). The event time travels with the value through
   * later map/flatMap stages and is what window() uses. Declare it once, before keyBy().
   */
  withWatermark(eventTime: (value: T) => number, options: { readonly allowedLatenessMs: number }): Stream<T> {
    const fn = requireFunction('withWatermark() event time', eventTime) as (value: unknown) => unknown;
    requireObject('withWatermark() options', options);
    const allowedLatenessMs = requireNonNegativeNumber('withWatermark().allowedLatenessMs', options.allowedLatenessMs);
    if (this.#plan.stages.some((s) => s.kind === 'withWatermark')) {
      throw specError('withWatermark()', 'may be declared once per pipeline');
    }
    return this.#then({ kind: 'withWatermark', fn, allowedLatenessMs });
  }

  /**
   * Spark's dropDuplicatesWithinWatermark (engine/job/dedup.ts): the first value of each
   * key `keyFn(value)` passes; later values of the key are dropped until the watermark
   * reaches the first one's event time + allowedLatenessMs, when its key is forgotten.
   * Late values are dropped as late. Needs withWatermark() before it. The passing values
   * are the job's rows, written as a stateless job writes them.
   */
  dropDuplicatesWithinWatermark(keyFn: (value: T) => string | number): OperatorStream {
    const field = 'dropDuplicatesWithinWatermark()';
    requireFunction(field, keyFn);
    const watermark = this.#plan.stages.find((s) => s.kind === 'withWatermark');
    if (watermark?.kind !== 'withWatermark') {
      throw specError(field, 'needs an event-time watermark to know when a key can be forgotten: add .withWatermark(...) before it');
    }
    return endWithOperator(this.keyBy(keyFn) as KeyedStream<unknown>, dropDuplicatesWithinWatermarkOperator(watermark.allowedLatenessMs));
  }

  /**
   * Deduplication by processing time (engine/job/dedup.ts): the first value of each key
   * `keyFn(value)` passes; later values of the key are dropped for `ttlMs` of batch time
   * after it, then the key is forgotten. No watermark needed.
   */
  dropDuplicates(keyFn: (value: T) => string | number, options: { readonly ttlMs: number }): OperatorStream {
    requireFunction('dropDuplicates()', keyFn);
    requireObject('dropDuplicates() options', options);
    const ttlMs = requireNonNegativeNumber('dropDuplicates().ttlMs', options.ttlMs);
    if (ttlMs === 0) throw specError('dropDuplicates().ttlMs', 'must be > 0: the time a key is remembered');
    return endWithOperator(this.keyBy(keyFn) as KeyedStream<unknown>, dropDuplicatesWithTtlOperator(ttlMs));
  }

  /**
   * Enriches each value with the item of `table` whose key is `options.key(value)`, read
   * once per batch and recorded with it, so that retries and replays join exactly as the
   * first run did (engine/job/lookup.ts; docs/operators/lookup-join.md). join 'inner'
   * drops a value whose key has no item; 'left' passes undefined to `select`.
   */
  lookup<U>(table: LookupTableRef, options: LookupOptions<T, U>): Stream<U> {
    return this.#then(lookupStage(table, options));
  }

  /**
   * Groups values by `fn(value)`, a string or a finite number (anything else fails the
   * record at stage 'keyBy'). 42 and "42" are different groups in state but would share
   * a row key in the sink: return one type.
   */
  keyBy(fn: (value: T) => string | number): KeyedStream<T> {
    requireFunction('keyBy()', fn);
    return new KeyedStream<T>({ ...this.#plan, keyBy: fn as (value: unknown) => unknown });
  }
}

export class KeyedStream<T> {
  readonly #plan: PipelinePlan;

  static {
    planOfKeyed = (stream) => stream.#plan;
  }

  /** @internal */
  constructor(plan: PipelinePlan) {
    this.#plan = plan;
  }

  /**
   * Flink's interval join (engine/job/interval-join.ts): pairs each value l of this stream
   * with each value r of `other` that has the same key and an event time within
   * [l.t + lowerMs, l.t + upperMs] (both bounds inclusive); each pair is written once, as
   * `join(l, r)`. An inner join. Both streams must come from this pipeline's input and
   * share one withWatermark(), declared before they divide.
   *
   *   bids.keyBy((b) => b.auction).intervalJoin(auctions.keyBy((a) => a.id), { lowerMs: -5_000, upperMs: 10_000 }, (bid, auction) => ({ ... }))
   */
  intervalJoin<U, R>(
    other: KeyedStream<U>,
    bounds: { readonly lowerMs: number; readonly upperMs: number },
    join: (left: T, right: U) => R,
  ): OperatorStream {
    const field = 'intervalJoin()';
    requireObject(`${field} bounds`, bounds);
    const { lowerMs, upperMs } = bounds;
    for (const name of ['lowerMs', 'upperMs'] as const) {
      const bound = bounds[name];
      if (typeof bound !== 'number' || !Number.isFinite(bound))
        throw specError(`${field}.${name}`, `must be a finite number, got ${show(bound)}`);
    }
    if (lowerMs > upperMs) throw specError(field, `needs lowerMs <= upperMs, got ${lowerMs} > ${upperMs}`);
    requireFunction(`${field} join function`, join);
    if (!this.#plan.stages.some((s) => s.kind === 'withWatermark')) {
      throw specError(
        field,
        'needs an event-time watermark to know when a buffered value can no longer join: add .withWatermark(...) before keyBy()',
      );
    }
    const operator = intervalJoinOperator({ lowerMs, upperMs }, join as JoinFunction);
    return endWithOperator(this as KeyedStream<unknown>, operator, other as KeyedStream<unknown>);
  }

  /**
   * Assigns each value to the window of its event time (the one withWatermark declared;
   * without withWatermark, the record's arrival time at the source).
   */
  window(window: WindowSpec): WindowedStream<T> {
    return new WindowedStream<T>({ ...this.#plan, window: checkWindow(window, 'window()') });
  }

  /**
   * A running aggregate per key, over all time (no window). Its state is never evicted,
   * and it only supports output mode 'update' (as in Spark, append needs a window that
   * the watermark can close).
   */
  aggregate(aggregate: AggregateSpec<T>): AggregatedStream {
    return new AggregatedStream({ ...this.#plan, aggregate: compileAggregate(aggregate) });
  }

  /**
   * A keyed process function: per-key typed state, event-time and processing-time timers,
   * state TTL, and the rows it emits (Flink's KeyedProcessFunction, Spark's
   * transformWithState; engine/job/process/process-function.ts).
   */
  process<S extends StateDescriptors = Record<string, never>>(fn: ProcessFunction<T, S>): OperatorStream {
    return endWithOperator(this as KeyedStream<unknown>, processOperator(fn));
  }
}

export class WindowedStream<T> {
  readonly #plan: PipelinePlan;

  /** @internal */
  constructor(plan: PipelinePlan) {
    this.#plan = plan;
  }

  /**
   * One aggregate per (key, window). A session window needs an aggregate with a merge
   * (count, sum, min, max, reduce with merge, or named ones of those): sessions that a
   * value bridges merge, and so do their accumulators.
   */
  aggregate(aggregate: AggregateSpec<T>): AggregatedStream {
    const compiled = compileAggregate(aggregate);
    if (this.#plan.window?.type === 'session' && compiled.merge === undefined) {
      throw specError(
        'aggregate()',
        `after a session window needs an aggregate with a merge, to combine sessions a value bridges: ${compiled.description} has none ` +
          '(use count(), sum(), min(), max(), reduce({ initial, add, merge }), or named ones of those)',
      );
    }
    return new AggregatedStream({ ...this.#plan, aggregate: compiled });
  }
}

/** The end of a keyed aggregation; return it from `pipeline`. */
export class AggregatedStream {
  readonly #plan: PipelinePlan;

  static {
    planOfAggregated = (stream) => stream.#plan;
  }

  /** @internal */
  constructor(plan: PipelinePlan) {
    this.#plan = plan;
  }
}

/** The end of a keyed operator (keyed-operator.ts); return it from `pipeline`. */
export class OperatorStream {
  readonly #plan: PipelinePlan;

  static {
    planOfOperator = (stream) => stream.#plan;
  }

  /** @internal */
  constructor(plan: PipelinePlan) {
    this.#plan = plan;
  }
}

/**
 * A keyed stream ended by `operator`; with `other`, the second input of a two-input
 * operator, keyed by its own keyBy and derived from the same source (the same pipeline's
 * input), with its own stages. Used by KeyedStream's operator methods.
 */
export function endWithOperator(keyed: KeyedStream<unknown>, operator: KeyedOperator, other?: KeyedStream<unknown>): OperatorStream {
  const plan = planOfKeyed(keyed);
  if (other === undefined) {
    if (operator.inputs !== 1) throw specError(operator.description, 'takes a second keyed stream');
    return new OperatorStream({ ...plan, operator });
  }
  if (!(other instanceof KeyedStream)) throw specError(operator.description, `needs a keyed stream (from keyBy()) as its second input`);
  const second = planOfKeyed(other);
  if (second.root !== plan.root) {
    throw specError(operator.description, "needs a second input derived from the same pipeline's input, not one from another job");
  }
  const watermarkOf = (stages: readonly Stage[]) => stages.find((s) => s.kind === 'withWatermark');
  if (watermarkOf(plan.stages) !== watermarkOf(second.stages)) {
    throw specError(
      operator.description,
      'needs both inputs to share one event-time declaration: call withWatermark() once, before the streams divide',
    );
  }
  if (second.stages.some((s) => s.kind === 'lookup' && !plan.stages.includes(s))) {
    throw specError(operator.description, 'takes no lookup() in its second input alone: look values up before the streams divide');
  }
  return new OperatorStream({ ...plan, operator, other: { stages: second.stages, keyBy: second.keyBy! } });
}

/** What a pipeline function returns. */
export type PipelineEnd = Stream<unknown> | AggregatedStream | OperatorStream;

/** A stream made from nothing but the root of a pipeline. */
export function rootStream<T>(root: symbol): Stream<T> {
  return new Stream<T>({ root, stages: [] });
}

/** The plan a pipeline function returned; a JobSpecError when it returned no complete stream. */
export function planOf(end: unknown, root: symbol): PipelinePlan {
  let plan: PipelinePlan;
  if (end instanceof Stream) plan = planOfStream(end);
  else if (end instanceof AggregatedStream) plan = planOfAggregated(end);
  else if (end instanceof OperatorStream) plan = planOfOperator(end);
  else if (end instanceof KeyedStream) {
    throw specError('pipeline', 'ends with keyBy(): add .aggregate(...) or .window(...).aggregate(...)');
  } else if (end instanceof WindowedStream) {
    throw specError('pipeline', 'ends with window(): add .aggregate(...)');
  } else {
    const problem = 'must return the stream it was given, transformed (did you forget a return?)';
    throw specError('pipeline', `${problem}, got ${describeReturn(end)}`);
  }
  if (plan.root !== root) {
    throw new JobSpecError('pipeline must return a stream derived from its own input, not one from another job');
  }
  return plan;
}

function describeReturn(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'object') return `an object (${(value as object).constructor?.name ?? 'no prototype'})`;
  return `a ${typeof value}`;
}

/** "filter > map > withWatermark(10s) > keyBy > window(tumbling 60s) > count". */
export function describePlan(plan: PipelinePlan): string {
  const parts = plan.stages.map((s) =>
    s.kind === 'withWatermark'
      ? `withWatermark(${formatMs(s.allowedLatenessMs)})`
      : s.kind === 'lookup'
        ? `lookup(${s.table.tableName}, ${s.join})`
        : s.kind,
  );
  if (plan.keyBy) parts.push('keyBy');
  if (plan.window) parts.push(describeWindow(plan.window));
  if (plan.aggregate) parts.push(plan.aggregate.description);
  if (plan.operator) parts.push(plan.operator.description);
  return parts.join(' > ');
}
