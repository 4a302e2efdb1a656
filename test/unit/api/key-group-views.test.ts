/** The jobs API's views (engine/api/views.ts) of a job whose state lives in key groups, and how the CLI prints them. */
import { describe, expect, it } from 'vitest';
import { batchViewOf, jobStatusOf } from '../../../engine/api/views.js';
import { formatBatches, formatJobStatus } from '../../../cli/format/jobs.js';
import { count, defineJob, memorySink, memorySource, tumbling } from '../../../engine/job/index.js';
import { createTestHarness } from '../../../engine/testing/harness.js';
import { jobInstance } from '../../support/builders.js';

interface View {
  readonly country: string;
  readonly ts: number;
}

const job = (keyGroups?: number) =>
  defineJob<View>({
    name: 'per-country',
    version: 1,
    source: memorySource({ streamName: 'views' }),
    sink: memorySink({ name: 'per-country' }),
    pipeline: (views) =>
      views
        .withWatermark((v) => v.ts, { allowedLatenessMs: 0 })
        .keyBy((v) => v.country)
        .window(tumbling({ sizeMs: 1000 }))
        .aggregate(count()),
    // Without key groups: state per partition, the records' partition keys being their countries.
    ...(keyGroups === undefined ? { keyedBy: 'partitionKey' as const } : { keyGroups }),
  });

/** Two batches: fr and de in batch 1, fr again in batch 2 (batch 2 writes fr's group only). */
async function ran(keyGroups?: number) {
  const t = createTestHarness(job(keyGroups), { partitions: ['p0', 'p1'], jobId: 'j' });
  t.addRecords([{ country: 'fr', ts: 100 }], { partition: 'p0', key: 'fr' });
  t.addRecords([{ country: 'de', ts: 200 }], { partition: 'p0', key: 'de' });
  t.addRecords([{ country: 'fr', ts: 300 }], { partition: 'p1', key: 'fr' });
  await t.runBatch();
  t.addRecords([{ country: 'fr', ts: 400 }], { partition: 'p1', key: 'fr' });
  await t.runBatch();
  const recent = await t.ports.wal.listBatches('j');
  return { t, recent, status: jobStatusOf({ job: jobInstance(), execution: null, executionStatus: null, recent }) };
}

describe('views of a job whose state lives in key groups', () => {
  it("shows each key group's state version, rows and due window in the status, and the groups each batch wrote", async () => {
    const { recent, status } = await ran(8);
    const groups = recent.at(-1)!.commit!.groups!;
    expect(status.keyGroups).toEqual({
      count: 8,
      groups: Object.entries(groups)
        .map(([group, g]) => ({
          group: Number(group),
          stateVersion: g.version,
          rows: g.rows,
          dueAtWatermark: new Date(1000).toISOString(),
          dueAt: null,
        }))
        .sort((a, b) => a.group - b.group),
    });
    expect(status.keyGroups!.groups.map((g) => g.rows).reduce((a, b) => a + b, 0)).toBe(2);
    expect(status.lag.partitions.every((p) => p.stateVersion === 0)).toBe(true);

    const [first, second] = recent.map(batchViewOf);
    expect(first!.keyGroups).toMatchObject({ count: 8, withState: Object.keys(groups).length });
    expect(first!.keyGroups!.written.map((g) => [g.baseStateVersion, g.stateVersion])).toEqual(Object.keys(groups).map(() => [0, 1]));
    // Batch 2 wrote fr's group only, on version 1.
    expect(second!.keyGroups!.written).toEqual([{ group: expect.any(Number), baseStateVersion: 1, stateVersion: 2, rows: 1 }]);

    const text = formatJobStatus(status).join('\n');
    expect(text).toContain(`  key groups    8, ${Object.keys(groups).length} holding state`);
    // No cap set anywhere: the default of the job's 1 s trigger, as the newest plan has it.
    expect(status.plannedRateLimit).toBe(10_000);
    expect(text).toContain("rate limit    the job's own: 10,000 records per partition per batch in the newest plan");
    expect(text).toMatch(/ {4}group \d+ +state v2 {2}1 rows {2}due at watermark 1970-01-01 00:00:01Z/);
    expect(text).not.toContain('state v0');
    const table = formatBatches([second!, first!]);
    expect(table[0]).toMatch(/LAG MS +KEY GROUPS +WATERMARK/);
    expect(table[1]).toContain('1 of 8');
  });

  it('keeps the per-partition views of a job whose state lives per partition', async () => {
    const { recent, status } = await ran();
    expect(status.keyGroups).toBeNull();
    expect(status.lag.partitions.map((p) => p.stateVersion)).toEqual([1, 2]);
    expect(batchViewOf(recent[0]!).keyGroups).toBeNull();
    expect(formatJobStatus(status).join('\n')).not.toContain('key groups');
    expect(formatBatches(recent.map(batchViewOf))[0]).not.toContain('KEY GROUPS');
  });
});
