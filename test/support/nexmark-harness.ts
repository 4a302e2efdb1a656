/**
 * Runs a NEXMark query job on the test harness (memory adapters) over generated events
 * laid out as the benchmark lays them (bench/nexmark/partitions.ts), until it reads
 * nothing, and reports what the exact checks assert: batches, late records, dead letters
 * and the sink's rows.
 */
import type { JobDefinition } from '#sluice/job';
import { createTestHarness, type TestHarness } from '#sluice/testing';
import { byPartition } from '../../bench/nexmark/partitions.js';
import type { NexmarkEvent } from '../../jobs/nexmark/model.js';

export const NEXMARK_TEST_PARTITIONS = 4;

export interface NexmarkRun {
  readonly batches: number;
  readonly late: number;
  readonly deadLetters: number;
  readonly rows: unknown[];
  readonly harness: TestHarness;
}

/** `prepare` runs before the first batch (e.g. to fill a lookup table). */
export async function runNexmarkOnHarness(
  job: JobDefinition,
  events: readonly NexmarkEvent[],
  prepare: (t: TestHarness) => void = () => {},
): Promise<NexmarkRun> {
  const t = createTestHarness(job, { partitions: byPartition([], NEXMARK_TEST_PARTITIONS).map((p) => `p${p.partition}`) });
  prepare(t);
  for (const { partition, events: mine } of byPartition(events, NEXMARK_TEST_PARTITIONS))
    t.addRecords(mine, { partition: `p${partition}` });
  const batches = await t.runUntilIdle();
  return {
    batches: batches.length,
    late: batches.reduce((n, b) => n + b.lateRecords, 0),
    deadLetters: (await t.deadLetters()).length,
    rows: (await t.sinkRows()).map((r) => r.value),
    harness: t,
  };
}
