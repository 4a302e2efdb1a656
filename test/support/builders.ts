/**
 * Builders of the WAL's records (engine/protocol/batch-records.ts) for tests: each gives a
 * small valid record, and a test overrides what it is about. Defaults are the plainest
 * values (batch 1 of job 'job', epoch 1, one partition 'p' read from EARLIEST on the
 * empty state, nothing read, nothing written), so an override is what a test depends on.
 * Optional fields (jobVersion, generation, handedOver...) are left out unless overridden:
 * tests that compare a record with what a planner wrote add them. jobInstance() builds the
 * job registry's control record the same way.
 */
import { JobState, type JobInstance } from '../../engine/ports/job-registry.js';
import {
  BatchStatus,
  EMPTY_STATE_VERSION,
  FIRST_BATCH_ID,
  nothingReadResult,
  type BatchCommit,
  type BatchMetrics,
  type BatchPlan,
  type BatchRecord,
  type PartitionCommit,
  type PartitionPlan,
  type PartitionResult,
} from '../../engine/protocol/batch-records.js';

/** One partition's plan: `partition` from EARLIEST, at most 10 records, on the empty state. */
export function partitionPlan(partition = 'p', overrides: Partial<PartitionPlan> = {}): PartitionPlan {
  return { partition, start: { type: 'EARLIEST' }, maxRecords: 10, baseStateVersion: EMPTY_STATE_VERSION, ...overrides };
}

/** A plan: batch 1 of job 'job' at epoch 1, planned at 1000 ms, reading partition 'p', with no watermark yet. */
export function batchPlan(overrides: Partial<BatchPlan> = {}): BatchPlan {
  return {
    jobId: 'job',
    batchId: FIRST_BATCH_ID,
    epoch: 1,
    plannedAt: 1_000,
    watermarkMs: null,
    maxEventTimeMs: null,
    partitions: [partitionPlan()],
    startingPosition: { type: 'EARLIEST' },
    finished: {},
    ...overrides,
  };
}

/** A batch's metrics: nothing read, nothing written, no lag known. */
export function metrics(overrides: Partial<BatchMetrics> = {}): BatchMetrics {
  return {
    records: 0,
    skippedOffsets: 0,
    outputRows: 0,
    deadLetters: 0,
    lateRecords: 0,
    stateRows: 0,
    stateBytesWritten: 0,
    durationMs: 0,
    lagMs: null,
    ...overrides,
  };
}

/** One partition's part of a commit: an empty range from EARLIEST, on the empty state, caught up. */
export function partitionCommit(overrides: Partial<PartitionCommit> = {}): PartitionCommit {
  return {
    end: { count: 0 },
    nextStart: { type: 'EARLIEST' },
    stateVersion: EMPTY_STATE_VERSION,
    caughtUp: true,
    lagMs: null,
    ...overrides,
  };
}

/** A commit of batch 1 at epoch 1, committed at 2000 ms, with no partitions and empty metrics. */
export function batchCommit(overrides: Partial<BatchCommit> = {}): BatchCommit {
  return { batchId: FIRST_BATCH_ID, epoch: 1, committedAt: 2_000, maxEventTimeMs: null, partitions: {}, metrics: metrics(), ...overrides };
}

/** A WAL record: PLANNED with `plan`, or COMMITTED when `commit` is given. */
export function batchRecord(plan: BatchPlan = batchPlan(), commit?: BatchCommit): BatchRecord {
  return commit === undefined ? { plan, status: BatchStatus.PLANNED } : { plan, status: BatchStatus.COMMITTED, commit };
}

/** What an executor returns for `partition`: an empty range on the empty state, caught up, nothing written. */
export function partitionResult(partition = 'p', overrides: Partial<PartitionResult> = {}): PartitionResult {
  return {
    ...nothingReadResult(partition, { end: { count: 0 }, stateVersion: EMPTY_STATE_VERSION, caughtUp: true, lagMs: null }),
    ...overrides,
  };
}

/** A job registry record: job 'j' of job 'x', RUNNING in generation 1 under epoch 1, revision 1. */
export function jobInstance(overrides: Partial<JobInstance> = {}): JobInstance {
  return {
    jobId: 'j',
    jobName: 'x',
    parameters: {},
    trigger: null,
    state: JobState.RUNNING,
    reason: null,
    generation: 1,
    epoch: 1,
    restarts: [],
    lastError: null,
    stopRequestedAt: null,
    createdAt: 0,
    updatedAt: 0,
    revision: 1,
    ...overrides,
  };
}
