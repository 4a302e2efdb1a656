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
import { MORE_QUERY_NAMES, NEXMARK_QUERIES, QUERY_NAMES, type NexmarkQuery } from '../../../jobs/nexmark/index.js';
import { compareRows } from '../../../bench/nexmark/compare.js';
import { generateNexmark } from '../../../bench/nexmark/generator.js';
import { REFERENCE } from '../../../bench/nexmark/reference.js';
import { runNexmarkOnHarness } from '../../support/nexmark-harness.js';

/** 3,000 events at 100 events/s: 30 s of event time, three 10 s windows, six sliding ones. */
const EVENTS = 3_000;
const RATE = 100;
const events = generateNexmark({ events: EVENTS, eventsPerSecond: RATE, seed: 7 });

const runQuery = (query: NexmarkQuery) =>
  runNexmarkOnHarness(NEXMARK_QUERIES[query]({ eventsPerSecond: RATE, maxRecordsPerPartition: 150 }), events);

describe('NEXMark queries on the harness: the sink equals the reference computed from the events', () => {
  // q10, q12, q13 and q14 need a file sink read, processing time or a lookup table: more-queries.test.ts.
  for (const query of QUERY_NAMES.filter((q) => !(MORE_QUERY_NAMES as readonly string[]).includes(q))) {
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
