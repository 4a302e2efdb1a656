import { JobSpecError } from '../errors.js';
import { compileAggregate, type AggregateSpec, type Aggregator } from './aggregates.js';
import { lookupStage, type LookupOptions, type LookupStage, type LookupTableRef } from './lookup.js';
import { formatMs, requireFunction, requireNonNegativeNumber, requireObject, specError } from './spec-checks.js';
import { checkWindow, describeWindow, type WindowSpec } from './windows.js';

/**
 * The operators users chain in a job's `pipeline` function. Building a stream runs no
 * user code: each operator returns a new immutable stream that records one more stage,
 * and `defineJob` compiles the final one (engine/job/compile.ts).
 *
 *   Stream<T>          map, filter, flatMap, withWatermark, keyBy
 *   KeyedStream<T>     window(tumbling(...)) then aggregate(...), or aggregate(...)
 *   WindowedStream<T>  aggregate(...)
 *   AggregatedStream   the end of a stateful pipeline
 *
 * A pipeline ends with a Stream (a stateless job: every value is a row) or an
 * AggregatedStream. Ending with keyBy() or window() is an error: nothing is aggregated.
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
}

let planOfStream: (stream: Stream<unknown>) => PipelinePlan;
let planOfAggregated: (stream: AggregatedStream) => PipelinePlan;

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
   * Values whose event time is below the batch's watermark are late: they are dropped
   * and counted, never aggregated. The event time travels with the value through later
   * map/flatMap stages and is what window() uses. Declare it once, before keyBy().
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

  /** @internal */
  constructor(plan: PipelinePlan) {
    this.#plan = plan;
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
}

export class WindowedStream<T> {
  readonly #plan: PipelinePlan;

  /** @internal */
  constructor(plan: PipelinePlan) {
    this.#plan = plan;
  }

  /** One aggregate per (key, window). */
  aggregate(aggregate: AggregateSpec<T>): AggregatedStream {
    return new AggregatedStream({ ...this.#plan, aggregate: compileAggregate(aggregate) });
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

/** What a pipeline function returns. */
export type PipelineEnd = Stream<unknown> | AggregatedStream;

/** A stream made from nothing but the root of a pipeline. */
export function rootStream<T>(root: symbol): Stream<T> {
  return new Stream<T>({ root, stages: [] });
}

/** The plan a pipeline function returned; a JobSpecError when it returned no complete stream. */
export function planOf(end: unknown, root: symbol): PipelinePlan {
  let plan: PipelinePlan;
  if (end instanceof Stream) plan = planOfStream(end);
  else if (end instanceof AggregatedStream) plan = planOfAggregated(end);
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
  return parts.join(' > ');
}
