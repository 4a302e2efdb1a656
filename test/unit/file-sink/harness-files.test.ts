import { parquetMetadata, parquetReadObjects } from 'hyparquet';
import { describe, expect, it } from 'vitest';
import type { FileSink } from '../../../engine/file-sink/file-sink.js';
import { count, defineJob, memorySource, s3FileSink, tumbling } from '../../../engine/job/index.js';
import { createTestHarness } from '../../../engine/testing/harness.js';

/** Hive-style date and hour of an event time (UTC), as a user's partitionBy computes them. */
const hourPath = (ts: number): string => {
  const iso = new Date(ts).toISOString();
  return `dt=${iso.slice(0, 10)}/hour=${iso.slice(11, 13)}`;
};

const T0 = Date.UTC(2026, 11, 2, 7, 0, 0);

const viewsToParquet = defineJob({
  name: 'views-to-files',
  version: 1,
  source: memorySource({ streamName: 'clicks' }),
  pipeline: (events) =>
    events
      .withWatermark((e) => e.ts, { allowedLatenessMs: 0 })
      .keyBy((e) => e.page)
      .window(tumbling({ sizeMs: 3_600_000 }))
      .aggregate(count()),
  sink: s3FileSink({ prefix: 'lake/views', format: 'parquet', partitionBy: (row) => hourPath(row.windowStart as number) }),
  outputMode: 'append',
});

const buffer = (bytes: Uint8Array): ArrayBuffer => bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;

describe('a job writing Parquet files (the test harness)', () => {
  it('writes each closed window once, in hourly partitions, readable by an independent Parquet reader through the log', async () => {
    const t = createTestHarness(viewsToParquet);
    t.addRecords([
      { page: '/a', ts: T0 + 1_000 },
      { page: '/b', ts: T0 + 2_000 },
      { page: '/a', ts: T0 + 3_000 },
    ]);
    await t.runBatch();
    // The next hour's event moves the watermark past 08:00: the 07:00 windows close.
    t.addRecords([{ page: '/a', ts: T0 + 3_600_000 + 5 }]);
    await t.runBatch();
    await t.runBatch(); // the windows the watermark closed are emitted in the batch after it advanced

    const sink = t.ports.sink(viewsToParquet.sink) as FileSink;
    const files = await sink.committedFiles();
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      expect(file.path).toMatch(/^lake\/views\/dt=2026-12-02\/hour=07\/part-views-to-files-g0-b\d+-[A-Za-z0-9._~-]+-0\.parquet$/);
    }
    const rows = [];
    for (const file of files) {
      const bytes = (await t.ports.blobs.get(file.path))!;
      // No time or host in the footer: only what the sink sets.
      const metadata = parquetMetadata(buffer(bytes));
      expect(metadata.created_by).toBe('sluice');
      expect(metadata.key_value_metadata ?? []).toEqual([]);
      rows.push(...(await parquetReadObjects({ file: buffer(bytes) })));
    }
    expect(rows.map((r) => [r.pk, r.key, r.value, r.windowStart]).sort()).toEqual([
      [`/a#${T0}`, '/a', 2, T0],
      [`/b#${T0}`, '/b', 1, T0],
    ]);

    // Athena's manifest for the partition lists exactly the committed files.
    const manifests = await t.ports.blobs.list('lake/views/_symlink_format_manifest/dt=2026-12-02/hour=07/');
    const listed = (await Promise.all(manifests.map(async (key) => new TextDecoder().decode((await t.ports.blobs.get(key))!))))
      .join('')
      .split('\n')
      .filter((line) => line !== '');
    expect(listed.sort()).toEqual(files.map((f) => `s3://checkpoint-bucket/${f.path}`).sort());
  });

  it("a partitionBy that returns an unsafe path or throws sends the row to the dead letters (stage 'sink'), never blocks", async () => {
    const job = defineJob({
      name: 'unsafe-partitions',
      version: 1,
      source: memorySource({ streamName: 'events' }),
      pipeline: (events) => events.map((e) => ({ id: e.id, dir: e.dir })),
      sink: s3FileSink({
        prefix: 'out',
        format: 'jsonl',
        partitionBy: (row) => {
          if (row.dir === 'boom') throw new Error('no dir');
          return `dir=${row.dir}`;
        },
      }),
    });
    const t = createTestHarness(job);
    t.addRecords([
      { id: 1, dir: 'ok' },
      { id: 2, dir: '../escape' },
      { id: 3, dir: 'boom' },
      { id: 4, dir: 'a b' },
    ]);
    const batch = await t.runBatch();
    expect(batch.deadLetters.map((d) => [d.stage, d.reason.includes('partition') ? 'partition' : d.reason])).toEqual([
      ['sink', 'partition'],
      ['sink', 'partition'],
      ['sink', 'partition'],
    ]);
    expect(batch.emitted.map((r) => r.value)).toEqual([{ id: 1, dir: 'ok' }]);
    const files = await (t.ports.sink(job.sink) as FileSink).committedFiles();
    expect(files.map((f) => f.partition)).toEqual(['dir=ok']);
  });
});
