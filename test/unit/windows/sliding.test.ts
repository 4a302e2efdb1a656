import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JobSpecError } from '../../../engine/errors.js';
import { count, reduce, sliding, tumbling } from '../../../engine/job/index.js';
import { windowStartsOf } from '../../../engine/job/windows.js';
import { job, PartitionRun, recs } from '../job/harness.js';
import { at, PATHS, runOn, windowCounts, wordJob } from './paths.js';

const MIN = 60_000;

/** Spark's documentation example: counts of words in 10-minute windows sliding every 5 minutes, 10 minutes of lateness. */
const wordsPer10MinEvery5 = (path: (typeof PATHS)[number], outputMode: 'update' | 'append' = 'update') =>
  wordJob(path, {
    pipeline: (words) =>
      words
        .withWatermark((w) => w.ts, { allowedLatenessMs: 10 * MIN })
        .keyBy((w) => w.word)
        .window(sliding({ sizeMs: 10 * MIN, slideMs: 5 * MIN }))
        .aggregate(count()),
    outputMode,
  });

describe('sliding windows: which windows a time falls in', () => {
  it('puts a time in every window [start, start + size) on the slide grid that contains it', () => {
    const w = sliding({ sizeMs: 10, slideMs: 5 });
    expect(windowStartsOf(w, 7)).toEqual([0, 5]);
    expect(windowStartsOf(w, 5)).toEqual([0, 5]);
    expect(windowStartsOf(w, 4)).toEqual([-5, 0]);
    expect(windowStartsOf(w, 10)).toEqual([5, 10]);
  });

  it('allows a size that is not a multiple of the slide, as Spark does: 2 or 3 windows of 10 every 4', () => {
    const w = sliding({ sizeMs: 10, slideMs: 4 });
    expect(windowStartsOf(w, 9)).toEqual([0, 4, 8]);
    expect(windowStartsOf(w, 10)).toEqual([4, 8]);
    expect(windowStartsOf(w, 12)).toEqual([4, 8, 12]);
  });

  it('shifts the grid by offsetMs and equals a tumbling window when slide = size', () => {
    expect(windowStartsOf(sliding({ sizeMs: 10, slideMs: 5, offsetMs: 2 }), 7)).toEqual([2, 7]);
    expect(windowStartsOf(sliding({ sizeMs: 10, slideMs: 5, offsetMs: 2 }), 6)).toEqual([-3, 2]);
    fc.assert(
      fc.property(fc.integer({ min: -1e12, max: 1e12 }), fc.integer({ min: 1, max: 1e6 }), (t, size) => {
        expect(windowStartsOf(sliding({ sizeMs: size, slideMs: size }), t)).toEqual(windowStartsOf(tumbling({ sizeMs: size }), t));
      }),
    );
  });

  it('gives every window that contains t and no other', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ min: -1e12, max: 1e12 }), fc.double({ min: -1e12, max: 1e12, noNaN: true })),
        fc
          .integer({ min: 1, max: 1_000 })
          .chain((slide) =>
            fc.record({ slideMs: fc.constant(slide), sizeMs: fc.integer({ min: slide, max: slide * 20 }), offsetMs: fc.nat(slide - 1) }),
          ),
        (t, options) => {
          const w = sliding(options);
          const starts = windowStartsOf(w, t);
          for (const s of starts)
            expect(s <= t && t < s + w.sizeMs && (((s - w.offsetMs) % w.slideMs) + w.slideMs) % w.slideMs === 0).toBe(true);
          // The grid points just outside hold no window of t.
          expect(starts[0]! - w.slideMs + w.sizeMs <= t).toBe(true);
          expect(starts.at(-1)! + w.slideMs > t).toBe(true);
          expect(starts.length).toBeGreaterThanOrEqual(Math.floor(w.sizeMs / w.slideMs));
          expect(starts.length).toBeLessThanOrEqual(Math.ceil(w.sizeMs / w.slideMs));
        },
      ),
      { numRuns: 1_000 },
    );
  });

  it.each([
    [{ sizeMs: 10, slideMs: 11 }, 'sliding().slideMs must be <= sizeMs = 10 (as Spark requires), got 11'],
    [{ sizeMs: 10, slideMs: 2.5 }, 'sliding().slideMs must be a positive integer number of milliseconds, got 2.5'],
    [{ sizeMs: 10, slideMs: 0 }, 'sliding().slideMs must be a positive integer number of milliseconds, got 0'],
    [{ sizeMs: -10, slideMs: 5 }, 'sliding().sizeMs must be a positive integer number of milliseconds, got -10'],
    [{ sizeMs: 10, slideMs: 5, offsetMs: 5 }, 'sliding().offsetMs must be an integer in [0, slideMs = 5), got 5'],
    [{ sizeMs: 100_000, slideMs: 1 }, 'sliding().slideMs gives each value 100000 windows (sizeMs / slideMs), more than the 1000 allowed'],
  ])('rejects %j naming the field', (options, message) => {
    expect(() => sliding(options)).toThrow(JobSpecError);
    expect(() => sliding(options)).toThrow(message);
  });

  it('a sliding window counts what the tumbling panes (size = slide) it covers count together', () => {
    const eventArb = fc.record({ k: fc.constantFrom('a', 'b'), ts: fc.integer({ min: 0, max: 500 }) });
    fc.assert(
      fc.property(
        fc.array(eventArb, { maxLength: 60 }),
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 1, max: 5 }),
        (events, slideMs, panes) => {
          const sizeMs = slideMs * panes;
          const run = (window: ReturnType<typeof sliding> | ReturnType<typeof tumbling>) =>
            new PartitionRun(
              job({
                pipeline: (s) =>
                  s
                    .withWatermark((e) => e.ts, { allowedLatenessMs: 0 })
                    .keyBy((e) => e.k)
                    .window(window)
                    .aggregate(count()),
              }).pipeline,
            ).batch(recs(events));
          const slidingRows = run(sliding({ sizeMs, slideMs })).rows;
          const pane = new Map(run(tumbling({ sizeMs: slideMs })).rows.map((r) => [r.key, r.value.value as number]));
          for (const row of slidingRows) {
            const start = row.value.windowStart as number;
            let total = 0;
            for (let i = 0; i < panes; i += 1) total += pane.get(`${row.value.key}#${start + i * slideMs}`) ?? 0;
            expect(row.value.value).toBe(total);
          }
          // And every value is in `panes` windows.
          expect(slidingRows.reduce((n, r) => n + (r.value.value as number), 0)).toBe(events.length * panes);
        },
      ),
      { numRuns: 300 },
    );
  });
});

