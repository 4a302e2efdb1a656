import { describe, expect, it } from 'vitest';
import { count, defineJob, dynamoDbSink, kinesisSource, sum, tumbling } from '../../../engine/job/index.js';
import { PartitionRun, recs, rowsByKey } from './harness.js';

// The job of the API's documentation, written exactly as a user would.
export const pageViews = defineJob({
  name: 'page-views',
  version: 1,
  source: kinesisSource({ streamName: 'clicks', startingPosition: 'EARLIEST' }),
  decode: 'json',
  pipeline: (events) =>
    events
      .filter((e) => e.type === 'view')
      .map((e) => ({ page: e.page, ts: e.ts }))
      .withWatermark((e) => e.ts, { allowedLatenessMs: 10_000 })
      .keyBy((e) => e.page)
      .window(tumbling({ sizeMs: 60_000 }))
      .aggregate(count()),
  sink: dynamoDbSink({ tableName: 'page-views' }),
  outputMode: 'update',
  trigger: { type: 'interval', intervalMs: 1000 },
  maxRecordsPerPartition: 10_000,
  checkpoint: { snapshotEvery: 10, retainBatches: 100 },
});

describe('the documented page-views job', () => {
  it('counts views per page and minute, batch after batch', () => {
    expect(pageViews.pipeline.description).toBe('decode(json) > filter > map > withWatermark(10s) > keyBy > window(tumbling 1m) > count');
    const run = new PartitionRun(pageViews.pipeline);
    const b1 = run.batch(
      recs([
        { type: 'view', page: '/home', ts: 5_000 },
        { type: 'click', page: '/home', ts: 6_000 },
        { type: 'view', page: '/home', ts: 61_000 },
        { type: 'view', page: '/docs', ts: 7_000 },
      ]),
    );
    expect(rowsByKey(b1)).toEqual({
      '/docs#0': { key: '/docs', windowStart: 0, windowEnd: 60_000, value: 1 },
      '/home#0': { key: '/home', windowStart: 0, windowEnd: 60_000, value: 1 },
      '/home#60000': { key: '/home', windowStart: 60_000, windowEnd: 120_000, value: 1 },
    });
    expect(b1.maxEventTimeMs).toBe(61_000);
    // The planner's watermark for the next batch: 61s - 10s = 51s. Minute 0 is still open.
    const b2 = run.batch(recs([{ type: 'view', page: '/home', ts: 55_000 }], 5), 51_000);
    expect(rowsByKey(b2)).toEqual({ '/home#0': { key: '/home', windowStart: 0, windowEnd: 60_000, value: 2 } });
    // Watermark 70s closes minute 0: it leaves state, and a view for it is late.
    const b3 = run.batch(recs([{ type: 'view', page: '/home', ts: 59_000 }], 6), 70_000);
    expect(b3.lateRecords).toBe(1);
    expect(b3.rows).toEqual([]);
    expect([...run.state.keys()]).toEqual(['["/home",60000]']);
  });

  it('accepts named aggregates in place of count()', () => {
    const job = defineJob({
      name: 'page-bytes',
      version: 2,
      source: kinesisSource({ streamName: 'clicks' }),
      pipeline: (events) =>
        events
          .withWatermark((e) => e.ts, { allowedLatenessMs: 0 })
          .keyBy((e) => e.page)
          .window(tumbling({ sizeMs: 60_000 }))
          .aggregate({ views: count(), bytes: sum((e) => e.size) }),
      sink: dynamoDbSink({ tableName: 'page-bytes' }),
    });
    const outcome = new PartitionRun(job.pipeline).batch(
      recs([
        { page: '/', ts: 1, size: 10 },
        { page: '/', ts: 2, size: 5 },
      ]),
    );
    expect(outcome.rows).toEqual([{ key: '/#0', value: { key: '/', windowStart: 0, windowEnd: 60_000, views: 2, bytes: 15 } }]);
  });
});
