/**
 * Keyed process functions (engine/job/process/): sessions, a custom window, an alert,
 * state TTL and failures, through the harness on both paths: key groups and the
 * exchange, and one stage per partition (keyedBy: 'partitionKey').
 */
import { describe, expect, it } from 'vitest';
import {
  defineJob,
  listState,
  mapState,
  memorySink,
  memorySource,
  type PipelineEnd,
  type Stream,
  valueState,
} from '../../../engine/job/index.js';
import { createTestHarness, type TestHarness } from '../../../engine/testing/harness.js';

const T0 = Date.UTC(2026, 0, 1);
const MINUTE = 60_000;

interface Click {
  readonly user: string;
  readonly ts: number;
  readonly n?: number;
  readonly kind?: string;
}

type Path = 'partitionKey' | undefined;

const PATHS: [string, Path][] = [
  ['key groups and the exchange', undefined],
  ['one stage per partition', 'partitionKey'],
];

function jobOf(name: string, keyedBy: Path, pipeline: (clicks: Stream<Click>) => PipelineEnd) {
  return defineJob<Click>({
    name,
    version: 1,
    source: memorySource({ streamName: name }),
    sink: memorySink({ name }),
    pipeline,
    ...(keyedBy === undefined ? { keyGroups: 4 } : { keyedBy }),
  });
}

/**
 * Adds each click as its own record. One stage per partition: a user's records stay in
 * one partition, keyed by the user. Key groups: clicks alternate between the partitions,
 * so a key's values reach its group from both.
 */
function add(t: TestHarness, keyedBy: Path, clicks: readonly Click[]): void {
  clicks.forEach((click, i) => {
    const partition = keyedBy === undefined ? `p${i % 2}` : click.user < 'm' ? 'p0' : 'p1';
    t.addRecords([click], { partition, key: click.user });
  });
}

