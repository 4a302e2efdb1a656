/** Job versions and replay generations in the planner (engine/protocol/planning.ts, job-versions.ts). */
import { describe, expect, it } from 'vitest';
import { JobSpecError } from '../../../engine/errors.js';
import { generationOf, type BatchPlan, type BatchRecord } from '../../../engine/protocol/batch-records.js';
import { buildCommit } from '../../../engine/protocol/commit.js';
import { checkPlannedVersion, stateMigrationFor } from '../../../engine/protocol/job-versions.js';
import { planNextBatch, resolveNextBatch, type PlanningSettings } from '../../../engine/protocol/planning.js';
import { batchRecord, partitionResult } from '../../support/builders.js';

const v1: PlanningSettings = { startingPosition: 'EARLIEST', maxRecordsPerPartition: 10, allowedLatenessMs: null, jobVersion: 1 };

function committedAfter(previous: BatchRecord | null, settings: PlanningSettings, extra: Partial<BatchPlan> = {}): BatchRecord {
  const plan = { ...planNextBatch({ jobId: 'j', epoch: 1, previous, partitions: ['a'], settings, nowMs: 1 }), ...extra };
  const results = [
    partitionResult('a', {
      end: { count: 1, lastOffset: '5' },
      stateVersion: plan.batchId,
      records: 1,
      outputRows: 1,
      stateRows: 1,
      stateBytesWritten: 1,
    }),
  ];
  return batchRecord(plan, buildCommit({ plan, results, epoch: 1, nowMs: 2 }));
}

describe('job versions in plans', () => {
  it("records the code's version in every plan, and generation 0 until a replay", () => {
    const one = committedAfter(null, v1);
    expect(one.plan).toMatchObject({ jobVersion: 1, generation: 0 });
    expect(one.plan.migrateFromVersion).toBeUndefined();
    const two = planNextBatch({ jobId: 'j', epoch: 1, previous: one, partitions: ['a'], settings: v1, nowMs: 3 });
    expect(two).toMatchObject({ jobVersion: 1, generation: 0 });
  });

  it('carries the generation of the previous plan forward (a replay set it), counting a plan without one as 0', () => {
    const replayed = committedAfter(committedAfter(null, v1), v1, { generation: 3 });
    expect(planNextBatch({ jobId: 'j', epoch: 1, previous: replayed, partitions: ['a'], settings: v1, nowMs: 3 }).generation).toBe(3);
    const { generation: _, ...legacy } = committedAfter(null, v1).plan;
    expect(generationOf(legacy)).toBe(0);
  });

  it('names the version to migrate from in the first plan under a new version that declares the migration', () => {
    const one = committedAfter(null, v1);
    const v2 = { ...v1, jobVersion: 2, migratesFrom: [1] };
    const two = planNextBatch({ jobId: 'j', epoch: 1, previous: one, partitions: ['a'], settings: v2, nowMs: 3 });
    expect(two).toMatchObject({ jobVersion: 2, migrateFromVersion: 1 });
    const three = planNextBatch({
      jobId: 'j',
      epoch: 1,
      previous: { ...committedAfter(one, v2), plan: two },
      partitions: ['a'],
      settings: v2,
      nowMs: 4,
    });
    expect(three.migrateFromVersion).toBeUndefined();
    // A plan written before versions were recorded is compatible with any version.
    const { jobVersion: _, ...legacy } = one.plan;
    expect(stateMigrationFor({ jobId: 'j', checkpoint: legacy, codeVersion: 7, migratesFrom: [] })).toBeUndefined();
    // Going back to an older version is the same rule: it needs a migration from the newer one.
    expect(stateMigrationFor({ jobId: 'j', checkpoint: two, codeVersion: 1, migratesFrom: [2] })).toBe(2);
  });

  it("refuses to plan after another version's checkpoint without a migration, saying what to do", () => {
    const one = committedAfter(null, v1);
    const plan = () =>
      planNextBatch({
        jobId: 'j',
        epoch: 1,
        previous: one,
        partitions: ['a'],
        settings: { ...v1, jobVersion: 3, migratesFrom: [2] },
        nowMs: 3,
      });
    expect(plan).toThrow(JobSpecError);
    expect(plan).toThrow(
      'job j: its checkpoint (the state after batch 1) was written by job version 1, and this code is version 3, which ' +
        'declares no state migration from version 1. Either deploy version 1 again; or, if version 3 can convert that ' +
        'state, declare migrations: [{ fromVersion: 1, state: (key, value) => ({ key, value }) }] in it; or start a new ' +
        'job instance (another job id), which begins with empty state.',
    );
  });

  it('resumes a planned batch only with the version that planned it', () => {
    const planned = batchRecord(planNextBatch({ jobId: 'j', epoch: 1, previous: null, partitions: ['a'], settings: v1, nowMs: 1 }));
    expect(resolveNextBatch({ jobId: 'j', epoch: 2, latest: planned, partitions: ['a'], settings: v1, nowMs: 2 }).kind).toBe('resume');
    const resume = () =>
      resolveNextBatch({ jobId: 'j', epoch: 2, latest: planned, partitions: ['a'], settings: { ...v1, jobVersion: 2 }, nowMs: 2 });
    expect(resume).toThrow(JobSpecError);
    expect(resume).toThrow(
      'job j: batch 1 was planned by job version 1 and is not committed; this code is version 2. A planned batch is ' +
        'finished by the version that planned it: deploy version 1 again until batch 1 commits, then deploy version 2 ' +
        'with a state migration from version 1; or start a new job instance from the last committed batch: ' +
        'npm run replay -- --job j --from-batch 0 --into <new job id>.',
    );
    expect(() => checkPlannedVersion({ jobId: 'j', plan: planned.plan, codeVersion: 2, migratesFrom: [1] })).toThrow(
      'then deploy version 2 again;',
    );
  });

  it('rejects a version that is not a positive integer', () => {
    for (const jobVersion of [0, -1, 1.5, Number.NaN]) {
      expect(() =>
        planNextBatch({ jobId: 'j', epoch: 1, previous: null, partitions: ['a'], settings: { ...v1, jobVersion }, nowMs: 1 }),
      ).toThrow(JobSpecError);
    }
  });
});
