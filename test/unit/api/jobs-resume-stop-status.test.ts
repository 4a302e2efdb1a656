/**
 * Resuming, stopping and the status of a job instance (engine/api/jobs.ts
 * resumeJobInstance, stopJobInstance, getJobStatus) on the memory adapters, and the
 * progress the status reports from the newest batches (engine/api/views.ts).
 */
import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../../../engine/api/errors.js';
import { getJobStatus, resumeJobInstance, startJobInstance, stopJobInstance } from '../../../engine/api/jobs.js';
import { jobStatusOf } from '../../../engine/api/views.js';
import { markStopped } from '../../../engine/driver/job-control.js';
import type { BatchRecord } from '../../../engine/protocol/batch-records.js';
import { jobInstance } from '../../support/builders.js';
import { commit, fixture, plan, request, writeBatches } from '../../support/jobs-api-memory.js';

describe('resume, stop, status', () => {
  it('resumes a stopped job with a new trigger and rate limit, once per token; refuses a running one and one mid-replay', async () => {
    const f = fixture();
    await startJobInstance(request({ trigger: { type: 'availableNow' } }), f.ctx);
    await expect(resumeJobInstance('j', { trigger: null, maxRecordsPerPartition: null, idempotencyToken: null }, f.ctx)).rejects.toThrow(
      /job j is RUNNING: there is nothing to resume/,
    );
    await markStopped('j', 0, 'caught-up', f.ctx);
    const input = { trigger: { type: 'interval' as const, intervalMs: 500 }, maxRecordsPerPartition: 9, idempotencyToken: 'r1' };
    const resumed = await resumeJobInstance('j', input, f.ctx);
    expect(resumed).toMatchObject({
      status: 202,
      body: { execution: 'j-1', job: { state: 'RUNNING', trigger: { type: 'interval', intervalMs: 500 }, maxRecordsPerPartition: 9 } },
    });
    expect((await resumeJobInstance('j', input, f.ctx)).body.alreadyStarted).toBe(true);

    await markStopped('j', 0, 'stopped', f.ctx);
    const epoch = await f.ports.wal.acquireEpoch('j');
    await f.ports.wal.beginReplay({
      jobId: 'j',
      generation: 1,
      sourceJobId: 'j',
      fromBatchId: 0,
      toBatchId: 1,
      supersededUpTo: 1,
      jobVersion: 1,
      epoch,
      startedAt: 0,
      finishedAt: null,
    });
    await expect(resumeJobInstance('j', { ...input, idempotencyToken: 'r2' }, f.ctx)).rejects.toThrow(
      /has an unfinished replay \(generation 1\): finish it first/,
    );
  });

  it('stops a running job (202), answers a stopped one as it is (200), and an unknown one with 404', async () => {
    const f = fixture();
    await startJobInstance(request(), f.ctx);
    expect(await stopJobInstance('j', f.ctx)).toMatchObject({ status: 202, body: { job: { state: 'STOPPING' } } });
    expect((await stopJobInstance('j', f.ctx)).status).toBe(202);
    await markStopped('j', 0, 'stopped', f.ctx);
    expect(await stopJobInstance('j', f.ctx)).toMatchObject({ status: 200, body: { job: { state: 'STOPPED' } } });
    await expect(stopJobInstance('nobody', f.ctx)).rejects.toBeInstanceOf(NotFoundError);
    await expect(getJobStatus('nobody', f.ctx)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('reports progress from the newest batches: last commit, lag per partition, rates, state rows', async () => {
    const f = fixture();
    await startJobInstance(request(), f.ctx);
    await writeBatches(f.ports, 'j', 3);
    await f.ports.wal.putPlan(plan('j', 4, { watermarkMs: Date.UTC(2026, 0, 1) }));
    const { body } = await getJobStatus('j', f.ctx);
    expect(body).toMatchObject({
      driver: { execution: 'j-1', status: 'RUNNING' },
      latestBatch: { batchId: 4, status: 'PLANNED' },
      plannedRateLimit: 10,
      lastCommittedBatch: { batchId: 3, records: 30, durationMs: 100 },
      watermark: '2026-01-01T00:00:00.000Z',
      lag: { maxMs: 5, partitions: [{ partition: 'p0', lagMs: 5, caughtUp: true, next: 'after 300' }] },
      // Batches 2 and 3 (50 records) arrived over the 2 s between batch 1's start and batch 3's; 60 records took 300 ms.
      rates: { inputRecordsPerSecond: 25, processedRecordsPerSecond: 200, batches: 3 },
      stateSize: { rows: 7 },
    });
  });

  it('has no rates before two committed batches', () => {
    const status = jobStatusOf({
      job: jobInstance(),
      execution: null,
      executionStatus: null,
      recent: [{ plan: plan('j', 1), status: 'COMMITTED', commit: commit(1, 0, 0) } satisfies BatchRecord],
    });
    expect(status.rates).toEqual({ inputRecordsPerSecond: null, processedRecordsPerSecond: null, batches: 1 });
  });
});
