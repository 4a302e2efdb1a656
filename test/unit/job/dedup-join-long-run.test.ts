/**
 * A long run of each deduplication and of the interval join on the test harness (1,200
 * batches, key groups): a new key in every batch, so only expiry keeps the state from
 * growing with the run. The state rows after every batch stay under a small bound that
 * does not depend on the run's length, and the output is exact.
 */
import { describe, expect, it } from 'vitest';
import { defineJob, memorySink, memorySource } from '../../../engine/job/index.js';
import { createTestHarness, type TestHarness } from '../../../engine/testing/harness.js';

const BATCHES = 1_200;
const SECOND = 1_000;

interface Event {
  readonly type: 'visit' | 'bid' | 'auction';
  readonly k: string;
  readonly t: number;
}

const source = memorySource({ streamName: 'events' });

/** Runs BATCHES batches, `input(i)` appended before batch i; returns every batch's state rows and how many rows it wrote. */
async function longRun(t: TestHarness, input: (i: number) => Event[], secondsPerBatch = 0) {
  const stateRows: number[] = [];
  let written = 0;
  for (let i = 0; i < BATCHES; i += 1) {
    t.addRecords(input(i), { partition: i % 2 === 0 ? 'p0' : 'p1' });
    t.advanceTime(secondsPerBatch * SECOND);
    const batch = await t.runBatch();
    expect(batch.deadLetters).toEqual([]);
    stateRows.push(batch.stateRows);
    written += batch.emitted.length;
  }
  // The state's size after the first hundred batches, and after the last hundred: no growth in between.
  return {
    stateRows,
    written,
    max: Math.max(...stateRows),
    early: Math.max(...stateRows.slice(100, 200)),
    lastMax: Math.max(...stateRows.slice(-100)),
  };
}

describe(`a long run (${BATCHES} batches) keeps the state bounded`, () => {
  it('dropDuplicatesWithinWatermark: a key lives until the watermark passes its first event time + the delay', async () => {
    const job = defineJob<Event>({
      name: 'visits',
      version: 1,
      source,
      sink: memorySink({ name: 'visits' }),
      pipeline: (events) => events.withWatermark((e) => e.t, { allowedLatenessMs: 5 * SECOND }).dropDuplicatesWithinWatermark((e) => e.k),
      keyGroups: 4,
    });
    // Batch i: a new key u<i>, and u<i-1> again one second after it was first seen (a duplicate).
    const run = await longRun(createTestHarness(job, { partitions: ['p0', 'p1'] }), (i) => [
      { type: 'visit', k: `u${i}`, t: i * SECOND },
      { type: 'visit', k: `u${i - 1}`, t: i * SECOND },
    ]);
    expect(run.written).toBe(BATCHES + 1); // u-1 .. u<BATCHES-1>, once each
    expect(run.max).toBeLessThanOrEqual(12);
    expect(run.lastMax).toBeLessThanOrEqual(run.early);
  }, 120_000);

  it('dropDuplicates with a TTL: a key lives ttlMs of batch time', async () => {
    const job = defineJob<Event>({
      name: 'visits-ttl',
      version: 1,
      source,
      sink: memorySink({ name: 'visits-ttl' }),
      pipeline: (events) => events.dropDuplicates((e) => e.k, { ttlMs: 5 * SECOND }),
      keyGroups: 4,
    });
    const run = await longRun(
      createTestHarness(job, { partitions: ['p0', 'p1'] }),
      (i) => [
        { type: 'visit', k: `u${i}`, t: 0 },
        { type: 'visit', k: `u${i - 1}`, t: 0 },
      ],
      1,
    );
    expect(run.written).toBe(BATCHES + 1);
    expect(run.max).toBeLessThanOrEqual(7);
    expect(run.lastMax).toBeLessThanOrEqual(run.early);
  }, 120_000);

  it('intervalJoin: each side is freed once the watermark passes its last useful time', async () => {
    const job = defineJob<Event>({
      name: 'auction-bids',
      version: 1,
      source,
      sink: memorySink({ name: 'auction-bids' }),
      pipeline: (events) => {
        const timed = events.withWatermark((e) => e.t, { allowedLatenessMs: 2 * SECOND });
        return timed
          .filter((e) => e.type === 'bid')
          .keyBy((b) => b.k)
          .intervalJoin(
            timed.filter((e) => e.type === 'auction').keyBy((a) => a.k),
            { lowerMs: -5 * SECOND, upperMs: 10 * SECOND },
            (b, a) => ({ auction: a.k, bidAt: b.t }),
          );
      },
      keyGroups: 4,
    });
    // Batch i: auction a<i> opens, and a<i-1> gets a bid one second after it opened.
    const run = await longRun(createTestHarness(job, { partitions: ['p0', 'p1'] }), (i) => [
      { type: 'auction', k: `a${i}`, t: i * SECOND },
      { type: 'bid', k: `a${i - 1}`, t: i * SECOND },
    ]);
    expect(run.written).toBe(BATCHES - 1); // every auction but the last got its bid
    expect(run.max).toBeLessThanOrEqual(16);
    expect(run.lastMax).toBeLessThanOrEqual(run.early);
  }, 120_000);
});
