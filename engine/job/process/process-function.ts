/**
 * `keyBy(...).process(fn)`: a keyed process function, Flink's KeyedProcessFunction and
 * Spark's transformWithState, as a keyed operator (keyed-operator.ts): typed per-key
 * state (state-descriptors.ts, key-state.ts), event-time and processing-time timers
 * (timers.ts), state TTL, and rows it emits (context.ts).
 *
 * Per batch and key group (stage 2; or the partition, for keyedBy: 'partitionKey'):
 * 1. values first, in order (partition by partition in the plan's order, each in record
 *    order): `onValue(value, ctx)` for each;
 * 2. then the due timers: event-time timers whose timestamp <= the batch's watermark, in
 *    timestamp order across the group's keys (ties by state key, code-unit order), then
 *    processing-time timers whose timestamp <= the batch's time (`timeMs`), in the same
 *    order: `onTimer(timer, ctx)` for each. A timer is deleted as it fires. A timer a
 *    handler registers that is already due fires in the same batch, in its place in the
 *    order; a key fires at most MAX_TIMER_FIRINGS_PER_KEY timers per batch, the others
 *    stay registered and, being due, fire in the next batches (so a handler that keeps
 *    re-registering a due timer cannot hold a batch forever).
 * This is Spark's order (handleInputRows for a key's rows, then handleExpiredTimer for
 * expired timers, per micro-batch). Flink differs: a watermark is an element of the
 * stream there, so event-time timers fire as it advances between elements, and a value
 * behind a watermark is processed after the timers it passed fired. Sluice fixes one
 * watermark per batch in the plan (as Spark does per micro-batch): every value of the
 * batch is behind the same watermark, so there is no point between values at which a
 * timer could fire; firing timers after the values is the only order that does not
 * depend on how a batch was cut.
 *
 * Values behind the batch's watermark are late (lateness.ts, behindWatermark): stage 1
 * drops them before the function, counts them and sends their records to the job's
 * late-records sink, as Spark's transformWithState drops late rows in event-time mode;
 * Flink's process functions see late elements (ctx.timestamp() below
 * currentWatermark()). Without withWatermark no value is late and ctx.eventTimeMs is null.
 *
 * Failures. A handler call is atomic: it works on a copy of its key's state and timers,
 * kept with its rows only when it returns. A handler that throws, returns a promise
 * (handlers are synchronous), stores or emits a value that is not JSON, or registers a
 * timer that is not a timestamp fails: in onValue the value fails (its record becomes a
 * dead letter at stage 'process') and the values before and after it are applied; in
 * onTimer the timer is dropped with the effects of that call (firing it again would fail
 * again) and becomes a dead letter of its own: filed under the state's scope at offset
 * `timer:<domain>@<timestamp>:<key>`, the timer as its payload (operator-stages.ts).
 *
 * Output mode does not change what a process function writes: the rows it emits, in
 * either mode.
 *
 * Deterministic: the handlers see the plan's watermark and time, never a clock; keys and
 * timers are visited in a fixed order; so every attempt and replay of a batch writes the
 * same state and rows.
 */
import type { JsonValue } from '../../json.js';
import type { SinkRow } from '../../ports/sink.js';
import type { KeyedOperator, KeyedOperatorInput, KeyedOperatorOutcome, KeyedTimerFailure, KeyedValueFailure } from '../keyed-operator.js';
import { cloneJson } from '../json-values.js';
import { behindWatermark, isLate } from '../lateness.js';
import { requireFunction, requireObject, specError } from '../spec-checks.js';
import { contextOf, type ProcessContext } from './context.js';
import { KeyData } from './key-state.js';
import { checkStateDescriptors, type StateDescriptors, type StateVariable } from './state-descriptors.js';
import { DueTimers, type Timer } from './timers.js';

/** At most this many timers fire per key and batch; the rest fire in the next batches. */
export const MAX_TIMER_FIRINGS_PER_KEY = 1_000;

