import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { count, sum, tumbling, type OutputMode } from '../../../engine/job/index.js';
import { nextWatermark } from '../../../engine/protocol/watermark.js';
import { job, PartitionRun, recs, rowsByKey } from './harness.js';

/** Page views per 10 ms window, 5 ms allowed lateness. */
function pageViews(outputMode: OutputMode) {
  return job({
    outputMode,
    pipeline: (s) =>
      s
        .withWatermark((e) => e.ts, { allowedLatenessMs: 5 })
        .keyBy((e) => e.page)
        .window(tumbling({ sizeMs: 10 }))
        .aggregate(count()),
  }).pipeline;
}

const view = (page: string, ts: number) => ({ page, ts });

describe('update mode', () => {
  it('emits the absolute value of every window that received values in the batch, and only those', () => {
    const run = new PartitionRun(pageViews('update'));
    const b1 = run.batch(recs([view('a', 1), view('a', 2), view('b', 3), view('a', 12)]), null);
    expect(rowsByKey(b1)).toEqual({
      'a#0': { key: 'a', windowStart: 0, windowEnd: 10, value: 2 },
      'a#10': { key: 'a', windowStart: 10, windowEnd: 20, value: 1 },
      'b#0': { key: 'b', windowStart: 0, windowEnd: 10, value: 1 },
    });
    // The plan's watermark for batch 2 would be 12 - 5 = 7: no window has ended yet.
    const b2 = run.batch(recs([view('a', 8)], 10), 7);
    expect(rowsByKey(b2)).toEqual({ 'a#0': { key: 'a', windowStart: 0, windowEnd: 10, value: 3 } });
    expect(run.stateObject()).toEqual({ '["a",0]': 3, '["a",10]': 1, '["b",0]': 1 });
  });

  it('evicts windows whose end is at or below the watermark, and emits nothing for them', () => {
    const run = new PartitionRun(pageViews('update'));
    run.batch(recs([view('a', 1), view('b', 9), view('a', 15)]), null);
    const b2 = run.batch(recs([view('c', 25)], 10), 10);
    expect(rowsByKey(b2)).toEqual({ 'c#20': { key: 'c', windowStart: 20, windowEnd: 30, value: 1 } });
    expect(run.stateObject()).toEqual({ '["a",10]': 1, '["c",20]': 1 });
    // A value for an evicted window is late: it can never reopen the window.
    const b3 = run.batch(recs([view('a', 9), view('a', 19)], 20), 19);
    expect(b3.lateRecords).toBe(1);
    expect(rowsByKey(b3)).toEqual({ 'a#10': { key: 'a', windowStart: 10, windowEnd: 20, value: 2 } });
  });

  it('emits a window that received a value even when its aggregate came out the same', () => {
    const pipeline = job({
      pipeline: (s) =>
        s
          .withWatermark((e) => e.ts, { allowedLatenessMs: 0 })
          .keyBy((e) => e.k)
          .window(tumbling({ sizeMs: 10 }))
          .aggregate(sum((e) => e.n)),
    }).pipeline;
    const run = new PartitionRun(pipeline);
    run.batch(recs([{ k: 'a', n: 5, ts: 1 }]));
    expect(run.batch(recs([{ k: 'a', n: 0, ts: 2 }], 2), 1).rows).toEqual([
      { key: 'a#0', value: { key: 'a', windowStart: 0, windowEnd: 10, value: 5 } },
    ]);
  });
});

