/** The state shape under one job version, in the planner (engine/protocol/job-versions.ts checkStateShape). */
import { describe, expect, it } from 'vitest';
import { JobSpecError } from '../../../engine/errors.js';
import type { BatchPlan, BatchRecord } from '../../../engine/protocol/batch-records.js';
import { buildCommit } from '../../../engine/protocol/commit.js';
import { checkStateShape } from '../../../engine/protocol/job-versions.js';
import { planNextBatch, resolveNextBatch, type PlanningSettings } from '../../../engine/protocol/planning.js';
import { batchRecord, partitionResult } from '../../support/builders.js';

const OLD = 'aaaaaaaaaaaaaaaa';
const NEW = 'bbbbbbbbbbbbbbbb';
const v1: PlanningSettings = {
  startingPosition: 'EARLIEST',
  maxRecordsPerPartition: 10,
  allowedLatenessMs: null,
  jobVersion: 1,
  stateShape: OLD,
};

function plan(previous: BatchRecord | null, settings: PlanningSettings): BatchPlan {
  return planNextBatch({ jobId: 'j', epoch: 1, previous, partitions: ['a'], settings, nowMs: 1 });
}

function committed(p: BatchPlan): BatchRecord {
  const results = [partitionResult('a', { end: { count: 1, lastOffset: '5' }, stateVersion: p.batchId, records: 1, stateRows: 1 })];
  return batchRecord(p, buildCommit({ plan: p, results, epoch: 1, nowMs: 2 }));
}

function refusal(run: () => unknown): JobSpecError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(JobSpecError);
    return error as JobSpecError;
  }
  throw new Error('nothing was refused');
}

describe('the state shape in plans', () => {
  it("records the code's fingerprint in every plan", () => {
    const one = committed(plan(null, v1));
    expect(one.plan.stateShape).toBe(OLD);
    expect(plan(one, v1).stateShape).toBe(OLD);
  });

  it('refuses a plan by code of the same version with another shape, saying to bump the version and declare a migration', () => {
    const one = committed(plan(committed(plan(null, v1)), v1));
    const error = refusal(() => plan(one, { ...v1, stateShape: NEW }));
    expect(error.message).toBe(
      `job j: its state shape changed at version 1: its checkpoint (the state after batch 2) was written with state shape ${OLD}, ` +
        `and this code, also version 1, has state shape ${NEW}; it would misread that state and dead-letter its records. ` +
        "Bump the job's version to 2 and declare migrations: [{ fromVersion: 1, state: (key, value) => ({ key, value }) }], " +
        'converting each state entry to the new shape (docs/replay.md, "Job versions"); or deploy the code that wrote it again; ' +
        'or start a new job instance (another job id), which begins with empty state.',
    );
    expect(error.context).toMatchObject({ jobId: 'j', batchId: 2, jobVersion: 1, checkpointShape: OLD, codeShape: NEW });
  });

  it('accepts a version bump with a migration, and records the new fingerprint from then on', () => {
    const one = committed(plan(null, v1));
    const v2 = { ...v1, jobVersion: 2, migratesFrom: [1], stateShape: NEW };
    const two = plan(one, v2);
    expect(two).toMatchObject({ jobVersion: 2, migrateFromVersion: 1, stateShape: NEW });
    expect(plan(committed(two), v2)).toMatchObject({ jobVersion: 2, stateShape: NEW });
    // and the shape of version 2 is then held as version 1's was
    expect(() => plan(committed(two), { ...v2, stateShape: OLD })).toThrow(/state shape changed at version 2/);
  });

  it("accepts a checkpoint written before fingerprints were recorded, and records the code's", () => {
    const { stateShape: _, ...legacy } = plan(null, v1);
    const next = plan(committed(legacy), { ...v1, stateShape: NEW });
    expect(next.stateShape).toBe(NEW);
    expect(() => checkStateShape({ jobId: 'j', checkpoint: legacy, codeVersion: 1, stateShape: NEW })).not.toThrow();
  });

  it('leaves a checkpoint of another version to the migrations', () => {
    const one = committed(plan(null, v1));
    expect(() => checkStateShape({ jobId: 'j', checkpoint: one.plan, codeVersion: 2, stateShape: NEW })).not.toThrow();
  });

  it('refuses to resume a planned batch with code of its version but another shape', () => {
    const planned = batchRecord(plan(committed(plan(null, v1)), v1));
    const error = refusal(() =>
      resolveNextBatch({ jobId: 'j', epoch: 1, latest: planned, partitions: ['a'], settings: { ...v1, stateShape: NEW }, nowMs: 3 }),
    );
    expect(error.message).toMatch(
      /^job j: its state shape changed at version 1: batch 2 was planned with state shape a+ and is not committed, .*deploy that code again until batch 2 commits; then bump the job's version to 2/,
    );
    expect(resolveNextBatch({ jobId: 'j', epoch: 1, latest: planned, partitions: ['a'], settings: v1, nowMs: 3 }).kind).toBe('resume');
  });
});
