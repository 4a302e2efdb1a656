import { describe, expect, it } from 'vitest';
import { count, defineJob, memorySink, memorySource, sum, tumbling } from '../../../engine/job/index.js';
import { createTestHarness } from '../../../engine/testing/harness.js';

const views = (outputMode: 'update' | 'append') =>
  defineJob({
    name: 'views',
    version: 1,
    source: memorySource({ streamName: 'clicks' }),
    pipeline: (events) =>
      events
        .withWatermark((e) => e.ts, { allowedLatenessMs: 5_000 })
        .keyBy((e) => e.page)
        .window(tumbling({ sizeMs: 10_000 }))
        .aggregate(count()),
    sink: memorySink({ name: 'views' }),
    outputMode,
    maxRecordsPerPartition: 100,
  });

describe('the test harness', () => {
  it('runs one batch and shows what that batch emitted and the state it keeps', async () => {
    const t = createTestHarness(views('update'));
    t.addRecords([
      { page: '/a', ts: 1_000 },
      { page: '/a', ts: 2_000 },
      { page: '/b', ts: 12_000 },
    ]);
    const batch = await t.runBatch();
    expect(batch.batchId).toBe(1);
    expect(batch.records).toBe(3);
    expect(batch.emitted.map((r) => [r.key, r.value])).toEqual([
      ['/a#0', { key: '/a', windowStart: 0, windowEnd: 10_000, value: 2 }],
      ['/b#10000', { key: '/b', windowStart: 10_000, windowEnd: 20_000, value: 1 }],
    ]);
    expect(batch.stateRows).toBe(2);
    expect(batch.watermarkMs).toBeNull();

    t.addRecords([{ page: '/a', ts: 8_000 }]); // behind the newest event, ahead of the watermark
    const second = await t.runBatch();
    expect(second.watermarkMs).toBe(7_000);
    expect(second.emitted.map((r) => [r.key, r.value.value])).toEqual([['/a#0', 3]]);
    expect(await t.sinkValues()).toMatchObject({ '/a#0': { value: 3 }, '/b#10000': { value: 1 } });
  });

  it('drops records behind the watermark and counts them', async () => {
    const t = createTestHarness(views('update'));
    t.addRecords([{ page: '/a', ts: 60_000 }]);
    await t.runBatch();
    t.addRecords([{ page: '/a', ts: 1_000 }]);
    const batch = await t.runBatch();
    expect(batch.watermarkMs).toBe(55_000);
    expect(batch.lateRecords).toBe(1);
    expect(batch.emitted).toEqual([]);
  });

  it('append mode emits a window once, when the watermark passes its end, and evicts it', async () => {
    const t = createTestHarness(views('append'));
    t.addRecords([
      { page: '/a', ts: 1_000 },
      { page: '/a', ts: 4_000 },
    ]);
    expect((await t.runBatch()).emitted).toEqual([]);
    t.addRecords([{ page: '/a', ts: 16_000 }]);
    const second = await t.runBatch(); // watermark -1000: nothing closes
    expect(second.emitted).toEqual([]);
    const third = await t.runBatch(); // watermark 11000 passes the end of [0, 10000)
    expect(third.emitted.map((r) => [r.key, r.value.value])).toEqual([['/a#0', 2]]);
    expect(third.stateRows).toBe(1);
    const fourth = await t.runBatch();
    expect(fourth.emitted).toEqual([]);
  });

  it('sends bad records to the dead-letter table and keeps going', async () => {
    const job = defineJob({
      name: 'totals',
      version: 1,
      source: memorySource({ streamName: 'orders' }),
      pipeline: (orders) =>
        orders
          .map((o) => {
            if (typeof o.amount !== 'number') throw new Error('no amount');
            return o;
          })
          .keyBy((o) => o.customer)
          .aggregate(sum((o) => o.amount)),
      sink: memorySink({ name: 'totals' }),
    });
    const t = createTestHarness(job, { partitions: ['p0', 'p1'] });
    t.addRecords([{ customer: 'c1', amount: 5 }], { partition: 'p0' });
    t.addRawRecords(['{not json'], { partition: 'p0' });
    t.addRecords([{ customer: 'c1' }], { partition: 'p0' });
    t.addRecords([{ customer: 'c2', amount: 7 }], { partition: 'p1' });
    const batch = await t.runBatch();
    expect(batch.deadLetters.map((d) => [d.partition, d.stage])).toEqual([
      ['p0', 'decode'],
      ['p0', 'map'],
    ]);
    expect(batch.deadLetters[1]!.reason).toContain('no amount');
    expect(await t.sinkValues()).toEqual({ c1: { key: 'c1', value: 5 }, c2: { key: 'c2', value: 7 } });
    expect(await t.runUntilIdle()).toHaveLength(1);
  });

  it('advances time: a LATEST job reads only what arrives after its first plan', async () => {
    const job = defineJob({
      name: 'latest',
      version: 1,
      source: memorySource({ streamName: 's', startingPosition: 'LATEST' }),
      pipeline: (s) => s,
      sink: memorySink({ name: 'out' }),
    });
    const t = createTestHarness(job);
    t.addRecords([{ n: 1 }]);
    t.advanceTime(1_000);
    expect((await t.runBatch()).records).toBe(0);
    t.advanceTime(1_000);
    t.addRecords([{ n: 2 }]);
    const batch = await t.runBatch();
    expect(batch.emitted.map((r) => r.value)).toEqual([{ n: 2 }]);
  });
});