describe('append mode', () => {
  it('emits each window exactly once, when the watermark passes its end, with its final value', () => {
    const run = new PartitionRun(pageViews('append'));
    const emitted: string[] = [];
    const batches: [Parameters<typeof view>[], number | null][] = [
      [
        [
          ['a', 1],
          ['a', 2],
          ['b', 3],
          ['a', 12],
        ],
        null,
      ],
      [
        [
          ['a', 8],
          ['b', 14],
        ],
        7,
      ], // watermark 7: nothing closed yet
      [[['a', 27]], 9], // watermark 9: still nothing, [0, 10) ends at 10
      [[['c', 31]], 22], // watermark 22: [0, 10) and [10, 20) close
      [[], 40], // watermark 40: [20, 30) and [30, 40) close
      [[], 50], // nothing left
    ];
    const outcomes = batches.map(([views, watermark], i) =>
      run.batch(
        recs(
          views.map(([page, ts]) => view(page, ts)),
          100 * i,
        ),
        watermark,
      ),
    );
    for (const o of outcomes) emitted.push(...o.rows.map((r) => r.key));
    expect(outcomes.map((o) => o.rows.length)).toEqual([0, 0, 0, 4, 2, 0]);
    expect(rowsByKey(outcomes[3]!)).toEqual({
      'a#0': { key: 'a', windowStart: 0, windowEnd: 10, value: 3 },
      'a#10': { key: 'a', windowStart: 10, windowEnd: 20, value: 1 },
      'b#0': { key: 'b', windowStart: 0, windowEnd: 10, value: 1 },
      'b#10': { key: 'b', windowStart: 10, windowEnd: 20, value: 1 },
    });
    expect(rowsByKey(outcomes[4]!)).toEqual({
      'a#20': { key: 'a', windowStart: 20, windowEnd: 30, value: 1 },
      'c#30': { key: 'c', windowStart: 30, windowEnd: 40, value: 1 },
    });
    expect(new Set(emitted).size).toBe(emitted.length);
    expect(run.state.size).toBe(0);
  });

  it('keeps open windows in state and removes a window from state when it emits it', () => {
    const run = new PartitionRun(pageViews('append'));
    run.batch(recs([view('a', 5), view('a', 15)]), null);
    expect(run.stateObject()).toEqual({ '["a",0]': 1, '["a",10]': 1 });
    const b2 = run.batch([], 10);
    expect(b2.rows.map((r) => r.key)).toEqual(['a#0']);
    expect(run.stateObject()).toEqual({ '["a",10]': 1 });
  });

  it('emits a window updated across several batches once, with its final value', () => {
    const run = new PartitionRun(pageViews('append'));
    // 9 is accepted (watermark 5), its window [0, 10) stays open: end 10 > 5.
    const b1 = run.batch(recs([view('a', 9)]), 5);
    expect(b1.rows).toEqual([]);
    const b2 = run.batch(recs([view('a', 6)], 2), 6);
    expect(b2.rows).toEqual([]);
    const b3 = run.batch([], 10);
    expect(b3.rows).toEqual([{ key: 'a#0', value: { key: 'a', windowStart: 0, windowEnd: 10, value: 2 } }]);
  });
});

describe('running aggregates per key (no window)', () => {
  it('emits { key, value } rows keyed by the key and keeps state forever', () => {
    const pipeline = job({
      pipeline: (s) =>
        s
          .withWatermark((e) => e.ts, { allowedLatenessMs: 0 })
          .keyBy((e) => e.user)
          .aggregate(count()),
    }).pipeline;
    const run = new PartitionRun(pipeline);
    const b1 = run.batch(
      recs([
        { user: 'u1', ts: 1 },
        { user: 42, ts: 2 },
        { user: 'u1', ts: 3 },
      ]),
    );
    expect(b1.rows).toEqual([
      { key: '42', value: { key: 42, value: 1 } },
      { key: 'u1', value: { key: 'u1', value: 2 } },
    ]);
    const b2 = run.batch(recs([{ user: 'u1', ts: 1_000 }], 5), 1_000);
    expect(b2.rows).toEqual([{ key: 'u1', value: { key: 'u1', value: 3 } }]);
    expect(run.stateObject()).toEqual({ '["u1"]': 3, '[42]': 1 });
  });
});

describe('update and append over a stream of batches', () => {
  it('agree on every closed window: append emits it once with the last value update emitted', () => {
    const batchArb = fc.array(fc.record({ page: fc.constantFrom('a', 'b'), ts: fc.integer({ min: 0, max: 200 }) }), {
      maxLength: 8,
    });
    fc.assert(
      fc.property(fc.array(batchArb, { minLength: 1, maxLength: 12 }), (batches) => {
        const update = new PartitionRun(pageViews('update'));
        const append = new PartitionRun(pageViews('append'));
        const lastUpdate = new Map<string, unknown>();
        const appended = new Map<string, unknown>();
        const accepted = new Map<string, number>();
        let watermark: number | null = null;
        let maxEventTime: number | null = null;
        let offset = 1;
        // Two empty batches at the end with a far watermark close every window.
        for (const [i, views] of [...batches, [], []].entries()) {
          const records = recs(views, offset);
          offset += views.length;
          const finalBatch = i >= batches.length;
          const wm = finalBatch ? 1_000 : watermark;
          const u = update.batch(records, wm);
          const a = append.batch(records, wm);
          expect(a.lateRecords).toBe(u.lateRecords);
          for (const v of views) {
            // Late only when the value's window has ended at the watermark (Spark's rule).
            const windowStart = Math.floor(v.ts / 10) * 10;
            if (wm === null || windowStart + 10 > wm) {
              const key = `${v.page}#${windowStart}`;
              accepted.set(key, (accepted.get(key) ?? 0) + 1);
            }
          }
          for (const row of u.rows) lastUpdate.set(row.key, row.value);
          for (const row of a.rows) {
            expect(appended.has(row.key)).toBe(false);
            appended.set(row.key, row.value);
          }
          if (u.maxEventTimeMs !== null) maxEventTime = Math.max(maxEventTime ?? -Infinity, u.maxEventTimeMs);
          watermark = nextWatermark(watermark, maxEventTime, 5);
        }
        expect(appended).toEqual(lastUpdate);
        expect(new Map([...appended].map(([k, v]) => [k, (v as { value: number }).value]))).toEqual(accepted);
        expect(append.state.size).toBe(0);
        expect(update.state.size).toBe(0);
      }),
      { numRuns: 200 },
    );
  });
});