const values = (batch: { emitted: readonly { value: unknown }[] }) => batch.emitted.map((r) => r.value);
const stateKeys = async (t: TestHarness) => [...(await t.state()).keys()].map((k) => k.replace(/^p\d\//, '')).sort();

describe.each(PATHS)('a keyed process function on %s', (_path, keyedBy) => {
  it('sessionises clicks with a gap timer (Flink’s KeyedProcessFunction session example): a session closes by its event-time timer or by a later click', async () => {
    const GAP = 30_000;
    const job = jobOf('sessions', keyedBy, (clicks) =>
      clicks
        .withWatermark((c) => c.ts, { allowedLatenessMs: 0 })
        .keyBy((c) => c.user)
        .process({
          state: { session: valueState<{ start: number; end: number; clicks: number }>() },
          onValue(click, ctx) {
            const s = ctx.state.session.get();
            if (s !== undefined) ctx.timers.deleteEventTimeTimer(s.end + GAP);
            if (s !== undefined && click.ts > s.end + GAP) {
              // The gap passed, but the watermark has not reached it yet: the session ends here.
              ctx.emit({ user: ctx.key, ...s }, { key: `${ctx.key}@${s.start}` });
            }
            const open = s !== undefined && click.ts <= s.end + GAP;
            const next = open
              ? { start: Math.min(s.start, click.ts), end: Math.max(s.end, click.ts), clicks: s.clicks + 1 }
              : { start: click.ts, end: click.ts, clicks: 1 };
            ctx.state.session.set(next);
            ctx.timers.registerEventTimeTimer(next.end + GAP);
          },
          onTimer(_timer, ctx) {
            const s = ctx.state.session.get()!;
            ctx.emit({ user: ctx.key, ...s }, { key: `${ctx.key}@${s.start}` });
            ctx.state.session.clear();
          },
        }),
    );
    const t = createTestHarness(job, { partitions: ['p0', 'p1'] });
    add(t, keyedBy, [
      { user: 'a', ts: 1_000 },
      { user: 'a', ts: 20_000 },
      { user: 'b', ts: 5_000 },
    ]);
    expect(values(await t.runBatch())).toEqual([]);
    add(t, keyedBy, [{ user: 'a', ts: 100_000 }]);
    const second = await t.runBatch();
    expect(second.watermarkMs).toBe(20_000);
    expect(values(second)).toEqual([{ user: 'a', start: 1_000, end: 20_000, clicks: 2 }]);
    // No input: the watermark (100 s) passes b's timer (35 s); b's group runs by itself.
    const third = await t.runBatch();
    expect(third.records).toBe(0);
    expect(values(third)).toEqual([{ user: 'b', start: 5_000, end: 5_000, clicks: 1 }]);
    add(t, keyedBy, [{ user: 'c', ts: 200_000 }]);
    expect(values(await t.runBatch())).toEqual([]);
    const fifth = await t.runBatch();
    expect(fifth.watermarkMs).toBe(200_000);
    expect(values(fifth)).toEqual([{ user: 'a', start: 100_000, end: 100_000, clicks: 1 }]);
    expect(await stateKeys(t)).toEqual(['["c"]']);
    expect(Object.keys(await t.sinkValues()).sort()).toEqual(['a@1000', 'a@100000', 'b@5000']);
  });

  it('builds a per-key tumbling window with an event-time timer at its end (Flink’s “implementing windows with process functions”)', async () => {
    const SIZE = 10_000;
    const job = jobOf('windows', keyedBy, (clicks) =>
      clicks
        .withWatermark((c) => c.ts, { allowedLatenessMs: 0 })
        .keyBy((c) => c.user)
        .process({
          state: { sums: mapState<number>() },
          onValue(click, ctx) {
            const start = click.ts - (click.ts % SIZE);
            ctx.state.sums.set(String(start), (ctx.state.sums.get(String(start)) ?? 0) + (click.n ?? 1));
            ctx.timers.registerEventTimeTimer(start + SIZE);
          },
          onTimer(timer, ctx) {
            const start = timer.timestampMs - SIZE;
            ctx.emit({ user: ctx.key, windowStart: start, sum: ctx.state.sums.get(String(start))! }, { key: `${ctx.key}#${start}` });
            ctx.state.sums.delete(String(start));
          },
        }),
    );
    const t = createTestHarness(job, { partitions: ['p0', 'p1'] });
    add(t, keyedBy, [
      { user: 'a', ts: 1_000, n: 1 },
      { user: 'a', ts: 9_999, n: 2 },
      { user: 'a', ts: 10_000, n: 4 },
      { user: 'b', ts: 15_000, n: 8 },
    ]);
    expect(values(await t.runBatch())).toEqual([]);
    add(t, keyedBy, [
      { user: 'a', ts: 5_000, n: 100 }, // behind the watermark (15 s): late, dropped before the function (as Spark's event-time mode)
      { user: 'b', ts: 25_000, n: 16 },
    ]);
    const second = await t.runBatch();
    expect(second.watermarkMs).toBe(15_000);
    expect(values(second)).toEqual([{ user: 'a', windowStart: 0, sum: 3 }]);
    expect(second.lateRecords).toBe(1);
    add(t, keyedBy, [
      { user: 'a', ts: 25_000, n: 1_000 }, // at the watermark (25 s): on time
      { user: 'a', ts: 12_000, n: 10_000 }, // behind it: late
    ]);
    const third = await t.runBatch();
    expect(third.watermarkMs).toBe(25_000);
    expect(values(third).sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)))).toEqual([
      { user: 'a', windowStart: 10_000, sum: 4 },
      { user: 'b', windowStart: 10_000, sum: 8 },
    ]);
    expect(third.lateRecords).toBe(1);
    expect(await stateKeys(t)).toEqual(['["a"]', '["b"]']); // their windows [20 s, 30 s) are open
  });

  it('alerts when a device sends nothing for 5 minutes, with a processing-time timer (the harness clock: advanceTime)', async () => {
    const SILENCE = 5 * MINUTE;
    const job = jobOf('silence', keyedBy, (beats) =>
      beats
        .keyBy((b) => b.user)
        .process({
          state: { lastSeen: valueState<number>() },
          onValue(_beat, ctx) {
            const last = ctx.state.lastSeen.get();
            if (last !== undefined) ctx.timers.deleteProcessingTimeTimer(last + SILENCE);
            ctx.state.lastSeen.set(ctx.timeMs);
            ctx.timers.registerProcessingTimeTimer(ctx.timeMs + SILENCE);
          },
          onTimer(timer, ctx) {
            ctx.emit({ device: ctx.key, lastSeenMs: ctx.state.lastSeen.get()!, alertAtMs: ctx.timeMs, timerMs: timer.timestampMs });
            ctx.state.lastSeen.clear();
          },
        }),
    );
    const t = createTestHarness(job, { partitions: ['p0', 'p1'], startTimeMs: T0 });
    add(t, keyedBy, [
      { user: 'd1', ts: 0 },
      { user: 'd2', ts: 0 },
    ]);
    await t.runBatch();
    t.advanceTime(3 * MINUTE);
    add(t, keyedBy, [{ user: 'd1', ts: 0 }]);
    expect(values(await t.runBatch())).toEqual([]);
    t.advanceTime(2 * MINUTE);
    const quiet = await t.runBatch();
    expect(quiet.records).toBe(0);
    expect(quiet.emitted).toHaveLength(1);
    expect(quiet.emitted[0]!.key).toBe(`d2#processingTime@${T0 + SILENCE}:0`);
    expect(quiet.emitted[0]!.value).toEqual({ device: 'd2', lastSeenMs: T0, alertAtMs: T0 + SILENCE, timerMs: T0 + SILENCE });
    t.advanceTime(2 * MINUTE);
    expect(values(await t.runBatch())).toEqual([]);
    t.advanceTime(MINUTE);
    expect(values(await t.runBatch())).toEqual([
      { device: 'd1', lastSeenMs: T0 + 3 * MINUTE, alertAtMs: T0 + 8 * MINUTE, timerMs: T0 + 8 * MINUTE },
    ]);
    expect((await t.state()).size).toBe(0);
  });

  it('expires state by TTL from its last write (Flink’s OnCreateAndWrite, Spark’s TTLConfig): reads do not refresh it, and an idle key’s group runs to release it', async () => {
    const job = jobOf('ttl', keyedBy, (clicks) =>
      clicks
        .keyBy((c) => c.user)
        .process({
          state: { count: valueState<number>({ ttlMs: MINUTE }), pages: mapState<number>({ ttlMs: 2 * MINUTE }), log: listState<number>() },
          onValue(click, ctx) {
            if (click.kind === 'read') {
              ctx.emit({ count: ctx.state.count.get() ?? null, pages: ctx.state.pages.keys(), log: ctx.state.log.get() });
              return;
            }
            ctx.state.count.set((ctx.state.count.get() ?? 0) + 1);
            ctx.state.pages.set(click.kind ?? 'home', 1);
          },
        }),
    );
    const t = createTestHarness(job, { partitions: ['p0', 'p1'], startTimeMs: T0 });
    add(t, keyedBy, [{ user: 'a', ts: 0 }]);
    await t.runBatch();
    // What a user sees of a key: the committed state, under the key's state key.
    expect(await t.state(keyedBy === undefined ? undefined : 'p0')).toEqual(
      new Map([['["a"]', { s: { count: { v: 1, x: T0 + MINUTE }, pages: [['home', { v: 1, x: T0 + 2 * MINUTE }]] } }]]),
    );
    t.advanceTime(30_000);
    add(t, keyedBy, [
      { user: 'a', ts: 0, kind: 'read' },
      { user: 'b', ts: 0, kind: 'cart' },
    ]);
    expect(values(await t.runBatch())).toEqual([{ count: 1, pages: ['home'], log: [] }]);
    t.advanceTime(30_000); // a's count expires now (written at T0, read at T0 + 30 s)
    add(t, keyedBy, [{ user: 'a', ts: 0, kind: 'read' }]);
    expect(values(await t.runBatch())).toEqual([{ count: null, pages: ['home'], log: [] }]);
    t.advanceTime(30_000); // T0 + 90 s: b's count (written at T0 + 30 s) expires; no input
    const idle = await t.runBatch();
    expect(idle.records).toBe(0);
    const b = (await t.state()).get(keyedBy === undefined ? '["b"]' : 'p0/["b"]');
    expect(b).toEqual({ s: { pages: [['cart', { v: 1, x: T0 + 150_000 }]] } });
    t.advanceTime(60_000); // T0 + 150 s: every value has expired; the groups run without input and release the keys
    const last = await t.runBatch();
    expect(last.records).toBe(0);
    expect(last.stateRows).toBe(0);
    expect((await t.state()).size).toBe(0);
  });

  it('fails a value whose handler throws, stores non-JSON or returns a promise (dead letter at stage process) and leaves no trace of it', async () => {
    const job = jobOf('failures', keyedBy, (clicks) =>
      clicks
        .withWatermark((c) => c.ts, { allowedLatenessMs: 0 })
        .keyBy((c) => c.user)
        .process({
          state: { seen: listState<number>() },
          onValue(click, ctx) {
            ctx.state.seen.add(click.n!);
            ctx.emit({ n: click.n! });
            ctx.timers.registerEventTimeTimer(1_000_000 + click.n!);
            if (click.kind === 'throw') throw new Error(`bad n ${click.n}`);
            if (click.kind === 'nan') ctx.state.seen.add(Number.NaN);
            if (click.kind === 'date') ctx.emit({ at: new Date(0) });
            if (click.kind === 'async') return Promise.resolve() as unknown as undefined;
          },
        }),
    );
    const t = createTestHarness(job, { partitions: ['p0', 'p1'] });
    add(t, keyedBy, [
      { user: 'a', ts: 1, n: 1 },
      { user: 'a', ts: 2, n: 2, kind: 'throw' },
      { user: 'a', ts: 3, n: 3, kind: 'nan' },
      { user: 'a', ts: 4, n: 4, kind: 'date' },
      { user: 'a', ts: 5, n: 5, kind: 'async' },
      { user: 'a', ts: 6, n: 6 },
    ]);
    const batch = await t.runBatch();
    expect(batch.deadLetters.map((d) => [d.stage, d.reason]).sort()).toEqual([
      ['process', 'bad n 2'],
      ['process', 'state.seen[] is NaN, which is not JSON'],
      ['process', 'the emitted row.at is a Date, which is not JSON (use a plain object)'],
      ['process', 'the handler returned a promise: process functions are synchronous'],
    ]);
    expect(values(batch).sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)))).toEqual([{ n: 1 }, { n: 6 }]);
    expect([...(await t.state()).values()]).toEqual([{ s: { seen: [{ v: 1 }, { v: 6 }] }, e: [1_000_001, 1_000_006] }]);
  });

  it('files a timer whose onTimer throws as a dead letter of its own (scope, timer, key), and keeps the job going', async () => {
    const job = jobOf('timer-failures', keyedBy, (clicks) =>
      clicks
        .withWatermark((c) => c.ts, { allowedLatenessMs: 0 })
        .keyBy((c) => c.user)
        .process({
          onValue(click, ctx) {
            ctx.timers.registerEventTimeTimer(click.ts + 10);
          },
          onTimer(timer, ctx) {
            if (ctx.key === 'a') throw new Error(`cannot close ${timer.timestampMs}`);
            ctx.emit({ user: ctx.key, closedAt: timer.timestampMs });
          },
        }),
    );
    const t = createTestHarness(job, { partitions: ['p0', 'p1'] });
    add(t, keyedBy, [
      { user: 'a', ts: 1 },
      { user: 'b', ts: 2 },
      { user: 'c', ts: 100 },
    ]);
    await t.runBatch();
    const second = await t.runBatch();
    expect(values(second)).toEqual([{ user: 'b', closedAt: 12 }]);
    expect(second.deadLetters.map((d) => [d.offset, d.stage, d.reason])).toEqual([
      ['timer:eventTime@11:"a"', 'process', 'cannot close 11'],
    ]);
    const letter = second.deadLetters[0]!;
    expect(letter.partition).toMatch(keyedBy === undefined ? /^keygroup-\d{4}$/ : /^p\d$/);
    expect(JSON.parse(Buffer.from(letter.payloadBase64, 'base64').toString())).toEqual({ key: 'a', domain: 'eventTime', timestampMs: 11 });
  });
});

