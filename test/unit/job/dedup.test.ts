/**
 * Deduplication (engine/job/dedup.ts) from a user's point of view: jobs written with
 * `dropDuplicatesWithinWatermark` and `dropDuplicates(keyFn, { ttlMs })`, run through the
 * test harness on both paths: key groups and the exchange, and one stage per partition
 * (keyedBy: 'partitionKey', where a value's dedup key is its record's partition key).
 * The within-watermark tests follow Spark's StreamingDeduplicationWithinWatermarkSuite,
 * with event times in seconds as there; each of Spark's no-data batches is a batch without
 * records here.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stateKeyOf } from '../../../engine/job/keyed-groups.js';
import { operatorStateKey } from '../../../engine/job/dedup.js';
import { defineJob, memorySink, memorySource } from '../../../engine/job/index.js';
import type { JsonObject } from '../../../engine/json.js';
import { createTestHarness, type HarnessBatch, type TestHarness } from '../../../engine/testing/harness.js';

interface Event {
  readonly k: string;
  readonly t: number;
  readonly id?: number;
}

const s = (seconds: number) => seconds * 1000;
type Path = 'partitionKey' | undefined;
const PATHS: [string, Path][] = [
  ['key groups and the exchange', undefined],
  ['one stage per partition', 'partitionKey'],
];

function withinWatermark(delaySeconds: number, keyedBy: Path) {
  return defineJob<Event>({
    name: 'dedup',
    version: 1,
    source: memorySource({ streamName: 'events' }),
    sink: memorySink({ name: 'dedup-out' }),
    pipeline: (events) =>
      events.withWatermark((e) => e.t, { allowedLatenessMs: s(delaySeconds) }).dropDuplicatesWithinWatermark((e) => e.k),
    ...(keyedBy === undefined ? { keyGroups: 4 } : { keyedBy }),
  });
}

/** Appends each event under its key as the partition key (a producer partitioning by the dedup key). */
function add(t: TestHarness, events: readonly Event[], partition = 'p0'): void {
  for (const e of events) t.addRecords([e], { partition, key: e.k });
}

const emitted = (batch: HarnessBatch) =>
  batch.emitted.map((r) => [(r.value as JsonObject).k, (r.value.t as number) / 1000]).sort((a, b) => String(a).localeCompare(String(b)));

