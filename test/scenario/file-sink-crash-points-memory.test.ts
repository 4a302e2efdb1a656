import { describe, expect, it } from 'vitest';
import { createMemoryPorts, type MemoryPorts } from '../../engine/adapters/memory/index.js';
import { runDriver } from '../../engine/driver/run-driver.js';
import type { FileSink } from '../../engine/file-sink/file-sink.js';
import { count, defineJob, memorySource, s3FileSink, tumbling } from '../../engine/job/index.js';
import type { JobDefinition } from '../../engine/job/types.js';
import { CRASH_POINTS, SimulatedCrash, TWO_STAGE_CRASH_POINTS, withCrash, type CrashPoint } from '../support/crash.js';

/**
 * The file sink under crashes at every step boundary (test/support/crash.ts), on the
 * memory adapters through the driver: a crash inside the sink write ('mid-sink-write'),
 * between the sink write and the WAL commit ('after-sink-write', 'before-commit'),
 * and between the WAL commit and the log entry ('after-commit'), then a new driver
 * recovers on the same stores. The rows read through the log must be exactly those of a
 * run without a crash, and each input record's row must be committed exactly once.
 */

const PARTITIONS = ['p0', 'p1', 'p2'];
const EVENTS = Array.from({ length: 90 }, (_, i) => ({ id: i, page: `/page${i % 7}`, ts: 1_000 * i }));

const copies = defineJob({
  name: 'copies',
  version: 1,
  source: memorySource({ streamName: 'events' }),
  pipeline: (events) => events.map((e) => ({ id: e.id, page: e.page, ts: e.ts })),
  // Every 13th row's partition path is unsafe: a dead letter (stage 'sink'), as a malformed record is (stage 'decode').
  sink: s3FileSink({
    prefix: 'lake/copies',
    format: 'jsonl',
    partitionBy: (row) => ((row.id as number) % 13 === 5 ? 'minute=../..' : `minute=${Math.floor((row.ts as number) / 60_000)}`),
  }),
  trigger: { type: 'availableNow' },
  maxRecordsPerPartition: 10,
});

const counts = defineJob({
  name: 'counts',
  version: 1,
  source: memorySource({ streamName: 'events' }),
  pipeline: (events) =>
    events
      .withWatermark((e) => e.ts, { allowedLatenessMs: 0 })
      .keyBy((e) => e.page)
      .window(tumbling({ sizeMs: 30_000 }))
      .aggregate(count()),
  sink: s3FileSink({ bucket: 'analytics', prefix: 'lake/counts', format: 'parquet' }),
  outputMode: 'update',
  trigger: { type: 'availableNow' },
  maxRecordsPerPartition: 10,
  keyGroups: 4,
});

function world(): MemoryPorts {
  const ports = createMemoryPorts();
  ports.source.createStream('events', PARTITIONS);
  for (const partition of PARTITIONS)
    ports.source.append('events', partition, [{ key: 'bad', data: new TextEncoder().encode('not json') }]);
  EVENTS.forEach((e, i) => {
    const partition = PARTITIONS[i % PARTITIONS.length]!;
    ports.source.append('events', partition, [{ key: e.page, data: new TextEncoder().encode(JSON.stringify(e)) }]);
    // Malformed records in batch 3 too (every partition's 21st record on): its dead letters are a crash point.
    if (i >= 60 && i < 63) ports.source.append('events', partition, [{ key: 'bad', data: new TextEncoder().encode('not json') }]);
  });
  return ports;
}

const committedRows = async (ports: MemoryPorts, job: JobDefinition) =>
  (await (ports.sink(job.sink) as FileSink).scan()).map((r) => ({ key: r.key, value: r.value, batchId: r.batchId }));

const scenarios: [string, JobDefinition, readonly CrashPoint[]][] = [
  // A stateless job writes no state version: no 'after-state-write'.
  ['one stage (a partition per executor), JSON Lines', copies, CRASH_POINTS.filter((p) => p !== 'after-state-write')],
  [
    'two stages (a key group per executor), Parquet',
    counts,
    TWO_STAGE_CRASH_POINTS.filter((p) => p !== 'after-exchange-write' && p !== 'after-exchange-delete'),
  ],
];

for (const [name, job, points] of scenarios) {
  describe(`file sink under crashes: ${name}`, () => {
    let clean: Promise<Awaited<ReturnType<typeof committedRows>>> | undefined;
    const reference = () =>
      (clean ??= (async () => {
        const ports = world();
        await runDriver(job, ports);
        return committedRows(ports, job);
      })());

    it('a clean run commits every input exactly once', async () => {
      const rows = await reference();
      if (job === copies) {
        expect(rows.map((r) => r.value.id).sort((a, b) => (a as number) - (b as number))).toEqual(
          EVENTS.filter((e) => e.id % 13 !== 5).map((e) => e.id),
        );
      } else {
        // The newest row of each (page, window) holds its count; together they count every event once.
        const newest = new Map(rows.map((r) => [r.key, r.value.value as number]));
        expect([...newest.values()].reduce((a, b) => a + b, 0)).toBe(EVENTS.length);
      }
    });

    for (const batchId of [1, 3]) {
      for (const point of points) {
        it(`recovers from a crash ${point} in batch ${batchId}: the rows read through the log equal the clean run's`, async () => {
          const ports = world();
          const crashing = withCrash(ports, { point, batchId });
          await expect(runDriver(job, crashing, { executorAttempts: 1 })).rejects.toBeInstanceOf(SimulatedCrash);
          expect(crashing.fired()).toBe(true);
          const log = await (ports.sink(job.sink) as FileSink).readLog();
          // Nothing of the crashed batch is visible: before the commit it has no entry, and after it the entry comes only from the driver.
          expect(log.map((e) => e.batchId)).toEqual(Array.from({ length: batchId - 1 }, (_, i) => i + 1));
          await runDriver(job, ports);
          expect(await committedRows(ports, job)).toEqual(await reference());
        });
      }
    }
  });
}