/** What `process()` takes. */
export interface ProcessFunction<T, S extends StateDescriptors> {
  /** The state variables, by name (valueState, listState, mapState). */
  readonly state?: S;
  /** Called for each value of the key, in order (Flink's processElement, Spark's handleInputRows). */
  onValue(value: T, ctx: ProcessContext<S>): void;
  /** Called for each due timer of the key (Flink's onTimer, Spark's handleExpiredTimer). */
  onTimer?(timer: Timer, ctx: ProcessContext<S>): void;
}

const FIELDS = new Set(['state', 'onValue', 'onTimer']);
const FIELD = 'process()';

/** The keyed operator of a process function, checked (a JobSpecError naming the field). */
export function processOperator<T, S extends StateDescriptors>(fn: ProcessFunction<T, S>): KeyedOperator {
  const spec = requireObject(FIELD, fn);
  for (const key of Object.keys(spec)) {
    if (!FIELDS.has(key)) throw specError(`${FIELD}.${key}`, "is not a process function field (they are 'state', 'onValue' and 'onTimer')");
  }
  const onValue = requireFunction(`${FIELD}.onValue`, spec.onValue) as (value: unknown, ctx: unknown) => unknown;
  const onTimer =
    spec.onTimer === undefined ? undefined : (requireFunction(`${FIELD}.onTimer`, spec.onTimer) as (timer: Timer, ctx: unknown) => unknown);
  const variables = checkStateDescriptors(`${FIELD}.state`, spec.state);
  const names = variables.map((v) => (v.ttlMs === null ? v.name : `${v.name} ttl ${v.ttlMs}ms`));
  return Object.freeze({
    description: names.length === 0 ? 'process' : `process(${names.join(', ')})`,
    stateShape: { process: Object.fromEntries(variables.map((v) => [v.name, v.kind])) },
    firesByProcessingTime: true,
    inputs: 1 as const,
    isLate: (eventTimeMs: number | null, watermarkMs: number | null) => isLate(behindWatermark, eventTimeMs, watermarkMs),
    apply: (input: KeyedOperatorInput) => applyProcess(input, variables, onValue, onTimer),
  });
}

type Handler = (ctx: ProcessContext<StateDescriptors>) => unknown;

