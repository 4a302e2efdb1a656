import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BatchStatus } from '../../../engine/protocol/batch-records.js';
import { noDataBatchDue, watermarkAfter } from '../../../engine/protocol/no-data-batch.js';
import { planNextBatch } from '../../../engine/protocol/planning.js';
import { batchCommit, batchPlan, partitionCommit } from '../../support/builders.js';

const LATENESS = 10_000;
const settings = {
  startingPosition: 'EARLIEST' as const,
  maxRecordsPerPartition: 10,
  allowedLatenessMs: LATENESS,
  jobVersion: 1,
};
const time = fc.option(fc.integer({ min: 0, max: 10_000_000 }), { nil: null });

describe('the extra no-data batch after a caught-up batch (noDataBatchDue)', () => {
  it('is due when the batch moved the watermark: from none to its first value, or higher', () => {
    const first = batchPlan({ watermarkMs: null });
    expect(noDataBatchDue({ plan: first, commit: batchCommit({ maxEventTimeMs: 60_000 }), allowedLatenessMs: LATENESS })).toBe(true);
    const later = batchPlan({ batchId: 2, watermarkMs: 40_000, maxEventTimeMs: 50_000 });
    expect(noDataBatchDue({ plan: later, commit: batchCommit({ batchId: 2, maxEventTimeMs: 50_001 }), allowedLatenessMs: LATENESS })).toBe(
      true,
    );
  });

  it('is not due when the watermark stays (no newer event time, or one within the lateness), nor for a job without a watermark', () => {
    const plan = batchPlan({ batchId: 2, watermarkMs: 40_000, maxEventTimeMs: 50_000 });
    for (const maxEventTimeMs of [50_000, 45_000]) {
      expect(noDataBatchDue({ plan, commit: batchCommit({ batchId: 2, maxEventTimeMs }), allowedLatenessMs: LATENESS })).toBe(false);
    }
    expect(noDataBatchDue({ plan: batchPlan(), commit: batchCommit({ maxEventTimeMs: null }), allowedLatenessMs: LATENESS })).toBe(false);
    expect(noDataBatchDue({ plan: batchPlan(), commit: batchCommit({ maxEventTimeMs: 60_000 }), allowedLatenessMs: null })).toBe(false);
  });

  it('on key groups, only when some group has a window due at the new watermark (finer than Spark, which asks only whether it rose)', () => {
    const plan = batchPlan({ watermarkMs: null, keyGroups: 4, groups: {} });
    const commit = (dueAtWatermarkMs?: number) =>
      batchCommit({
        maxEventTimeMs: 60_000, // the new watermark: 50,000
        groups: { 0: { version: 1, rows: 2 }, 3: { version: 1, rows: 1, ...(dueAtWatermarkMs === undefined ? {} : { dueAtWatermarkMs }) } },
      });
    expect(noDataBatchDue({ plan, commit: commit(50_000), allowedLatenessMs: LATENESS })).toBe(true);
    expect(noDataBatchDue({ plan, commit: commit(50_001), allowedLatenessMs: LATENESS })).toBe(false);
    expect(noDataBatchDue({ plan, commit: commit(), allowedLatenessMs: LATENESS })).toBe(false);
  });

  it('watermarkAfter is the watermark planNextBatch fixes, and the extra batch is never followed by another one', () => {
    fc.assert(
      fc.property(time, time, fc.option(fc.nat(100_000), { nil: null }), (watermarkMs, maxEventTimeMs, allowedLatenessMs) => {
        const plan = batchPlan({ watermarkMs, maxEventTimeMs: null });
        const commit = batchCommit({ maxEventTimeMs, partitions: { p: partitionCommit() } });
        const next = planNextBatch({
          jobId: 'job',
          epoch: 1,
          previous: { plan, status: BatchStatus.COMMITTED, commit },
          partitions: ['p'],
          settings: { ...settings, allowedLatenessMs },
          nowMs: 5_000,
        });
        expect(watermarkAfter(plan, commit, allowedLatenessMs)).toBe(next.watermarkMs);
        // The extra batch reads nothing: its commit carries the same max event time forward.
        const extra = batchCommit({ batchId: 2, maxEventTimeMs: next.maxEventTimeMs, partitions: { p: partitionCommit() } });
        expect(noDataBatchDue({ plan: next, commit: extra, allowedLatenessMs })).toBe(false);
      }),
    );
  });
});
