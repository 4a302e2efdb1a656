/**
 * A process function's operator (engine/job/process/process-function.ts) on one key
 * group's input, directly: the order of values and timers, timers registered while
 * firing, the per-key cap, failing timers, and determinism of a batch run twice.
 */
import { describe, expect, it } from 'vitest';
import { TrackedState } from '../../../engine/executor/tracked-state.js';
import type { KeyedOperatorInput, KeyedValue } from '../../../engine/job/keyed-operator.js';
import { MAX_TIMER_FIRINGS_PER_KEY, type ProcessFunction, processOperator } from '../../../engine/job/process/process-function.js';
import { listState, type StateDescriptors, valueState } from '../../../engine/job/process/state-descriptors.js';
import type { JsonValue } from '../../../engine/json.js';

const value = (key: string | number, v: JsonValue, offset: number, eventTimeMs: number | null = null): KeyedValue => ({
  key,
  value: v,
  eventTimeMs,
  partition: 'p0',
  offset: String(offset),
  index: 0,
  side: 0,
});

function run<S extends StateDescriptors>(
  fn: ProcessFunction<unknown, S>,
  input: Omit<KeyedOperatorInput, 'state'>,
  base: Map<string, JsonValue> = new Map(),
) {
  const state = new TrackedState(base);
  const outcome = processOperator(fn).apply({ ...input, state });
  return { outcome, state: state.materialize() };
}

