/**
 * The page-views job on the test harness (#sluice/testing): memory adapters, no stand-in
 * started (`npx vitest run jobs/clickstream`). Views per page per 10-second window, with
 * 30 s of allowed lateness; a record that is not JSON, or has no page, is a dead letter.
 */
import { createTestHarness } from '#sluice/testing';
import { describe, expect, it } from 'vitest';
import { resolveJob } from '#sluice/catalog';
import { catalog } from '../catalog.js';
import { clickstreamJob } from './job.js';

describe('the page-views job', () => {
  it('counts views per page per window across partitions, and dead-letters bad records', async () => {
    const t = createTestHarness(clickstreamJob(), { partitions: ['p0', 'p1'] });
    t.addRecords(
      [
        { page: '/a', user: 'u0', ts: 1_000 },
        { page: '/b', user: 'u0', ts: 2_000 },
      ],
      { partition: 'p0' },
    );
    t.addRecords(
      [
        { page: '/a', user: 'u1', ts: 3_000 },
        { page: '/a', user: 'u1', ts: 12_000 },
        { user: 'u1', ts: 4_000 },
      ],
      { partition: 'p1' },
    );
    t.addRawRecords(['not json'], { partition: 'p1' });

    const batch = await t.runBatch();
    expect(batch.records).toBe(6);
    expect(batch.deadLetters.map((d) => d.stage).sort()).toEqual(['decode', 'map']);
    expect(Object.values(await t.sinkValues())).toEqual(
      expect.arrayContaining([
        { key: '/a', windowStart: 0, windowEnd: 10_000, value: 2 },
        { key: '/b', windowStart: 0, windowEnd: 10_000, value: 1 },
        { key: '/a', windowStart: 10_000, windowEnd: 20_000, value: 1 },
      ]),
    );
    expect(Object.keys(await t.sinkValues())).toHaveLength(3);
  });

  it('counts a late view within the allowed lateness and drops one beyond it', async () => {
    const t = createTestHarness(clickstreamJob());
    t.addRecords([{ page: '/a', ts: 100_000 }]);
    await t.runBatch();
    // The next batch's watermark is 100 s - 30 s = 70 s: a view at 75 s still counts, one at 5 s is late.
    t.addRecords([
      { page: '/a', ts: 75_000 },
      { page: '/a', ts: 5_000 },
    ]);
    const batch = await t.runBatch();
    expect(batch.watermarkMs).toBe(70_000);
    expect(batch.lateRecords).toBe(1);
    expect(batch.emitted.map((r) => r.value)).toEqual([{ key: '/a', windowStart: 70_000, windowEnd: 80_000, value: 1 }]);
  });

  it("sends its sink rows as the catalog's sinkWrites parameter says, and refuses another mode", () => {
    expect(resolveJob(catalog, 'page-views', {}).sink).toEqual({ type: 'dynamodb', tableName: 'page-views' });
    expect(resolveJob(catalog, 'page-views', { sinkWrites: 'puts' }).sink).toEqual({
      type: 'dynamodb',
      tableName: 'page-views',
      writes: 'puts',
    });
    expect(() => resolveJob(catalog, 'page-views', { sinkWrites: 'batch' })).toThrow(/parameter sinkWrites/);
  });
});
