import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JobSpecError } from '../../../engine/errors.js';
import {
  count,
  defineJob,
  max,
  memorySink,
  memorySource,
  reduce,
  session,
  sliding,
  sum,
  type AggregateSpec,
} from '../../../engine/job/index.js';
import { keyOfStateKey } from '../../../engine/job/keyed-groups.js';
import { regroupEntries } from '../../../engine/replay/regroup-entries.js';
import { job } from '../job/harness.js';
import { PATHS, runOn, wordJob, type Path, type WordEvent } from './paths.js';

const S = 1_000;

/** Spark's StreamingSessionWindowSuite: sessions of words with a 10-second gap and 30 seconds of lateness. */
const sessionsOfWords = (path: Path, outputMode: 'update' | 'append') =>
  wordJob(path, {
    pipeline: (words) =>
      words
        .withWatermark((w) => w.ts, { allowedLatenessMs: 30 * S })
        .keyBy((w) => w.word)
        .window(session({ gapMs: 10 * S }))
        .aggregate(count()),
    outputMode,
  });

/** One record per word of the line, all at `seconds`. */
const line = (text: string, seconds: number): WordEvent[] => text.split(' ').map((word) => ({ word, ts: seconds * S }));

/** Rows as `word start-end=count`, in seconds, sorted. */
const sessions = (rows: readonly { value: Record<string, unknown> }[]) =>
  rows.map(({ value: v }) => `${v.key} ${(v.windowStart as number) / S}-${(v.windowEnd as number) / S}=${v.value}`).sort();

describe('session windows: the spec', () => {
  it('refuses, at defineJob, an aggregate without a merge after a session window', () => {
    const define = (aggregate: AggregateSpec<any>) =>
      job({
        pipeline: (s) =>
          s
            .withWatermark((e) => e.ts, { allowedLatenessMs: 0 })
            .keyBy((e) => e.k)
            .window(session({ gapMs: 10 }))
            .aggregate(aggregate),
      });
    expect(() => define(reduce({ initial: 0, add: (a: number) => a + 1 }))).toThrow(JobSpecError);
    expect(() => define(reduce({ initial: 0, add: (a: number) => a + 1 }))).toThrow(
      'pipeline: aggregate() after a session window needs an aggregate with a merge, to combine sessions a value bridges: reduce has none',
    );
    expect(() => define({ n: count(), r: reduce({ initial: 0, add: (a: number) => a + 1 }) })).toThrow('has none');
    expect(
      define(reduce({ initial: 0, add: (a: number) => a + 1, merge: (a: number, b: number) => a + b })).pipeline.description,
    ).toContain('window(session gap 10ms)');
    expect(define({ n: count(), total: sum((e: { v: number }) => e.v), hi: max((e: { v: number }) => e.v) })).toBeDefined();
  });

  it.each([
    [{ gapMs: 0 }, 'session().gapMs must be a positive integer number of milliseconds, got 0'],
    [{ gapMs: 1.5 }, 'session().gapMs must be a positive integer number of milliseconds, got 1.5'],
    [{}, 'session().gapMs must be a positive integer number of milliseconds, got undefined'],
  ])('rejects %j naming the field', (options, message) => {
    expect(() => session(options as { gapMs: number })).toThrow(message);
  });
});

