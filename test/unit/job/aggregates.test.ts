import { describe, expect, it } from 'vitest';
import { TrackedState } from '../../../engine/executor/tracked-state.js';
import { JobSpecError } from '../../../engine/errors.js';
import type { JsonValue } from '../../../engine/json.js';
import { count, max, min, reduce, sum, tumbling } from '../../../engine/job/index.js';
import { job, PartitionRun, recs, rowsByKey } from './harness.js';

const orders = [
  { shop: 's1', amount: 30, item: 'pen', ts: 1 },
  { shop: 's1', amount: -5, item: 'refund', ts: 2 },
  { shop: 's2', amount: 12.5, item: 'ink', ts: 3 },
  { shop: 's1', amount: 100, item: 'desk', ts: 4 },
];

describe('aggregates', () => {
  it.each([
    ['count', count(), { s1: 3, s2: 1 }],
    ['sum', sum((o: any) => o.amount), { s1: 125, s2: 12.5 }],
    ['min', min((o: any) => o.amount), { s1: -5, s2: 12.5 }],
    ['max', max((o: any) => o.amount), { s1: 100, s2: 12.5 }],
    [
      'reduce',
      reduce({ initial: '', add: (acc: string, o: any) => (acc ? `${acc},${o.item}` : o.item) }),
      { s1: 'pen,refund,desk', s2: 'ink' },
    ],
  ])('computes %s per key', (_name, aggregate, expected) => {
    const outcome = new PartitionRun(job({ pipeline: (s) => s.keyBy((o) => o.shop).aggregate(aggregate) }).pipeline).batch(recs(orders));
    expect(Object.fromEntries(outcome.rows.map((r) => [r.key, r.value.value]))).toEqual(expected);
  });

  it('continues from the accumulator in state across batches', () => {
    const run = new PartitionRun(
      job({ pipeline: (s) => s.keyBy((o) => o.shop).aggregate({ lo: min((o) => o.amount), hi: max((o) => o.amount) }) }).pipeline,
    );
    run.batch(recs(orders.slice(0, 2)));
    const b2 = run.batch(recs(orders.slice(2), 3));
    expect(rowsByKey(b2)).toEqual({ s1: { key: 's1', lo: -5, hi: 100 }, s2: { key: 's2', lo: 12.5, hi: 12.5 } });
  });

  it('writes named aggregates as fields of a window row', () => {
    const pipeline = job({
      pipeline: (s) =>
        s
          .withWatermark((o) => o.ts, { allowedLatenessMs: 0 })
          .keyBy((o) => o.shop)
          .window(tumbling({ sizeMs: 3 }))
          .aggregate({
            orders: count(),
            revenue: sum((o) => o.amount),
            items: reduce({ initial: [] as string[], add: (acc, o) => [...acc, o.item] }),
          }),
    }).pipeline;
    const run = new PartitionRun(pipeline);
    const outcome = run.batch(recs(orders));
    expect(rowsByKey(outcome)).toEqual({
      's1#0': { key: 's1', windowStart: 0, windowEnd: 3, orders: 2, revenue: 25, items: ['pen', 'refund'] },
      's1#3': { key: 's1', windowStart: 3, windowEnd: 6, orders: 1, revenue: 100, items: ['desk'] },
      's2#3': { key: 's2', windowStart: 3, windowEnd: 6, orders: 1, revenue: 12.5, items: ['ink'] },
    });
    expect(run.state.get('["s1",0]')).toEqual({ orders: 2, revenue: 25, items: ['pen', 'refund'] });
  });

  it('lets reduce mutate its accumulator without touching the base state or earlier rows', () => {
    const pipeline = job({
      pipeline: (s) =>
        s
          .keyBy((o) => o.shop)
          .aggregate(
            reduce({
              initial: { items: [] as string[] },
              add: (acc, o) => {
                acc.items.push(o.item);
                return acc;
              },
            }),
          ),
    }).pipeline;
    const base = new Map<string, JsonValue>([['["s1"]', { items: ['old'] }]]);
    const frozenBase = structuredClone(base);
    const state = new TrackedState(base);
    const outcome = pipeline.run({ records: recs(orders), state, watermarkMs: null, timeMs: 0, batchId: 2, partition: 'shard-0' });
    expect(base).toEqual(frozenBase);
    expect(rowsByKey(outcome).s1).toEqual({ key: 's1', value: { items: ['old', 'pen', 'refund', 'desk'] } });
    expect(state.get('["s2"]')).toEqual({ items: ['ink'] });
    // Rows and state do not share objects: changing one leaves the other as it was.
    (outcome.rows[0]!.value.value as { items: string[] }).items.push('mutated');
    expect(state.get('["s1"]')).toEqual({ items: ['old', 'pen', 'refund', 'desk'] });
  });

  it('fails the record when reduce returns something that is not JSON', () => {
    const pipeline = job({
      pipeline: (s) => s.keyBy((o) => o.shop).aggregate(reduce({ initial: 0, add: (acc, o) => (o.item === 'ink' ? Number.NaN : acc + 1) })),
    }).pipeline;
    const outcome = new PartitionRun(pipeline).batch(recs(orders));
    expect(outcome.failures.map((f) => [f.stage, f.reason])).toEqual([
      ['aggregate', "TypeError: reduce()'s accumulator is NaN, which is not JSON"],
    ]);
    expect(rowsByKey(outcome)).toEqual({ s1: { key: 's1', value: 3 } });
  });

  it.each([
    ['min', () => min((o: any) => o.amount)],
    ['max', () => max((o: any) => o.amount)],
  ])('fails the record when %s gets something that is not a finite number', (name, make) => {
    const outcome = new PartitionRun(job({ pipeline: (s) => s.keyBy((o) => o.shop).aggregate(make()) }).pipeline).batch(
      recs([
        { shop: 'x', amount: 1 },
        { shop: 'x', amount: null },
      ]),
    );
    expect(outcome.failures.map((f) => f.reason)).toEqual([`TypeError: ${name}() needs a finite number, the function returned null`]);
    expect(outcome.rows[0]?.value.value).toBe(1);
  });

  it('fails the record when a sum overflows', () => {
    const outcome = new PartitionRun(job({ pipeline: (s) => s.keyBy(() => 'k').aggregate(sum((o) => o.n)) }).pipeline).batch(
      recs([{ n: Number.MAX_VALUE }, { n: Number.MAX_VALUE }]),
    );
    expect(outcome.failures.map((f) => f.reason)).toEqual(['RangeError: sum() overflowed to Infinity']);
    expect(outcome.rows[0]?.value.value).toBe(Number.MAX_VALUE);
  });

  it('rejects named aggregates that would overwrite row fields, empty ones and non-aggregates', () => {
    const define = (aggregate: any) => () => job({ pipeline: (s) => s.keyBy((o) => o.k).aggregate(aggregate) });
    expect(define({ key: count() })).toThrow('aggregate().key is a reserved name');
    expect(define({ windowStart: count() })).toThrow(JobSpecError);
    expect(define({})).toThrow('aggregate() needs at least one aggregate, got {}');
    expect(define({ n: 1 })).toThrow('aggregate().n must be an aggregate (count(), sum(fn), min(fn), max(fn), reduce(...)), got 1');
    expect(define({ kind: 'count', initial: () => 0, add: () => 1, result: () => 1 })).toThrow('aggregate().kind must be an aggregate');
  });

  it('rejects a reduce whose initial value is not JSON', () => {
    expect(() => reduce({ initial: new Map(), add: (acc) => acc })).toThrow(
      'reduce().initial must be JSON: initial is a Map, which is not JSON (use a plain object)',
    );
    expect(() => reduce({ initial: undefined, add: (acc) => acc })).toThrow('reduce().initial must be JSON');
  });
});
