/**
 * Two NEXMark queries on the real stand-ins (kinesalite, DynamoDB Local, s3rver), driven
 * by the engine's driver loop: q5 (hot items, sliding windows through key groups) and q3
 * (local item suggestion, an interval join). Their DynamoDB sinks must equal the
 * reference computed from the events alone, as on the harness (test/unit/nexmark/).
 *
 * Late data and window closing: events go round-robin to four shards and each batch reads
 * at most 150 records per shard, so the watermark never passes a value still to come (the
 * test asserts no record was late); q5 writes in update mode, so the sink holds every
 * window's final value once the job has caught up.
 */
import { describe, expect, it } from 'vitest';
import { runDriver } from '../../engine/driver/run-driver.js';
import { compareRows } from '../../bench/nexmark/compare.js';
import { generateNexmark } from '../../bench/nexmark/generator.js';
import { REFERENCE } from '../../bench/nexmark/reference.js';
import { writeNexmarkStream } from '../../bench/nexmark/stream.js';
import { NEXMARK_QUERIES, type NexmarkQuery } from '../../jobs/nexmark/index.js';
import { createTestPorts, createTestSinkTable, testAwsClients, uniqueName } from '../support/aws.js';

const RATE = 100;
const events = generateNexmark({ events: 2_000, eventsPerSecond: RATE, seed: 3 });

describe('NEXMark on the stand-ins: the sink equals the reference', () => {
  for (const query of ['q5', 'q3'] as const satisfies readonly NexmarkQuery[]) {
    it(`${query}`, async () => {
      const streamName = uniqueName(`nexmark-${query}`);
      await writeNexmarkStream(testAwsClients().kinesis, streamName, events, 4);
      const sinkTable = await createTestSinkTable(`nexmark-${query}`);
      const ports = await createTestPorts();
      const job = NEXMARK_QUERIES[query]({ streamName, sinkTable, eventsPerSecond: RATE, maxRecordsPerPartition: 150 });
      let late = 0;
      const outcome = await runDriver(job, ports, { onBatch: ({ commit }) => void (late += commit.metrics.lateRecords) });
      expect(outcome.stoppedBy).toBe('caught-up');
      expect(outcome.batches).toBeGreaterThan(3);
      expect(late).toBe(0);
      const expected = REFERENCE[query](events);
      expect(expected.length).toBeGreaterThan(0);
      const rows = (await ports.sinks(job.sink).scan()).map((r) => r.value);
      expect(compareRows(expected, rows)).toMatchObject({ exact: true, missing: [], unexpected: [] });
    });
  }
});