describe('process function timers', () => {
  it('handles the values first, in order, then the due timers: event time by timestamp across keys (ties by key), then processing time (Spark’s handleInputRows, then handleExpiredTimer)', () => {
    const log: string[] = [];
    const fn: ProcessFunction<unknown, StateDescriptors> = {
      onValue(v, ctx) {
        log.push(`value ${ctx.key} ${JSON.stringify(v)}`);
        for (const t of (v as { e?: number[] }).e ?? []) ctx.timers.registerEventTimeTimer(t);
        for (const t of (v as { p?: number[] }).p ?? []) ctx.timers.registerProcessingTimeTimer(t);
      },
      onTimer(timer, ctx) {
        log.push(`${timer.domain} ${timer.timestampMs} ${ctx.key} eventTime=${ctx.eventTimeMs}`);
      },
    };
    const values = [value('b', { e: [30, 10, 99] }, 1), value('a', { e: [10, 20], p: [5] }, 2), value('c', { p: [1, 7] }, 3)];
    const { outcome, state } = run(fn, { values, watermarkMs: 30, timeMs: 6 });
    expect(log).toEqual([
      'value b {"e":[30,10,99]}',
      'value a {"e":[10,20],"p":[5]}',
      'value c {"p":[1,7]}',
      'eventTime 10 a eventTime=10',
      'eventTime 10 b eventTime=10',
      'eventTime 20 a eventTime=20',
      'eventTime 30 b eventTime=30',
      'processingTime 1 c eventTime=null',
      'processingTime 5 a eventTime=null',
    ]);
    expect(Object.fromEntries(state)).toEqual({ '["b"]': { e: [99] }, '["c"]': { p: [7] } });
    expect(outcome.dueAtWatermarkMs).toBe(99);
    expect(outcome.dueAtMs).toBe(7);
  });

  it('keeps one timer per (domain, timestamp) per key, as Flink: registering twice fires once; a deleted timer does not fire', () => {
    const fired: number[] = [];
    const fn: ProcessFunction<unknown, StateDescriptors> = {
      onValue(_v, ctx) {
        ctx.timers.registerEventTimeTimer(5);
        ctx.timers.registerEventTimeTimer(5);
        ctx.timers.registerEventTimeTimer(6);
        ctx.timers.deleteEventTimeTimer(6);
        ctx.timers.deleteProcessingTimeTimer(6); // not there: nothing happens
        expect(ctx.timers.list()).toEqual([{ domain: 'eventTime', timestampMs: 5 }]);
      },
      onTimer: (timer) => void fired.push(timer.timestampMs),
    };
    run(fn, { values: [value('a', 1, 1)], watermarkMs: 10, timeMs: 0 });
    expect(fired).toEqual([5]);
  });

  it('fires a timer registered while firing that is already due in the same batch, and at most MAX_TIMER_FIRINGS_PER_KEY per key; the rest stay due', () => {
    const fn: ProcessFunction<unknown, { n: ReturnType<typeof valueState<number>> }> = {
      state: { n: valueState<number>() },
      onValue(_v, ctx) {
        ctx.timers.registerEventTimeTimer(0);
      },
      onTimer(timer, ctx) {
        ctx.state.n.set((ctx.state.n.get() ?? 0) + 1);
        if (timer.timestampMs < 1_000_000) ctx.timers.registerEventTimeTimer(timer.timestampMs + 1); // due at once: a chain
      },
    };
    const first = run(fn, { values: [value('a', 1, 1)], watermarkMs: 1_000_000, timeMs: 0 });
    expect(first.state.get('["a"]')).toEqual({ s: { n: { v: MAX_TIMER_FIRINGS_PER_KEY } }, e: [MAX_TIMER_FIRINGS_PER_KEY] });
    expect(first.outcome.dueAtWatermarkMs).toBe(MAX_TIMER_FIRINGS_PER_KEY); // due: the group runs again next batch
    const second = run(fn, { values: [], watermarkMs: 1_000_000, timeMs: 0 }, first.state);
    expect(second.state.get('["a"]')).toEqual({ s: { n: { v: 2 * MAX_TIMER_FIRINGS_PER_KEY } }, e: [2 * MAX_TIMER_FIRINGS_PER_KEY] });
  });

  it('drops a timer whose handler throws, with every effect of that call, and reports it as a timer failure; the other timers fire', () => {
    const fn: ProcessFunction<unknown, { log: ReturnType<typeof listState<number>> }> = {
      state: { log: listState<number>() },
      onValue(_v, ctx) {
        ctx.timers.registerProcessingTimeTimer(1);
        ctx.timers.registerProcessingTimeTimer(2);
      },
      onTimer(timer, ctx) {
        ctx.state.log.add(timer.timestampMs);
        ctx.emit({ t: timer.timestampMs });
        ctx.timers.registerProcessingTimeTimer(100);
        if (timer.timestampMs === 1) throw new Error('boom');
      },
    };
    const { outcome, state } = run(fn, { values: [value('a', 1, 1)], watermarkMs: null, timeMs: 5 });
    expect(outcome.rows).toEqual([{ key: 'a#processingTime@2:0', value: { t: 2 } }]);
    expect(outcome.failures).toEqual([]);
    expect(outcome.timerFailures).toEqual([{ key: 'a', domain: 'processingTime', timestampMs: 1, stage: 'process', reason: 'boom' }]);
    expect(state.get('["a"]')).toEqual({ s: { log: [{ v: 2 }] }, p: [100] });
  });

  it('gives the same rows, state and due times when a batch runs twice on the same input (determinism)', () => {
    const fn: ProcessFunction<unknown, { seen: ReturnType<typeof listState<JsonValue>> }> = {
      state: { seen: listState<JsonValue>({ ttlMs: 50 }) },
      onValue(v, ctx) {
        ctx.state.seen.add(v as JsonValue);
        ctx.emit(v);
        ctx.emit({ n: 1 }, { key: `k-${ctx.key}` });
        ctx.timers.registerEventTimeTimer((v as number) * 10);
      },
      onTimer(timer, ctx) {
        ctx.emit({ fired: timer.timestampMs, key: ctx.key });
      },
    };
    const base = new Map<string, JsonValue>([['["z"]', { s: { seen: [{ v: 0, x: 3 }] }, e: [1] }]]);
    const input = { values: [value('x', 1, 1), value(7, 2, 2), value('x', 3, 3)], watermarkMs: 20, timeMs: 4 };
    const a = run(fn, input, base);
    const b = run(fn, input, base);
    expect(b).toEqual(a);
    expect(a.outcome.rows.map((r) => r.key).sort()).toEqual([
      '7#eventTime@20:0',
      'k-7',
      'k-x',
      'p0:1:0:0',
      'p0:2:0:0',
      'p0:3:0:0',
      'x#eventTime@10:0',
      'z#eventTime@1:0',
    ]);
    expect(a.state.get('["z"]')).toBeUndefined(); // its value expired (x = 3 <= 4) and its timer fired
    expect(a.state.get('["x"]')).toEqual({
      s: {
        seen: [
          { v: 1, x: 54 },
          { v: 3, x: 54 },
        ],
      },
      e: [30],
    });
    expect(a.outcome.dueAtMs).toBe(54);
  });
});