for (const path of PATHS) {
  describe(`sliding windows, ${path.name}`, () => {
    it("Spark's guide: a word at 12:07 counts in 12:00-12:10 and 12:05-12:15; a late 12:04 still updates its open windows", async () => {
      const run = runOn(path, wordsPer10MinEvery5(path));
      const first = await run.batch([
        { word: 'cat', ts: at(12, 2) },
        { word: 'dog', ts: at(12, 2) },
        { word: 'dog', ts: at(12, 3) },
        { word: 'dog', ts: at(12, 3) },
        { word: 'owl', ts: at(12, 7) },
        { word: 'cat', ts: at(12, 7) },
      ]);
      expect(windowCounts(first.emitted)).toEqual([
        'cat 11:55-12:05=1',
        'cat 12:00-12:10=2',
        'cat 12:05-12:15=1',
        'dog 11:55-12:05=3',
        'dog 12:00-12:10=3',
        'owl 12:00-12:10=1',
        'owl 12:05-12:15=1',
      ]);
      // "A word generated at 12:04 received at 12:11 should update the older counts": the
      // watermark is 11:57 (12:07 - 10 minutes), both of its windows are open.
      const second = await run.batch([
        { word: 'dog', ts: at(12, 11) },
        { word: 'owl', ts: at(12, 13) },
        { word: 'dog', ts: at(12, 4) },
      ]);
      expect(second.watermarkMs).toBe(at(11, 57));
      expect(second.lateRecords).toBe(0);
      expect(windowCounts(second.emitted)).toEqual([
        'dog 11:55-12:05=4',
        'dog 12:00-12:10=4',
        'dog 12:05-12:15=1',
        'dog 12:10-12:20=1',
        'owl 12:05-12:15=2',
        'owl 12:10-12:20=1',
      ]);
    });

    it("Spark's guide on watermarks: behind the watermark but in an open window is counted; every window closed is late", async () => {
      const run = runOn(path, wordsPer10MinEvery5(path));
      await run.batch([{ word: 'dog', ts: at(12, 14) }]);
      // Watermark 12:04: (12:09, cat) is behind the newest event, its windows are open.
      const second = await run.batch([
        { word: 'cat', ts: at(12, 9) },
        { word: 'dog', ts: at(12, 21) },
      ]);
      expect(second.watermarkMs).toBe(at(12, 4));
      expect(windowCounts(second.emitted)).toEqual(['cat 12:00-12:10=1', 'cat 12:05-12:15=1', 'dog 12:15-12:25=1', 'dog 12:20-12:30=1']);
      // Watermark 12:11: (12:04, donkey) is too late, both of its windows ended (12:05,
      // 12:10 <= 12:11); (12:08, owl) is behind the watermark too, but 12:05-12:15 is open.
      const third = await run.batch([
        { word: 'donkey', ts: at(12, 4) },
        { word: 'owl', ts: at(12, 8) },
      ]);
      expect(third.watermarkMs).toBe(at(12, 11));
      expect(third.lateRecords).toBe(1);
      expect(windowCounts(third.emitted)).toEqual(['owl 12:05-12:15=1']);
      // The state holds only windows still open at 12:11.
      const ends = [...(await run.t.state()).keys()].map((k) => JSON.parse(k.slice(k.indexOf('['))) as [string, number]);
      for (const [, start] of ends) expect(start + 10 * MIN).toBeGreaterThan(at(12, 11));
    });

    it('append mode writes each window once, when the watermark passes its end, with what update mode wrote last', async () => {
      const events = [
        [
          { word: 'cat', ts: at(12, 2) },
          { word: 'dog', ts: at(12, 3) },
          { word: 'owl', ts: at(12, 7) },
        ],
        [
          { word: 'dog', ts: at(12, 14) },
          { word: 'cat', ts: at(12, 4) },
        ],
        [
          { word: 'dog', ts: at(12, 21) },
          { word: 'owl', ts: at(12, 12) },
        ],
        [{ word: 'zzz', ts: at(13, 0) }],
        [],
      ];
      const append = runOn(path, wordsPer10MinEvery5(path, 'append'));
      const update = runOn(path, wordsPer10MinEvery5(path, 'update'));
      const appended: string[] = [];
      for (const batch of events) {
        const a = await append.batch(batch);
        await update.batch(batch);
        for (const row of a.emitted) expect(row.value.windowEnd as number).toBeLessThanOrEqual(a.watermarkMs!);
        appended.push(...windowCounts(a.emitted));
      }
      const lastUpdate = windowCounts(await update.t.sinkRows()).filter((row) => !row.startsWith('zzz'));
      expect(appended.sort()).toEqual(lastUpdate);
      expect(new Set(appended).size).toBe(appended.length);
      expect(appended).toContain('cat 12:00-12:10=2');
    });

    it('with a reduce without merge (values travel one by one), a value goes to each of its open windows', async () => {
      const run = runOn(
        path,
        wordJob(path, {
          pipeline: (words) =>
            words
              .withWatermark((w) => w.ts, { allowedLatenessMs: 0 })
              .keyBy((w) => w.word)
              .window(sliding({ sizeMs: 10 * MIN, slideMs: 5 * MIN }))
              .aggregate(reduce<{ ts: number }, number[]>({ initial: [], add: (acc, w) => [...acc, w.ts].sort() })),
        }),
      );
      await run.batch([{ word: 'a', ts: at(12, 12) }]);
      // Watermark 12:12: 12:08 falls in 12:00-12:10 (closed) and 12:05-12:15 (open).
      const second = await run.batch([{ word: 'a', ts: at(12, 8) }]);
      expect(second.lateRecords).toBe(0);
      expect(second.emitted.map((r) => [r.value.windowStart, r.value.value])).toEqual([[at(12, 5), [at(12, 8), at(12, 12)]]]);
    });
  });
}