function applyProcess(
  { values, state, watermarkMs, timeMs }: KeyedOperatorInput,
  variables: readonly StateVariable[],
  onValue: (value: unknown, ctx: unknown) => unknown,
  onTimer: ((timer: Timer, ctx: unknown) => unknown) | undefined,
): KeyedOperatorOutcome {
  const keys = new Map<string, { key: string | number; data: KeyData }>();
  const load = (stateKey: string, key: string | number) => {
    let entry = keys.get(stateKey);
    if (entry === undefined) keys.set(stateKey, (entry = { key, data: KeyData.load(state.get(stateKey), variables) }));
    return entry;
  };
  const rows: SinkRow[] = [];
  const failures: KeyedValueFailure[] = [];
  const timerFailures: KeyedTimerFailure[] = [];

  /** Runs a handler on a copy of the key's data; keeps the copy and its rows when it succeeds. Returns the failure, or null. */
  const call = (stateKey: string, eventTimeMs: number | null, defaultKeyPrefix: string, handler: Handler): string | null => {
    const entry = keys.get(stateKey)!;
    const data = entry.data.clone();
    const own: SinkRow[] = [];
    try {
      const ctx = contextOf({ key: entry.key, eventTimeMs, watermarkMs, timeMs, data, variables, defaultKeyPrefix, rows: own });
      const result = handler(ctx);
      if (isThenable(result)) return 'the handler returned a promise: process functions are synchronous';
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
    entry.data = data;
    for (const row of own) rows.push(row);
    return null;
  };

  // 1. Values, in order.
  for (const value of values) {
    const stateKey = JSON.stringify([value.key]); // stateKeyOf(key, null) of keyed-groups.ts, the layout keyed operators share
    load(stateKey, value.key);
    const prefix = `${value.partition}:${value.offset}:${value.index}`;
    const failure = call(stateKey, value.eventTimeMs, prefix, (ctx) => onValue(cloneJson(value.value), ctx));
    if (failure !== null) failures.push({ value, stage: 'process', reason: failure });
  }

  // 2. Due timers of every key of the group (and expired state released: every key is loaded and written back).
  for (const [stateKey] of [...state.entries()]) {
    const key = keyOfStateKey(stateKey);
    if (key !== null) load(stateKey, key);
  }
  const due = new DueTimers();
  for (const [stateKey, { data }] of keys) due.addDue(stateKey, data, watermarkMs, timeMs);
  const fired = new Map<string, number>();
  for (let timer = due.next(); timer !== undefined; timer = due.next()) {
    const entry = keys.get(timer.stateKey)!;
    const timers = timer.domain === 'eventTime' ? entry.data.eventTimers : entry.data.processingTimers;
    if (!timers.has(timer.timestampMs)) continue; // deleted by an earlier handler of its key
    const count = fired.get(timer.stateKey) ?? 0;
    if (count >= MAX_TIMER_FIRINGS_PER_KEY) continue; // stays registered: due again in the next batch
    fired.set(timer.stateKey, count + 1);
    timers.delete(timer.timestampMs);
    if (onTimer !== undefined) {
      const { domain, timestampMs } = timer;
      const eventTimeMs = domain === 'eventTime' ? timestampMs : null;
      const prefix = `${entry.key}#${domain}@${timestampMs}`;
      const failure = call(timer.stateKey, eventTimeMs, prefix, (ctx) => onTimer(Object.freeze({ domain, timestampMs }), ctx));
      if (failure !== null) timerFailures.push({ key: entry.key, domain, timestampMs, stage: 'process', reason: failure });
    }
    due.addDue(timer.stateKey, keys.get(timer.stateKey)!.data, watermarkMs, timeMs);
  }

  // 3. Write every key back (expired values left out), and when the group is next due.
  let dueAtWatermarkMs: number | null = null;
  let dueAtMs: number | null = null;
  const min = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : Math.min(a, b));
  for (const [stateKey, { data }] of keys) {
    const saved = data.save(timeMs);
    const before = state.get(stateKey);
    if (saved === null) {
      if (before !== undefined) state.delete(stateKey);
    } else {
      if (before === undefined || JSON.stringify(before) !== JSON.stringify(saved)) state.put(stateKey, saved);
      for (const t of data.eventTimers) dueAtWatermarkMs = min(dueAtWatermarkMs, t);
      for (const t of data.processingTimers) dueAtMs = min(dueAtMs, t);
      dueAtMs = min(dueAtMs, data.nextExpiry(timeMs));
    }
  }
  return { rows: lastRowPerKey(rows), failures, timerFailures, dueAtWatermarkMs, dueAtMs };
}

/** The key of a `[key]` state key, or null for an entry that is not one. */
function keyOfStateKey(stateKey: string): string | number | null {
  let parsed: JsonValue;
  try {
    parsed = JSON.parse(stateKey) as JsonValue;
  } catch {
    return null;
  }
  if (!Array.isArray(parsed) || parsed.length !== 1) return null;
  const key = parsed[0];
  return typeof key === 'string' || typeof key === 'number' ? key : null;
}

/** A row key written twice in a batch (a user's `{ key }`) keeps its last row, as the sink would. */
function lastRowPerKey(rows: readonly SinkRow[]): SinkRow[] {
  const byKey = new Map<string, SinkRow>();
  for (const row of rows) {
    // A row key is a row of its output's sinks: the same key in two outputs is two rows.
    const id = JSON.stringify([row.output ?? null, row.key]);
    byKey.delete(id);
    byKey.set(id, row);
  }
  return [...byKey.values()];
}

function isThenable(value: unknown): boolean {
  return (
    (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function'
  );
}
