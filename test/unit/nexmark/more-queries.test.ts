/**
 * NEXMark q10, q12, q13 and q14 on the test harness (memory adapters), compared exactly
 * with the references computed from the generated events alone
 * (bench/nexmark/reference-more.ts). 3,000 events at 10 events/s: 300 s of event time,
 * so q10's files fall in five minutes' partitions.
 *
 * q12 counts in processing-time windows: which window a bid lands in depends on when its
 * batch was planned, so over a run whose timing is not controlled the check is the
 * invariant that does not depend on it (the windows of a bidder add up to its bids, each
 * bid counted once, every window 10 s aligned); with the harness's clock stepped between
 * batches the rows are checked exactly against the plan times.
 */
import { describe, expect, it } from 'vitest';
import { createTestHarness } from '#sluice/testing';
import type { FileSink } from '../../../engine/file-sink/file-sink.js';
import type { FileSinkSpec } from '../../../engine/ports/sink.js';
import { NEXMARK_QUERIES, type Bid, type NexmarkEvent, type NexmarkQuery } from '../../../jobs/nexmark/index.js';
import { Q13_SIDE_INPUT } from '../../../jobs/nexmark/q13.js';
import { compareRows } from '../../../bench/nexmark/compare.js';
import { generateNexmark } from '../../../bench/nexmark/generator.js';
import { byPartition } from '../../../bench/nexmark/partitions.js';
import { MORE_REFERENCE, SINK_VIEW, q10Partitions, q12Windows } from '../../../bench/nexmark/reference-more.js';
import { sideInputRows } from '../../../bench/nexmark/side-input.js';
import { NEXMARK_TEST_PARTITIONS, runNexmarkOnHarness, type NexmarkRun } from '../../support/nexmark-harness.js';

const RATE = 10;
const events = generateNexmark({ events: 3_000, eventsPerSecond: RATE, seed: 7 });
const bids = events.filter((e): e is Bid => e.type === 'bid');
const jobOf = (query: NexmarkQuery) => NEXMARK_QUERIES[query]({ eventsPerSecond: RATE, maxRecordsPerPartition: 150 });

/** The run read everything in several batches, nothing late or dead-lettered, and its rows are exactly `expected`. */
function expectExact(run: NexmarkRun, expected: readonly unknown[], actual: readonly unknown[] = run.rows) {
  // A query that finds nothing in this input would let an empty sink pass.
  expect(expected.length).toBeGreaterThan(0);
  expect(run.batches).toBeGreaterThan(3);
  expect(run.late).toBe(0);
  expect(run.deadLetters).toBe(0);
  const comparison = compareRows(expected, actual);
  expect(comparison).toMatchObject({ missing: [], unexpected: [] });
  expect(comparison.exact).toBe(true);
}

describe('q10: every event to files partitioned by its UTC day and minute', () => {
  it('writes each event once, in the partition of its event time', async () => {
    const job = jobOf('q10');
    const run = await runNexmarkOnHarness(job, events);
    expectExact(run, MORE_REFERENCE.q10(events));

    const sink = run.harness.ports.sink(job.sink as FileSinkSpec) as FileSink;
    const files = await sink.committedFiles();
    const scanned = (await sink.scan()).map((r) => r.value as unknown as NexmarkEvent);
    // scan() reads the committed files in order: the rows of each file are its next `rows` rows.
    const perPartition = new Map<string, number>();
    let at = 0;
    for (const file of files) {
      const inFile = scanned.slice(at, at + file.rows);
      at += file.rows;
      expect(q10Partitions(inFile)).toEqual(new Map([[file.partition, file.rows]]));
      perPartition.set(file.partition, (perPartition.get(file.partition) ?? 0) + file.rows);
    }
    expect(at).toBe(scanned.length);
    expect(perPartition).toEqual(q10Partitions(events));
    expect(perPartition.size).toBe(5);
  });
});

describe('q12: bids per bidder in 10 s processing-time windows', () => {
  it('counts every bid once: the windows of each bidder add up to its bids, every window 10 s aligned', async () => {
    const run = await runNexmarkOnHarness(jobOf('q12'), events);
    expectExact(run, MORE_REFERENCE.q12(events), SINK_VIEW.q12!(run.rows));
  });

  it('with the clock stepped 3 s a batch, counts each bid in the window of its batch plan time, then frees the windows', async () => {
    const t = createTestHarness(jobOf('q12'), { partitions: byPartition([], NEXMARK_TEST_PARTITIONS).map((p) => `p${p.partition}`) });
    const assigned: { bid: Bid; processingTimeMs: number }[] = [];
    // 400 events a batch: 100 a partition, under the job's 150, so each batch reads exactly its chunk.
    for (let i = 0; i < events.length; i += 400) {
      const chunk = events.slice(i, i + 400);
      for (const { partition, events: mine } of byPartition(chunk, NEXMARK_TEST_PARTITIONS))
        t.addRecords(mine, { partition: `p${partition}` });
      const processingTimeMs = t.ports.clock.now();
      const batch = await t.runBatch();
      expect(batch.records).toBe(chunk.length);
      for (const e of chunk) if (e.type === 'bid') assigned.push({ bid: e, processingTimeMs });
      t.advanceTime(3_000);
    }
    const expected = q12Windows(assigned);
    expect(new Set(expected.map((r) => r.starttime)).size).toBe(3);
    const comparison = compareRows(
      expected,
      (await t.sinkRows()).map((r) => r.value),
    );
    expect(comparison).toMatchObject({ missing: [], unexpected: [] });
    expect(assigned).toHaveLength(bids.length);

    expect((await t.state()).size).toBeGreaterThan(0);
    t.advanceTime(10_000);
    await t.runBatch(); // every window has ended: its timer fires with no input and frees its count
    expect(await t.state()).toEqual(new Map());
  });
});

describe('q13: bids joined with a static side input on auction mod 10,000', () => {
  it('enriches every bid with its side input value', async () => {
    const run = await runNexmarkOnHarness(jobOf('q13'), events, (t) => t.ports.lookups.put(Q13_SIDE_INPUT.tableName, sideInputRows()));
    expectExact(run, MORE_REFERENCE.q13(events));
  });

  it('drops a bid whose key the side input lacks (an inner join)', async () => {
    const even = sideInputRows().filter((r) => r.key % 2 === 0);
    const run = await runNexmarkOnHarness(jobOf('q13'), events, (t) => t.ports.lookups.put(Q13_SIDE_INPUT.tableName, even));
    const expected = MORE_REFERENCE.q13(events).filter((r) => ((r.auction as number) % Q13_SIDE_INPUT.rows) % 2 === 0);
    expect(expected.length).toBeLessThan(bids.length);
    expectExact(run, expected);
  });
});

describe("q14: bids in a price band, with their time of day and a UDF counting 'c's", () => {
  it('selects and computes exactly what the definition does', async () => {
    const expected = MORE_REFERENCE.q14(events);
    expect(expected.length).toBeLessThan(bids.length);
    expectExact(await runNexmarkOnHarness(jobOf('q14'), events), expected);
  });

  it('classifies every hour of the day', async () => {
    // The generated times span minutes; spread the bids over 24 hours to reach every branch.
    const spread = events.map((e, i) => ({ ...e, dateTime: e.dateTime + (i % 24) * 3_600_000 }));
    const expected = MORE_REFERENCE.q14(spread);
    expect(new Set(expected.map((r) => r.bidTimeType))).toEqual(new Set(['dayTime', 'nightTime', 'otherTime']));
    expectExact(await runNexmarkOnHarness(jobOf('q14'), spread), expected);
  });
});
