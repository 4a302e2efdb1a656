import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BatchRecord, PartitionResult } from '../../../engine/protocol/batch-records.js';
import { buildCommit } from '../../../engine/protocol/commit.js';
import { planNextBatch, resolveNextBatch, type PlanningSettings } from '../../../engine/protocol/planning.js';
import { retentionPlan } from '../../../engine/protocol/retention.js';
import { nextWatermark } from '../../../engine/protocol/watermark.js';
import { JobSpecError } from '../../../engine/errors.js';
import { batchRecord, partitionResult } from '../../support/builders.js';

const settings: PlanningSettings = { startingPosition: 'EARLIEST', maxRecordsPerPartition: 100, allowedLatenessMs: 1000, jobVersion: 1 };

function result(partition: string, overrides: Partial<PartitionResult> = {}): PartitionResult {
  return partitionResult(partition, {
    end: { count: 2, lastOffset: '20' },
    stateVersion: 1,
    records: 2,
    outputRows: 1,
    maxEventTimeMs: 5000,
    stateRows: 1,
    stateBytesWritten: 10,
    lagMs: 0,
    ...overrides,
  });
}

function committed(previous: BatchRecord | null, results: PartitionResult[], nowMs = 10): BatchRecord {
  const plan = planNextBatch({ jobId: 'j', epoch: 1, previous, partitions: results.map((r) => r.partition), settings, nowMs });
  return batchRecord(plan, buildCommit({ plan, results, epoch: 1, nowMs: nowMs + 5 }));
}

describe('resolveNextBatch', () => {
  it('plans batch 1 from the starting position when the WAL is empty', () => {
    const next = resolveNextBatch({ jobId: 'j', epoch: 1, latest: null, partitions: ['b', 'a'], settings, nowMs: 7 });
    expect(next.kind).toBe('plan');
    expect(next.plan.batchId).toBe(1);
    expect(next.plan.partitions.map((p) => p.partition)).toEqual(['a', 'b']);
    expect(next.plan.partitions.every((p) => p.start.type === 'EARLIEST' && p.baseStateVersion === 0)).toBe(true);
    expect(next.plan.watermarkMs).toBeNull();
  });

  it('re-runs a planned, uncommitted batch with exactly its recorded plan', () => {
    const first = resolveNextBatch({ jobId: 'j', epoch: 1, latest: null, partitions: ['a'], settings, nowMs: 7 });
    const latest = batchRecord(first.plan);
    const next = resolveNextBatch({ jobId: 'j', epoch: 2, latest, partitions: ['a', 'new'], settings, nowMs: 999 });
    expect(next).toEqual({ kind: 'resume', plan: first.plan });
  });

  it('plans the batch after a committed one where it ended', () => {
    const one = committed(null, [result('a'), result('b', { end: { count: 0 }, stateVersion: 0, maxEventTimeMs: null })]);
    const next = resolveNextBatch({ jobId: 'j', epoch: 1, latest: one, partitions: ['a', 'b'], settings, nowMs: 50 });
    expect(next.kind).toBe('plan');
    const [a, b] = next.plan.partitions;
    expect(next.plan.batchId).toBe(2);
    expect(a).toMatchObject({ partition: 'a', start: { type: 'AFTER', offset: '20' }, baseStateVersion: 1 });
    expect(b).toMatchObject({ partition: 'b', start: { type: 'EARLIEST' }, baseStateVersion: 0 });
    expect(next.plan.watermarkMs).toBe(4000);
    expect(next.plan.maxEventTimeMs).toBe(5000);
  });

  it('starts a partition that appears while the job runs at the job’s own starting position', async () => {
    const latestSettings: PlanningSettings = { ...settings, startingPosition: 'LATEST' };
    const plan = planNextBatch({ jobId: 'j', epoch: 1, previous: null, partitions: ['a'], settings: latestSettings, nowMs: 7 });
    const one = batchRecord(plan, buildCommit({ plan, results: [result('a')], epoch: 1, nowMs: 8 }));
    const two = planNextBatch({ jobId: 'j', epoch: 1, previous: one, partitions: ['a', 'child'], settings: latestSettings, nowMs: 9 });
    // LATEST was fixed at the first plan's time: a later partition is read from then on, not from its own "now".
    expect(plan.startingPosition).toEqual({ type: 'AT_TIMESTAMP', timestamp: 7 });
    expect(plan.partitions[0]!.start).toEqual({ type: 'AT_TIMESTAMP', timestamp: 7 });
    expect(two.partitions.find((p) => p.partition === 'child')!.start).toEqual({ type: 'AT_TIMESTAMP', timestamp: 7 });
  });

  it('refuses to follow a batch that is not committed', () => {
    const plan = planNextBatch({ jobId: 'j', epoch: 1, previous: null, partitions: ['a'], settings, nowMs: 1 });
    expect(() => planNextBatch({ jobId: 'j', epoch: 1, previous: batchRecord(plan), partitions: [], settings, nowMs: 2 })).toThrow(
      /not committed/,
    );
  });

  it('rejects a bad rate limit with a JobSpecError', () => {
    expect(() =>
      planNextBatch({
        jobId: 'j',
        epoch: 1,
        previous: null,
        partitions: [],
        settings: { ...settings, maxRecordsPerPartition: 0 },
        nowMs: 1,
      }),
    ).toThrow(JobSpecError);
  });
});