for (const path of PATHS) {
  describe(`session windows, ${path.name}`, () => {
    it("Spark's StreamingSessionWindowSuite 'append mode - session window': sessions merge, a late value is dropped, each emitted once", async () => {
      const run = runOn(path, sessionsOfWords(path, 'append'));
      const first = await run.batch([...line('hello world spark streaming', 40), ...line('world hello structured streaming', 41)]);
      expect(first.emitted).toEqual([]);
      // Placing new sessions before the previous ones (watermark 11).
      const second = await run.batch(line('spark streaming', 25));
      expect(second.watermarkMs).toBe(11 * S);
      expect(second.emitted).toEqual([]);
      // A session [0, 10) would end at or before the watermark 11: both values are late.
      const third = await run.batch(line('spark streaming', 0));
      expect(third.lateRecords).toBe(2);
      // 30 bridges [25, 35) and [40, 50): one session [25, 50).
      expect((await run.batch(line('spark streaming', 30))).emitted).toEqual([]);
      expect((await run.batch(line('hello apache spark', 60))).emitted).toEqual([]);
      const sixth = await run.batch(line('structured streaming', 90));
      expect(sixth.watermarkMs).toBe(30 * S);
      expect(sixth.emitted).toEqual([]);
      // Watermark 60: the sessions that ended by then, once.
      const seventh = await run.batch();
      expect(seventh.watermarkMs).toBe(60 * S);
      expect(sessions(seventh.emitted)).toEqual([
        'hello 40-51=2',
        'spark 25-50=3',
        'streaming 25-51=4',
        'structured 41-51=1',
        'world 40-51=2',
      ]);
      // Still open: hello, apache, spark at [60, 70), structured and streaming at [90, 100).
      const state = [...(await run.t.state()).values()].flatMap((v) =>
        (v as { s: number; e: number }[]).map((x) => `${x.s / S}-${x.e / S}`),
      );
      expect(state.sort()).toEqual(['60-70', '60-70', '60-70', '90-100', '90-100']);
      expect((await run.batch()).emitted).toEqual([]);
    });

    it('update mode writes the sessions a batch changed; the row of a session merged into an earlier one stays as it was', async () => {
      const run = runOn(path, sessionsOfWords(path, 'update'));
      const first = await run.batch(line('spark', 40));
      expect(sessions(first.emitted)).toEqual(['spark 40-50=1']);
      expect(sessions((await run.batch(line('spark', 25))).emitted)).toEqual(['spark 25-35=1']);
      // 30 bridges [25, 35) and [40, 50): the merged session is written under its start, 25.
      const third = await run.batch(line('spark', 30));
      expect(sessions(third.emitted)).toEqual(['spark 25-50=3']);
      // The sink has no retraction: the row of [40, 50) keeps its last value (Spark refuses
      // update mode for session windows for this reason, SPARK-36463).
      expect(sessions(await run.t.sinkRows())).toEqual(['spark 25-50=3', 'spark 40-50=1']);
    });

    it('gives the same sessions whatever order values arrive in within the allowed lateness', async () => {
      const eventArb = fc.record({ word: fc.constantFrom('a', 'bb'), ts: fc.integer({ min: 0, max: 400 }) });
      const gap = 25;
      await fc.assert(
        fc.asyncProperty(
          fc.array(eventArb, { minLength: 1, maxLength: 30 }),
          fc.array(fc.nat(), { maxLength: 30 }),
          fc.array(fc.nat(4), { maxLength: 30 }),
          async (events, order, cuts) => {
            // A permutation of the events, cut into batches.
            const shuffled = events
              .map((e, i) => ({ e, r: order[i] ?? i }))
              .sort((x, y) => x.r - y.r)
              .map((x) => x.e);
            const run = runOn(
              path,
              wordJob(path, {
                pipeline: (words) =>
                  words
                    .withWatermark((w) => w.ts, { allowedLatenessMs: 1_000 })
                    .keyBy((w) => w.word)
                    .window(session({ gapMs: gap }))
                    .aggregate(count()),
                outputMode: 'append',
              }),
            );
            const emitted: string[] = [];
            let i = 0;
            for (const cut of cuts) {
              const batch = await run.batch(shuffled.slice(i, i + cut));
              i += cut;
              expect(batch.lateRecords).toBe(0);
              emitted.push(...sessions(batch.emitted));
            }
            for (const batch of [await run.batch(shuffled.slice(i)), await run.batch([{ word: 'zzz', ts: 10_000 }]), await run.batch()]) {
              expect(batch.lateRecords).toBe(0);
              emitted.push(...sessions(batch.emitted));
            }
            expect(emitted.sort()).toEqual(referenceSessions(events, gap));
          },
        ),
        { numRuns: 25 },
      );
    });
  });
}

