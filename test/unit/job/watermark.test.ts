import { describe, expect, it } from 'vitest';
import { count, sum, tumbling } from '../../../engine/job/index.js';
import { job, PartitionRun, rec, recs } from './harness.js';

const windowed = job({
  pipeline: (s) =>
    s
      .withWatermark((e) => e.ts, { allowedLatenessMs: 5_000 })
      .keyBy((e) => e.k)
      .window(tumbling({ sizeMs: 1_000 }))
      .aggregate(count()),
}).pipeline;

describe('event time and the watermark', () => {
  it('takes allowedLatenessMs from withWatermark, or null when the pipeline has none', () => {
    expect(windowed.allowedLatenessMs).toBe(5_000);
    expect(job({ pipeline: (s) => s.keyBy((e) => e.k).aggregate(count()) }).pipeline.allowedLatenessMs).toBeNull();
  });

  it('drops values whose event time is below the watermark and counts them as late, not as failures', () => {
    const outcome = new PartitionRun(windowed).batch(
      recs([
        { k: 'a', ts: 9_999 },
        { k: 'a', ts: 10_000 },
        { k: 'a', ts: 4_000 },
        { k: 'b', ts: 10_500 },
      ]),
      10_000,
    );
    expect(outcome.lateRecords).toBe(2);
    expect(outcome.failures).toEqual([]);
    expect(outcome.rows).toEqual([
      { key: 'a#10000', value: { key: 'a', windowStart: 10_000, windowEnd: 11_000, value: 1 } },
      { key: 'b#10000', value: { key: 'b', windowStart: 10_000, windowEnd: 11_000, value: 1 } },
    ]);
  });

  it('accepts everything while the watermark is null', () => {
    const outcome = new PartitionRun(windowed).batch(
      recs([
        { k: 'a', ts: -5 },
        { k: 'a', ts: 0 },
      ]),
      null,
    );
    expect(outcome.lateRecords).toBe(0);
    expect(outcome.rows.map((r) => r.key)).toEqual(['a#-1000', 'a#0']);
  });

  it('reports the highest event time of every value withWatermark saw, late ones included (as Spark)', () => {
    const outcome = new PartitionRun(windowed).batch(
      recs([
        { k: 'a', ts: 20_000 },
        { k: 'a', ts: 3_000 },
        { k: 'a', ts: 1_000 },
      ]),
      2_000,
    );
    expect(outcome.maxEventTimeMs).toBe(20_000);
    const onlyLate = new PartitionRun(windowed).batch(recs([{ k: 'a', ts: 1_000 }]), 2_000);
    expect(onlyLate.maxEventTimeMs).toBe(1_000);
    expect(onlyLate.lateRecords).toBe(1);
  });

  it('counts event times that pass withWatermark even when a later filter drops the value', () => {
    const pipeline = job({
      pipeline: (s) => s.withWatermark((e) => e.ts, { allowedLatenessMs: 0 }).filter((e) => e.keep),
    }).pipeline;
    const outcome = new PartitionRun(pipeline).batch(
      recs([
        { ts: 7, keep: true },
        { ts: 9, keep: false },
      ]),
    );
    expect(outcome.maxEventTimeMs).toBe(9);
    expect(outcome.rows).toHaveLength(1);
  });

  it('reports null as max event time for a pipeline without withWatermark', () => {
    const outcome = new PartitionRun(job({ pipeline: (s) => s }).pipeline).batch(recs([{ ts: 1 }]));
    expect(outcome.maxEventTimeMs).toBeNull();
  });

  it('carries the event time through later map and flatMap stages into the window', () => {
    const pipeline = job({
      pipeline: (s) =>
        s
          .withWatermark((e) => e.ts, { allowedLatenessMs: 0 })
          .flatMap((e) => e.pages)
          .map((page) => ({ page }))
          .keyBy((v) => v.page)
          .window(tumbling({ sizeMs: 100 }))
          .aggregate(count()),
    }).pipeline;
    const outcome = new PartitionRun(pipeline).batch(recs([{ ts: 250, pages: ['x', 'y'] }]));
    expect(outcome.rows.map((r) => r.key)).toEqual(['x#200', 'y#200']);
  });

  it('counts a record once however many of its values (split by flatMap) are late', () => {
    const pipeline = job({
      pipeline: (s) =>
        s
          .flatMap((e) => e.ts)
          .withWatermark((ts) => ts, { allowedLatenessMs: 0 })
          .keyBy(() => 'k')
          .window(tumbling({ sizeMs: 5 }))
          .aggregate(count()),
    }).pipeline;
    const outcome = new PartitionRun(pipeline).batch(recs([{ ts: [1, 2, 30] }]), 10);
    expect(outcome.lateRecords).toBe(1);
    expect(outcome.late.map((l) => l.eventTimeMs)).toEqual([1]);
    expect(outcome.rows).toEqual([{ key: 'k#30', value: { key: 'k', windowStart: 30, windowEnd: 35, value: 1 } }]);
  });

  it('never drops values of a stateless pipeline: the watermark only bounds state (Spark)', () => {
    const pipeline = job({ pipeline: (s) => s.withWatermark((e) => e.ts, { allowedLatenessMs: 0 }) }).pipeline;
    const outcome = new PartitionRun(pipeline).batch(recs([{ ts: 1 }, { ts: 100 }]), 50);
    expect(outcome.lateRecords).toBe(0);
    expect(outcome.rows).toEqual([
      { key: 'shard-0:1:0', value: { ts: 1 } },
      { key: 'shard-0:2:0', value: { ts: 100 } },
    ]);
  });

  it('never drops values of a running aggregate (no window): its state never closes', () => {
    const pipeline = job({
      pipeline: (s) =>
        s
          .withWatermark((e) => e.ts, { allowedLatenessMs: 0 })
          .keyBy((e) => e.k)
          .aggregate(count()),
    }).pipeline;
    const outcome = new PartitionRun(pipeline).batch(recs([{ k: 'a', ts: 1 }]), 1_000_000);
    expect(outcome.lateRecords).toBe(0);
    expect(outcome.rows).toEqual([{ key: 'a', value: { key: 'a', value: 1 } }]);
  });

  it("windows by the record's arrival time when the pipeline has no withWatermark", () => {
    const pipeline = job({
      pipeline: (s) =>
        s
          .keyBy((e) => e.k)
          .window(tumbling({ sizeMs: 1_000 }))
          .aggregate(sum((e) => e.n)),
    }).pipeline;
    const outcome = new PartitionRun(pipeline).batch([
      rec(1, { k: 'a', n: 1 }, { arrivalTimeMs: 1_999 }),
      rec(2, { k: 'a', n: 2 }, { arrivalTimeMs: 2_000 }),
    ]);
    expect(outcome.rows.map((r) => r.value)).toEqual([
      { key: 'a', windowStart: 1_000, windowEnd: 2_000, value: 1 },
      { key: 'a', windowStart: 2_000, windowEnd: 3_000, value: 2 },
    ]);
    expect(outcome.maxEventTimeMs).toBeNull();
  });
});
