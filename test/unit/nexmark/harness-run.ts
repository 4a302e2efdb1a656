/**
 * How the NEXMark tests run a query job on the test harness (memory adapters): the
 * generated events round-robin on four partitions (bench/nexmark/partitions.ts), at most
 * 150 records per partition per batch, batches until one reads nothing.
 *
 * Late data and window closing: a batch covers one stretch of event time on every
 * partition, so the watermark (max event time of the previous batches - 5 s) never passes
 * a value still to come, and the tests assert that no record was late and none
 * dead-lettered. The last batch reads nothing and runs with the watermark of all the
 * events: windows, joins and process functions see every event-time timer due at it fire.
 */
import { expect } from 'vitest';
import { NEXMARK_QUERIES, type NexmarkQuery } from '../../../jobs/nexmark/index.js';
import type { NexmarkEvent } from '../../../jobs/nexmark/model.js';
import { compareRows } from '../../../bench/nexmark/compare.js';
import { REFERENCE } from '../../../bench/nexmark/reference.js';
import { runNexmarkOnHarness, type NexmarkRun } from '../../support/nexmark-harness.js';

export const MAX_RECORDS_PER_PARTITION = 150;

/** Runs `query` over `events` generated at `eventsPerSecond` until it is idle. */
export function runQuery(query: NexmarkQuery, events: readonly NexmarkEvent[], eventsPerSecond: number): Promise<NexmarkRun> {
  return runNexmarkOnHarness(NEXMARK_QUERIES[query]({ eventsPerSecond, maxRecordsPerPartition: MAX_RECORDS_PER_PARTITION }), events);
}

/**
 * Runs `query` and asserts its sink equals the reference over the same events, in more
 * than three batches, with nothing late or dead-lettered; the reference must be non-empty,
 * so an empty sink cannot pass.
 */
export async function expectReference(query: NexmarkQuery, events: readonly NexmarkEvent[], eventsPerSecond: number): Promise<void> {
  const expected = REFERENCE[query](events);
  expect(expected.length).toBeGreaterThan(0);
  const run = await runQuery(query, events, eventsPerSecond);
  expect(run.batches).toBeGreaterThan(3);
  expect(run.late).toBe(0);
  expect(run.deadLetters).toBe(0);
  const comparison = compareRows(expected, run.rows);
  expect(comparison).toMatchObject({ missing: [], unexpected: [] });
  expect(comparison.exact).toBe(true);
}
