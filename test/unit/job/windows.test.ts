import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JobSpecError } from '../../../engine/errors.js';
import { count, tumbling } from '../../../engine/job/index.js';
import { windowStartOf } from '../../../engine/job/windows.js';
import { job, PartitionRun, recs } from './harness.js';

describe('tumbling windows', () => {
  it('puts a window start in its own window and a window end in the next one', () => {
    const w = tumbling({ sizeMs: 60_000 });
    expect(windowStartOf(w, 0)).toBe(0);
    expect(windowStartOf(w, 59_999)).toBe(0);
    expect(windowStartOf(w, 60_000)).toBe(60_000);
    expect(windowStartOf(w, -1)).toBe(-60_000);
    expect(windowStartOf(w, 1_700_000_000_123)).toBe(1_699_999_980_000);
  });

  it('shifts the grid by offsetMs', () => {
    const w = tumbling({ sizeMs: 100, offsetMs: 30 });
    expect(windowStartOf(w, 29)).toBe(-70);
    expect(windowStartOf(w, 30)).toBe(30);
    expect(windowStartOf(w, 129)).toBe(30);
    expect(windowStartOf(w, 130)).toBe(130);
  });

  it('puts every event time in exactly one window, which contains it', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ min: -1e13, max: 1e13 }), fc.double({ min: -1e13, max: 1e13, noNaN: true })),
        fc
          .integer({ min: 1, max: 1e9 })
          .chain((sizeMs) => fc.record({ sizeMs: fc.constant(sizeMs), offsetMs: fc.integer({ min: 0, max: sizeMs - 1 }) })),
        (t, options) => {
          const w = tumbling(options);
          const start = windowStartOf(w, t);
          // The window is on the grid and contains t: start <= t < start + size.
          expect((((start - w.offsetMs) % w.sizeMs) + w.sizeMs) % w.sizeMs).toBe(0);
          expect(start <= t && t < start + w.sizeMs).toBe(true);
          // Of the grid's windows around it, exactly one contains t, and it is that one.
          const around = [-2, -1, 0, 1, 2].map((i) => start + i * w.sizeMs);
          expect(around.filter((s) => s <= t && t < s + w.sizeMs)).toEqual([start]);
          // Every time in the window maps to the same window.
          expect(windowStartOf(w, start)).toBe(start);
          expect(windowStartOf(w, start + w.sizeMs - 1)).toBe(start);
        },
      ),
      { numRuns: 1_000 },
    );
  });

  it('aggregates values on both sides of a boundary into separate windows', () => {
    const pipeline = job({
      pipeline: (s) =>
        s
          .withWatermark((e) => e.ts, { allowedLatenessMs: 0 })
          .keyBy((e) => e.k)
          .window(tumbling({ sizeMs: 10 }))
          .aggregate(count()),
    }).pipeline;
    const outcome = new PartitionRun(pipeline).batch(recs([9, 10, 19, 20].map((ts) => ({ k: 'a', ts }))));
    expect(outcome.rows).toEqual([
      { key: 'a#0', value: { key: 'a', windowStart: 0, windowEnd: 10, value: 1 } },
      { key: 'a#10', value: { key: 'a', windowStart: 10, windowEnd: 20, value: 2 } },
      { key: 'a#20', value: { key: 'a', windowStart: 20, windowEnd: 30, value: 1 } },
    ]);
  });

  it.each([
    [{ sizeMs: 0 }, 'tumbling().sizeMs must be a positive integer number of milliseconds, got 0'],
    [{ sizeMs: 1.5 }, 'tumbling().sizeMs must be a positive integer number of milliseconds, got 1.5'],
    [{ sizeMs: 10, offsetMs: 10 }, 'tumbling().offsetMs must be an integer in [0, sizeMs = 10), got 10'],
    [{ sizeMs: 10, offsetMs: -1 }, 'tumbling().offsetMs must be an integer in [0, sizeMs = 10), got -1'],
  ])('rejects %j', (options, message) => {
    expect(() => tumbling(options)).toThrow(JobSpecError);
    expect(() => tumbling(options)).toThrow(message);
  });
});