describe('process() at defineJob', () => {
  const define = (fn: unknown) => () => jobOf('spec', undefined, (clicks) => clicks.keyBy((c) => c.user).process(fn as never));

  it.each([
    [{ onValue: () => {}, onTimer: 1 }, 'process().onTimer must be a function'],
    [{ onTimer: () => {} }, 'process().onValue must be a function'],
    [
      { onValue: () => {}, onElement: () => {} },
      "process().onElement is not a process function field (they are 'state', 'onValue' and 'onTimer')",
    ],
    [{ onValue: () => {}, state: { n: 1 } }, 'process().state.n must be valueState(), listState() or mapState(), got 1'],
    [
      { onValue: () => {}, state: { n: valueState({ ttlMs: 0 }) } },
      'process().state.n.ttlMs must be a positive whole number of milliseconds, got 0',
    ],
    [{ onValue: () => {}, state: { n: valueState({ ttlMs: 1.5 }) } }, 'process().state.n.ttlMs must be a positive whole number'],
    [
      { onValue: () => {}, state: { n: mapState({ ttl: 5 } as never) } },
      "process().state.n.ttl is not a state option (the one option is 'ttlMs')",
    ],
    [{ onValue: () => {}, state: 'n' }, 'process().state must be an object'],
    ['fn', 'process() must be an object'],
  ])('refuses %o', (fn, message) => {
    expect(define(fn)).toThrow(message);
  });

  it('refuses __proto__ as a state variable name', () => {
    expect(define({ onValue: () => {}, state: { ['__proto__']: valueState<number>() } })).toThrow(
      'process().state.__proto__ is not a usable state variable name',
    );
  });

  it('refuses a state descriptor used under two names', () => {
    const shared = valueState<number>();
    expect(define({ onValue: () => {}, state: { a: shared, b: shared } })).toThrow(
      'process().state.b reuses the descriptor of process().state.a: declare each state variable with its own',
    );
  });

  it('describes the pipeline with its state variables and TTLs', () => {
    const job = jobOf('described', undefined, (clicks) =>
      clicks.keyBy((c) => c.user).process({ state: { n: valueState<number>(), m: mapState<number>({ ttlMs: 60_000 }) }, onValue() {} }),
    );
    expect(job.pipeline.description).toBe('decode(json) > keyBy > process(n, m ttl 60000ms)');
  });
});