/** Sessions computed from all events at once, sorted by time: a value within `gap` of the session's last one joins it. */
function referenceSessions(events: readonly WordEvent[], gap: number): string[] {
  const out: string[] = [];
  for (const word of new Set(events.map((e) => e.word))) {
    const times = events
      .filter((e) => e.word === word)
      .map((e) => e.ts)
      .sort((a, b) => a - b);
    let start = times[0]!;
    let end = start + gap;
    let n = 0;
    for (const t of times) {
      if (t > end) {
        out.push(`${word} ${start / S}-${end / S}=${n}`);
        start = t;
        n = 0;
      }
      end = Math.max(end, t + gap);
      n += 1;
    }
    out.push(`${word} ${start / S}-${end / S}=${n}`);
  }
  return out.sort();
}

describe('session windows in a regroup (a replay into key groups)', () => {
  it("merges the sessions partitions kept of one key, as stage 2 merges partitions' sessions, and finds when they are due", () => {
    const sessionJob = defineJob<{ user: string; ts: number }>({
      name: 'sessions',
      version: 1,
      source: memorySource({ streamName: 'in' }),
      sink: memorySink({ name: 'out' }),
      pipeline: (s) =>
        s
          .withWatermark((e) => e.ts, { allowedLatenessMs: 0 })
          .keyBy((e) => e.user)
          .window(session({ gapMs: 10 }))
          .aggregate(count()),
      keyGroups: 2,
    });
    const regrouped = regroupEntries({
      jobId: 'j',
      keyGroups: 2,
      pipeline: sessionJob.pipeline,
      scopes: [
        {
          scope: 'shard-0',
          entries: new Map([
            [
              '["u"]',
              [
                { s: 0, e: 10, a: 1 },
                { s: 30, e: 45, a: 2 },
              ],
            ],
          ]),
        },
        {
          scope: 'shard-1',
          entries: new Map([
            [
              '["u"]',
              [
                { s: 8, e: 25, a: 3 },
                { s: 60, e: 70, a: 1 },
              ],
            ],
          ]),
        },
      ],
    });
    expect(regrouped.mergedKeys).toBe(1);
    const [group] = [...regrouped.groups.values()];
    // [0, 10) and [8, 25) overlap: [0, 25) with 4 values; [30, 45) and [60, 70) stand apart.
    expect(group!.entries.get('["u"]')).toEqual([
      { s: 0, e: 25, a: 4 },
      { s: 30, e: 45, a: 2 },
      { s: 60, e: 70, a: 1 },
    ]);
    expect(group!.dueAtWatermarkMs).toBe(25);
  });
});

describe('state keys of windowed jobs name their group key (key-group routing, shard splits)', () => {
  const windowed = (window: ReturnType<typeof session> | ReturnType<typeof sliding>) =>
    job({
      pipeline: (s) =>
        s
          .withWatermark((e) => e.ts, { allowedLatenessMs: 0 })
          .keyBy((e) => e.k)
          .window(window)
          .aggregate(count()),
    }).pipeline;

  it('a sliding window keeps [key, windowStart] entries; a session window one [key] entry per key', () => {
    const slidingJob = windowed(sliding({ sizeMs: 10, slideMs: 5 }));
    expect(slidingJob.groupKeyOf('["a",5]')).toBe('a');
    expect(slidingJob.groupKeyOf('[7,-5]')).toBe('7');
    expect(slidingJob.groupKeyOf('["a"]')).toBeNull();
    const sessionJob = windowed(session({ gapMs: 10 }));
    expect(sessionJob.groupKeyOf('["a"]')).toBe('a');
    expect(sessionJob.groupKeyOf('[7]')).toBe('7');
    expect(sessionJob.groupKeyOf('["a",5]')).toBeNull();
    expect(keyOfStateKey('["a"]')).toBe('a');
    expect(keyOfStateKey('[7,5]')).toBe(7);
  });
});
