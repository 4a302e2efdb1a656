/**
 * Every NEXMark query job on the test harness (memory adapters), compared exactly with the
 * reference computed from the generated events alone (bench/nexmark/reference.ts).
 *
 * Late data and window closing: events go round-robin to four partitions and each batch
 * reads at most 150 records of each, so a batch covers one stretch of event time on every
 * partition and the watermark (max event time of the previous batches - 5 s) never passes
 * a value still to come: each run asserts that no record was late and none dead-lettered.
 * Windowed queries write in update mode, so once the job has read everything the sink
 * holds every window's final value, closed or not, which is what the reference computes.
 */
import { describe, expect, it } from 'vitest';
import { createTestHarness } from '#sluice/testing';
import { NEXMARK_QUERIES, QUERY_NAMES, type NexmarkQuery } from '../../../jobs/nexmark/index.js';
import { compareRows } from '../../../bench/nexmark/compare.js';
import { generateNexmark } from '../../../bench/nexmark/generator.js';
import { byPartition } from '../../../bench/nexmark/partitions.js';
import { REFERENCE } from '../../../bench/nexmark/reference.js';

const PARTITIONS = 4;
/** 3,000 events at 100 events/s: 30 s of event time, three 10 s windows, six sliding ones. */
const EVENTS = 3_000;
const RATE = 100;
const events = generateNexmark({ events: EVENTS, eventsPerSecond: RATE, seed: 7 });

async function runQuery(query: NexmarkQuery) {
  const job = NEXMARK_QUERIES[query]({ eventsPerSecond: RATE, maxRecordsPerPartition: 150 });
  const t = createTestHarness(job, { partitions: byPartition([], PARTITIONS).map((p) => `p${p.partition}`) });
  for (const { partition, events: mine } of byPartition(events, PARTITIONS)) t.addRecords(mine, { partition: `p${partition}` });
  const batches = await t.runUntilIdle();
  return {
    batches: batches.length,
    late: batches.reduce((n, b) => n + b.lateRecords, 0),
    deadLetters: (await t.deadLetters()).length,
    rows: (await t.sinkRows()).map((r) => r.value),
  };
}

describe('NEXMark queries on the harness: the sink equals the reference computed from the events', () => {
  for (const query of QUERY_NAMES) {
    it(`${query}`, async () => {
      const expected = REFERENCE[query](events);
      // Every query finds something in this input, so an empty sink cannot pass.
      expect(expected.length).toBeGreaterThan(0);
      const run = await runQuery(query);
      expect(run.batches).toBeGreaterThan(3);
      expect(run.late).toBe(0);
      expect(run.deadLetters).toBe(0);
      const comparison = compareRows(expected, run.rows);
      expect(comparison).toMatchObject({ missing: [], unexpected: [] });
      expect(comparison.exact).toBe(true);
    });
  }
});