describe.each(PATHS)('dropDuplicatesWithinWatermark on %s', (_path, keyedBy) => {
  it("Spark's StreamingDeduplicationWithinWatermarkSuite: subset of columns, event time not in the key (delay 2 s)", async () => {
    const t = createTestHarness(withinWatermark(2, keyedBy));
    add(t, [{ k: 'a', t: s(17) }]);
    expect(emitted(await t.runBatch())).toEqual([['a', 17]]); // expires at 19

    add(t, [{ k: 'a', t: s(16) }]);
    const dup = await t.runBatch();
    expect(dup.watermarkMs).toBe(s(15));
    expect(emitted(dup)).toEqual([]);
    expect(dup.lateRecords).toBe(0);

    add(t, [{ k: 'a', t: s(13) }]); // below the watermark (15): late, dropped
    const late = await t.runBatch();
    expect([emitted(late), late.lateRecords, late.stateRows]).toEqual([[], 1, 1]);

    add(t, [
      { k: 'b', t: s(22) },
      { k: 'c', t: s(21) },
    ]);
    expect(emitted(await t.runBatch())).toEqual([
      ['b', 22],
      ['c', 21],
    ]);

    // The watermark is now 20 >= 19: "a" is forgotten before this batch's values apply.
    add(t, [{ k: 'a', t: s(21) }]);
    const again = await t.runBatch();
    expect(again.watermarkMs).toBe(s(20));
    expect(emitted(again)).toEqual([['a', 21]]);
    expect(again.stateRows).toBe(3);

    add(t, [{ k: 'd', t: s(25) }]);
    expect(emitted(await t.runBatch())).toEqual([['d', 25]]);
    // A batch without records at watermark 23 drops ("a" -> 23) and ("c" -> 23), as Spark's no-data batch.
    const idle = await t.runBatch();
    expect([idle.records, idle.watermarkMs, idle.stateRows, idle.emitted]).toEqual([0, s(23), 2, []]);
    const keys = [...(await t.state()).keys()].map((k) => k.replace(/^p\d\//, '')).sort();
    expect(keys).toEqual(['["b"]', '["d"]']);
  });

  it("Spark's StreamingDeduplicationWithinWatermarkSuite: all columns with the event time (delay 10 s), duplicates within a batch", async () => {
    const job = defineJob<number>({
      name: 'dedup-all',
      version: 1,
      source: memorySource({ streamName: 'numbers' }),
      sink: memorySink({ name: 'dedup-all' }),
      pipeline: (numbers) => numbers.withWatermark((n) => s(n), { allowedLatenessMs: s(10) }).dropDuplicatesWithinWatermark((n) => n),
      ...(keyedBy === undefined ? { keyGroups: 4 } : { keyedBy }),
    });
    const t = createTestHarness(job);
    const put = (ns: readonly number[]) => ns.forEach((n) => t.addRecords([n], { key: String(n) }));
    const values = (b: HarnessBatch) => b.emitted.map((r) => r.value.value as number).sort((x, y) => x - y);

    put([1, 2, 3, 4, 5].flatMap(() => [10, 11, 12, 13, 14, 15]));
    const first = await t.runBatch();
    expect([values(first), first.stateRows]).toEqual([[10, 11, 12, 13, 14, 15], 6]);
    put([13, 14, 15, 16, 17]); // 13 to 15 are duplicates
    const second = await t.runBatch();
    expect([values(second), second.stateRows]).toEqual([[16, 17], 8]);
    put([5]); // below the watermark (5 s): late
    const late = await t.runBatch();
    expect([values(late), late.lateRecords, late.stateRows]).toEqual([[], 1, 8]);
    put([35]);
    expect(values(await t.runBatch())).toEqual([35]);
    // At watermark 25 the keys expiring at <= 25 (10 to 15) go: 3 left.
    expect((await t.runBatch()).stateRows).toBe(3);
    put([55]);
    expect(values(await t.runBatch())).toEqual([55]);
    expect((await t.runBatch()).stateRows).toBe(1);
  });

  it('writes each passing value as a stateless job does: a JSON object as is, else { value }, keyed partition:offset:index', async () => {
    const job = defineJob<Event>({
      name: 'dedup-names',
      version: 1,
      source: memorySource({ streamName: 'events' }),
      sink: memorySink({ name: 'dedup-names' }),
      pipeline: (events) =>
        events
          .withWatermark((e) => e.t, { allowedLatenessMs: s(10) })
          .map((e) => e.k)
          .dropDuplicatesWithinWatermark((k) => k),
      ...(keyedBy === undefined ? { keyGroups: 2 } : { keyedBy }),
    });
    const t = createTestHarness(job);
    add(t, [
      { k: 'x', t: s(1) },
      { k: 'x', t: s(2) },
      { k: 'y', t: s(3) },
    ]);
    const batch = await t.runBatch();
    expect(batch.emitted.map((r) => r.value)).toEqual([{ value: 'x' }, { value: 'y' }]);
    const [x, y] = batch.emitted.map((r) => r.key.split(':'));
    expect([x![0], x![2], y![0], y![2]]).toEqual(['p0', '0', 'p0', '0']);
    // The rows are the first and the third record's (partition:offset:index): the second's offset lies between.
    expect(BigInt(x![1]!) < BigInt(y![1]!)).toBe(true);
    expect((await t.sinkRows()).length).toBe(2);
  });

  it('fails a record whose key is not a string or a finite number at keyBy, as keyBy does', async () => {
    const job = defineJob<{ k: unknown; t: number }>({
      name: 'dedup-bad-key',
      version: 1,
      source: memorySource({ streamName: 'events' }),
      sink: memorySink({ name: 'dedup-bad-key' }),
      pipeline: (events) => events.withWatermark((e) => e.t, { allowedLatenessMs: 0 }).dropDuplicatesWithinWatermark((e) => e.k as string),
      ...(keyedBy === undefined ? { keyGroups: 2 } : { keyedBy }),
    });
    const t = createTestHarness(job);
    t.addRecords([{ k: { nested: true }, t: 1 }], { key: 'obj' });
    t.addRecords([{ k: 'ok', t: 2 }], { key: 'ok' });
    const batch = await t.runBatch();
    expect(batch.deadLetters.map((d) => d.stage)).toEqual(['keyBy']);
    expect(batch.emitted.map((r) => r.value.k)).toEqual(['ok']);
  });
});

describe('dropDuplicatesWithinWatermark across partitions (key groups)', () => {
  it('drops duplicates of one key from several partitions, in the same batch and in later ones: the first in plan order passes', async () => {
    const t = createTestHarness(withinWatermark(10, undefined), { partitions: ['p0', 'p1', 'p2'] });
    t.addRecords([{ k: 'a', t: s(5), id: 1 }], { partition: 'p1' });
    t.addRecords([{ k: 'a', t: s(4), id: 2 }], { partition: 'p2' });
    t.addRecords([{ k: 'b', t: s(6), id: 3 }], { partition: 'p2' });
    const first = await t.runBatch();
    expect(first.emitted.map((r) => [r.key.split(':')[0], r.value.id])).toEqual([
      ['p1', 1],
      ['p2', 3],
    ]);
    t.addRecords([{ k: 'a', t: s(7), id: 4 }], { partition: 'p0' });
    t.addRecords([{ k: 'b', t: s(8), id: 5 }], { partition: 'p1' });
    expect((await t.runBatch()).emitted).toEqual([]);
    // One state entry per key, in its key group, wherever the key's values came from.
    expect([...(await t.state()).keys()].sort()).toEqual([stateKeyOf('a', null), stateKeyOf('b', null)]);
    expect(operatorStateKey('a')).toBe(stateKeyOf('a', null));
  });

  it('property: each key is emitted once per watermark horizon, exactly the values a sequential model lets pass', async () => {
    const delay = 5;
    const event = fc.record({
      partition: fc.constantFrom('p0', 'p1'),
      k: fc.constantFrom('a', 'b', 'c'),
      dt: fc.integer({ min: -8, max: 6 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(event, { maxLength: 6 }), { minLength: 1, maxLength: 8 }), async (batches) => {
        const t = createTestHarness(withinWatermark(delay, undefined), { partitions: ['p0', 'p1'] });
        const model = new Map<string, number>(); // key -> expiry (s)
        const emittedTimes = new Map<string, number[]>();
        let id = 0;
        let clock = 20;
        for (const events of batches) {
          const added = events.map((e) => {
            clock = Math.max(0, clock + e.dt);
            return { partition: e.partition, event: { k: e.k, t: s(clock), id: id++ } };
          });
          for (const { partition, event } of added) t.addRecords([event], { partition, key: event.k });
          const batch = await t.runBatch();
          const w = batch.watermarkMs === null ? null : batch.watermarkMs / 1000;
          // The model: expire at the batch's watermark, then apply p0's values, then p1's, each in order.
          if (w !== null) for (const [k, expiry] of [...model]) if (w >= expiry) model.delete(k);
          const expected: number[] = [];
          for (const partition of ['p0', 'p1']) {
            for (const { event } of added.filter((a) => a.partition === partition)) {
              if (w !== null && event.t / 1000 < w) continue;
              if (model.has(event.k)) continue;
              model.set(event.k, event.t / 1000 + delay);
              expected.push(event.id);
            }
          }
          const got = batch.emitted.map((r) => r.value as unknown as Event);
          expect(got.map((e) => e.id).sort((a, b) => a! - b!)).toEqual(expected.sort((a, b) => a - b));
          for (const e of got) emittedTimes.set(e.k, [...(emittedTimes.get(e.k) ?? []), e.t / 1000]);
        }
        // Once per horizon: a key passes again only at least `delay` after (in event time) it last passed.
        for (const times of emittedTimes.values()) {
          for (let i = 1; i < times.length; i += 1) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(delay);
        }
      }),
      { numRuns: 40 },
    );
  });
});

describe.each(PATHS)('dropDuplicates with a TTL on %s', (_path, keyedBy) => {
  const job = defineJob<Event>({
    name: 'dedup-ttl',
    version: 1,
    source: memorySource({ streamName: 'events' }),
    sink: memorySink({ name: 'dedup-ttl' }),
    pipeline: (events) => events.dropDuplicates((e) => e.k, { ttlMs: 60_000 }),
    ...(keyedBy === undefined ? { keyGroups: 4 } : { keyedBy }),
  });

  it('drops a key seen within ttlMs of batch time, lets it pass again after, and forgets it by the batch time alone', async () => {
    const t = createTestHarness(job);
    add(t, [
      { k: 'a', t: 1, id: 1 },
      { k: 'a', t: 2, id: 2 },
      { k: 'b', t: 3, id: 3 },
    ]);
    expect((await t.runBatch()).emitted.map((r) => r.value.id)).toEqual([1, 3]);
    t.advanceTime(59_999);
    add(t, [{ k: 'a', t: 4, id: 4 }]);
    const within = await t.runBatch();
    expect([within.emitted, within.stateRows]).toEqual([[], 2]);
    t.advanceTime(1);
    add(t, [{ k: 'a', t: 5, id: 5 }]);
    const after = await t.runBatch();
    // a's and b's entries expired at this batch's time; a passes again and is remembered anew.
    expect([after.emitted.map((r) => r.value.id), after.stateRows]).toEqual([[5], 1]);
    t.advanceTime(60_000);
    const idle = await t.runBatch();
    expect([idle.records, idle.stateRows]).toEqual([0, 0]);
  });
});

describe('deduplication: what defineJob refuses', () => {
  const base = { name: 'refused', version: 1, source: memorySource({ streamName: 'events' }), sink: memorySink({ name: 'r' }) };

  it('dropDuplicatesWithinWatermark without withWatermark (as Spark refuses it)', () => {
    expect(() => defineJob<Event>({ ...base, pipeline: (events) => events.dropDuplicatesWithinWatermark((e) => e.k) })).toThrow(
      /dropDuplicatesWithinWatermark\(\) needs an event-time watermark/,
    );
  });

  it('dropDuplicates without a positive ttlMs, or without a key function', () => {
    expect(() => defineJob<Event>({ ...base, pipeline: (events) => events.dropDuplicates((e) => e.k, { ttlMs: 0 }) })).toThrow(
      /ttlMs must be > 0/,
    );
    expect(() => defineJob<Event>({ ...base, pipeline: (events) => events.dropDuplicates((e) => e.k, { ttlMs: -1 }) })).toThrow(/ttlMs/);
    expect(() => defineJob<Event>({ ...base, pipeline: (events) => events.dropDuplicates(42 as never, { ttlMs: 1 }) })).toThrow(
      /dropDuplicates\(\) must be a function/,
    );
  });

  it('describes the pipeline with the operator', () => {
    const job = defineJob<Event>({
      ...base,
      keyGroups: 2,
      pipeline: (events) => events.withWatermark((e) => e.t, { allowedLatenessMs: 10_000 }).dropDuplicatesWithinWatermark((e) => e.k),
    });
    expect(job.pipeline.description).toBe('decode(json) > withWatermark(10s) > keyBy > dropDuplicatesWithinWatermark');
    expect(job.keyGroups).toBe(2);
    const ttl = defineJob<Event>({ ...base, pipeline: (events) => events.dropDuplicates((e) => e.k, { ttlMs: 15 * 60_000 }) });
    expect(ttl.pipeline.description).toBe('decode(json) > keyBy > dropDuplicates(ttl 15m)');
  });
});