describe('nextWatermark', () => {
  it('never decreases and trails the highest event time by the allowed lateness', () => {
    fc.assert(
      fc.property(
        fc.array(fc.option(fc.integer({ min: 0, max: 1e9 }), { nil: null })),
        fc.integer({ min: 0, max: 1e6 }),
        (times, lateness) => {
          let watermark: number | null = null;
          let max: number | null = null;
          for (const t of times) {
            if (t !== null) max = max === null ? t : Math.max(max, t);
            const next = nextWatermark(watermark, max, lateness);
            if (watermark !== null) expect(next).not.toBeNull();
            if (watermark !== null) expect(next!).toBeGreaterThanOrEqual(watermark);
            if (max !== null) expect(next).toBe(Math.max(watermark ?? -Infinity, max - lateness));
            watermark = next;
          }
        },
      ),
    );
  });

  it('stays null for a job without event time', () => {
    expect(nextWatermark(null, 5000, null)).toBeNull();
    expect(nextWatermark(null, null, 10)).toBeNull();
  });
});

describe('buildCommit', () => {
  it('sums metrics and takes the highest event time across partitions', () => {
    const plan = planNextBatch({ jobId: 'j', epoch: 1, previous: null, partitions: ['a', 'b'], settings, nowMs: 100 });
    const commit = buildCommit({
      plan,
      results: [
        result('a', { records: 3, maxEventTimeMs: 10, lagMs: 5 }),
        result('b', { records: 4, maxEventTimeMs: 30, lagMs: 9, caughtUp: false }),
      ],
      epoch: 2,
      nowMs: 160,
    });
    expect(commit.metrics).toMatchObject({ records: 7, durationMs: 60, lagMs: 9 });
    expect(commit.maxEventTimeMs).toBe(30);
    expect(commit.epoch).toBe(2);
    expect(commit.partitions.b!.caughtUp).toBe(false);
  });

  it('insists on exactly one result per planned partition', () => {
    const plan = planNextBatch({ jobId: 'j', epoch: 1, previous: null, partitions: ['a', 'b'], settings, nowMs: 1 });
    expect(() => buildCommit({ plan, results: [result('a')], epoch: 1, nowMs: 2 })).toThrow(/no result for partition b/);
    expect(() => buildCommit({ plan, results: [result('a'), result('a'), result('b')], epoch: 1, nowMs: 2 })).toThrow(/more than one/);
    expect(() => buildCommit({ plan, results: [result('a'), result('b'), result('c')], epoch: 1, nowMs: 2 })).toThrow(/unplanned/);
  });
});

describe('retentionPlan', () => {
  it('keeps the last M batches and the state versions the oldest kept batch builds on', () => {
    const plan = { ...planNextBatch({ jobId: 'j', epoch: 1, previous: null, partitions: ['a'], settings, nowMs: 1 }), batchId: 8 };
    const withBase = { ...plan, partitions: [{ ...plan.partitions[0]!, baseStateVersion: 6 }] };
    expect(retentionPlan({ committedBatchId: 10, retainBatches: 3, oldestKeptPlan: withBase })).toEqual({
      deleteBatchesBelow: 8,
      keepStateFrom: { a: 6 },
    });
  });

  it('deletes nothing while fewer than M batches exist', () => {
    expect(retentionPlan({ committedBatchId: 3, retainBatches: 3, oldestKeptPlan: null })).toBeNull();
  });
});
