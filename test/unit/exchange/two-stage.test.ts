/**
 * A group-by on a key the producer did not partition by, through key groups and the
 * exchange: every key's values from every partition meet in one key group.
 */
import { describe, expect, it } from 'vitest';
import { count, defineJob, memorySink, memorySource, reduce, sum, tumbling } from '../../../engine/job/index.js';
import { createTestHarness } from '../../../engine/testing/harness.js';

interface View {
  readonly user: string;
  readonly country: string;
  readonly bytes?: number;
  readonly ts?: number;
}

const countPerCountry = (extra: Record<string, unknown> = {}) =>
  defineJob<View>({
    name: 'per-country',
    version: 1,
    source: memorySource({ streamName: 'views' }),
    sink: memorySink({ name: 'per-country' }),
    pipeline: (views) => views.keyBy((v) => v.country).aggregate({ views: count(), bytes: sum((v) => v.bytes ?? 0) }),
    keyGroups: 4,
    ...extra,
  });

describe('two-stage batches (key groups and the exchange)', () => {
  it("counts per country across partitions: the issue's 3 + 1 views of 'fr' make 4", async () => {
    const t = createTestHarness(countPerCountry(), { partitions: ['p0', 'p1'] });
    t.addRecords(
      [
        { user: 'u1', country: 'fr' },
        { user: 'u1', country: 'fr' },
        { user: 'u1', country: 'fr' },
      ],
      { partition: 'p0' },
    );
    t.addRecords(
      [
        { user: 'u2', country: 'fr' },
        { user: 'u2', country: 'de', bytes: 5 },
      ],
      { partition: 'p1' },
    );
    const batch = await t.runBatch();
    expect(batch.records).toBe(5);
    expect(await t.sinkValues()).toEqual({
      fr: { key: 'fr', views: 4, bytes: 0 },
      de: { key: 'de', views: 1, bytes: 5 },
    });
    t.addRecords([{ user: 'u3', country: 'fr', bytes: 2 }], { partition: 'p1' });
    await t.runBatch();
    expect((await t.sinkValues()).fr).toEqual({ key: 'fr', views: 5, bytes: 2 });
    expect(Object.fromEntries(await t.state())).toEqual({ '["fr"]': { views: 5, bytes: 2 }, '["de"]': { views: 1, bytes: 5 } });
  });

  it('records the key groups in the plan and each group’s state version in the commit', async () => {
    const t = createTestHarness(countPerCountry(), { partitions: ['p0', 'p1'] });
    t.addRecords([{ user: 'u1', country: 'fr' }], { partition: 'p1' });
    await t.runBatch();
    const record = await t.ports.wal.getLatestBatch(t.jobId);
    expect(record?.plan.keyGroups).toBe(4);
    expect(record?.plan.partitions.every((p) => p.baseStateVersion === 0)).toBe(true);
    const groups = record?.commit?.groups ?? {};
    expect(Object.values(groups)).toEqual([{ version: 1, rows: 1 }]);
    // An idle batch runs no group and keeps the versions.
    await t.runBatch();
    expect((await t.ports.wal.getLatestBatch(t.jobId))?.commit?.groups).toEqual(groups);
  });

  it('sends values without a combiner one by one, and dead-letters a failing one with its partition and offset', async () => {
    const job = defineJob<View>({
      name: 'longest',
      version: 1,
      source: memorySource({ streamName: 'views' }),
      sink: memorySink({ name: 'longest' }),
      pipeline: (views) =>
        views
          .keyBy((v) => v.country)
          .aggregate(
            reduce<View, string>({
              initial: '',
              add: (acc, v) => {
                if (v.user === 'bad') throw new Error('bad user');
                return v.user.length > acc.length ? v.user : acc;
              },
            }),
          ),
      keyGroups: 2,
    });
    const t = createTestHarness(job, { partitions: ['p0', 'p1'] });
    t.addRecords(
      [
        { user: 'ab', country: 'fr' },
        { user: 'bad', country: 'fr' },
      ],
      { partition: 'p0' },
    );
    t.addRecords([{ user: 'abcd', country: 'fr' }], { partition: 'p1' });
    const batch = await t.runBatch();
    expect(await t.sinkValues()).toEqual({ fr: { key: 'fr', value: 'abcd' } });
    expect(batch.deadLetters).toHaveLength(1);
    expect(batch.deadLetters[0]).toMatchObject({ partition: 'p0', stage: 'aggregate', reason: expect.stringContaining('bad user') });
  });

  it("applies a record's values in one key group together: when one fails, none of them counts", async () => {
    const job = defineJob<View & { tries: number[] }>({
      name: 'attempts',
      version: 1,
      source: memorySource({ streamName: 'views' }),
      sink: memorySink({ name: 'attempts' }),
      pipeline: (views) =>
        views
          .flatMap((v) => v.tries.map((n) => ({ ...v, bytes: n })))
          .keyBy((v) => v.country)
          .aggregate(
            reduce<View, number>({
              initial: 0,
              add: (acc, v) => {
                if (v.bytes! < 0) throw new Error('negative bytes');
                return acc + v.bytes!;
              },
            }),
          ),
      keyGroups: 2,
    });
    const t = createTestHarness(job, { partitions: ['p0', 'p1'] });
    t.addRecords([{ user: 'u1', country: 'fr', tries: [1, 2] }], { partition: 'p0' });
    t.addRecords([{ user: 'u2', country: 'fr', tries: [10, -1, 20] }], { partition: 'p1' });
    const batch = await t.runBatch();
    expect(await t.sinkValues()).toEqual({ fr: { key: 'fr', value: 3 } });
    expect(batch.deadLetters).toHaveLength(1);
    expect(batch.deadLetters[0]).toMatchObject({ partition: 'p1', stage: 'aggregate', reason: expect.stringContaining('negative bytes') });
    expect(batch.commit.metrics.deadLetters).toBe(1);
  });

  it('emits a window in append mode once the watermark passes it, in a batch with no input for its group', async () => {
    const job = defineJob<View>({
      name: 'windows',
      version: 1,
      source: memorySource({ streamName: 'views' }),
      sink: memorySink({ name: 'windows' }),
      pipeline: (views) =>
        views
          .withWatermark((v) => v.ts ?? 0, { allowedLatenessMs: 0 })
          .keyBy((v) => v.country)
          .window(tumbling({ sizeMs: 1000 }))
          .aggregate(count()),
      outputMode: 'append',
      keyGroups: 8,
    });
    const t = createTestHarness(job, { partitions: ['p0', 'p1'] });
    t.addRecords([{ user: 'u', country: 'fr', ts: 100 }], { partition: 'p0' });
    t.addRecords([{ user: 'u', country: 'fr', ts: 200 }], { partition: 'p1' });
    await t.runBatch();
    expect(await t.sinkValues()).toEqual({});
    // A record of another country moves the watermark past fr's window.
    t.addRecords([{ user: 'u', country: 'zz-other', ts: 5000 }], { partition: 'p1' });
    await t.runBatch();
    const emitted = await t.runBatch(); // the watermark 5000 is this batch's
    expect(emitted.emitted.map((r) => r.value)).toEqual([{ key: 'fr', windowStart: 0, windowEnd: 1000, value: 2 }]);
    expect(await t.state()).toEqual(new Map([['["zz-other",5000]', 1]]));
  });

  it('refuses keyGroups on a job whose state is per partition or that keeps none', () => {
    expect(() => countPerCountry({ keyedBy: 'partitionKey' })).toThrow(/keyGroups sets the key groups.*keyedBy: 'partitionKey'/);
    expect(() => countPerCountry({ keyGroups: 0 })).toThrow(/keyGroups must be an integer from 1 to 256, got 0/);
  });
});
