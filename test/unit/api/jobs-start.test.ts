/**
 * Starting a job instance (engine/api/jobs.ts startJobInstance) on the memory adapters:
 * what it records and launches, idempotency tokens, the conflicts with an instance that
 * exists, a start from another job's checkpoint, and the engine parameters a start sets
 * (engine/driver/catalog.ts).
 */
import { describe, expect, it } from 'vitest';
import { ConflictError } from '../../../engine/api/errors.js';
import { startJobInstance } from '../../../engine/api/jobs.js';
import { ENGINE_PARAMETERS, resolveJob } from '../../../engine/driver/catalog.js';
import { markStopped, startJob } from '../../../engine/driver/job-control.js';
import { JobSpecError } from '../../../engine/errors.js';
import { catalog, fixture, request, writeBatches } from '../../support/jobs-api-memory.js';

describe('startJobInstance', () => {
  it('records the job RUNNING with its token and engine parameters, and launches generation 1', async () => {
    const f = fixture();
    const result = await startJobInstance(
      request({ idempotencyToken: 't1', startingPosition: 'latest', maxRecordsPerPartition: 5, parameters: { streamName: 's' } }),
      f.ctx,
    );
    expect(result).toMatchObject({
      status: 201,
      body: {
        execution: 'j-1',
        alreadyStarted: false,
        job: { state: 'RUNNING', startingPosition: { type: 'latest' }, maxRecordsPerPartition: 5, parameters: { streamName: 's' } },
      },
    });
    const record = await f.registry.get('j');
    expect(record).toMatchObject({
      parameters: { streamName: 's', [ENGINE_PARAMETERS.startingPosition]: 'LATEST', [ENGINE_PARAMETERS.maxRecordsPerPartition]: 5 },
      start: { token: 't1', generation: 1, fromCheckpoint: null },
    });
    expect(f.starts).toEqual(['j-1 started']);
    // The driver resolves the same job, with the engine parameters applied.
    const job = resolveJob(catalog, 'page-views', record!.parameters);
    expect(job.source.startingPosition).toBe('LATEST');
    expect(job.maxRecordsPerPartition).toBe(5);
  });

  it('a retry with the same token starts nothing new, and finishes a start that died before its launch', async () => {
    const f = fixture();
    // The first attempt recorded the start and died before starting the execution.
    await startJob({ jobId: 'j', jobName: 'page-views', token: 't1' }, f.ctx);
    const retried = await startJobInstance(request({ idempotencyToken: 't1' }), f.ctx);
    expect(retried).toMatchObject({ status: 200, body: { execution: 'j-1', alreadyStarted: true } });
    const again = await startJobInstance(request({ idempotencyToken: 't1' }), f.ctx);
    expect(again.status).toBe(200);
    expect(f.starts).toEqual(['j-1 started', 'j-1 exists']);
  });

  it('of two requests at once with one token, one starts the job and the other gets it; with two tokens the other conflicts', async () => {
    const f = fixture();
    const same = await Promise.allSettled([
      startJobInstance(request({ idempotencyToken: 'a' }), f.ctx),
      startJobInstance(request({ idempotencyToken: 'a' }), f.ctx),
    ]);
    expect(same.map((r) => (r.status === 'fulfilled' ? r.value.status : r.reason)).sort()).toEqual([200, 201]);
    expect(new Set(f.starts.map((s) => s.split(' ')[0]))).toEqual(new Set(['j-1']));

    const g = fixture();
    const two = await Promise.allSettled([
      startJobInstance(request({ jobId: 'k', idempotencyToken: 'a' }), g.ctx),
      startJobInstance(request({ jobId: 'k', idempotencyToken: 'b' }), g.ctx),
    ]);
    expect(two.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = two.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(rejected.reason).toBeInstanceOf(ConflictError);
    expect(rejected.reason.message).toMatch(/job k is RUNNING \(started by a request with another idempotency token\)/);
  });

  it('refuses to start a running job (409), and points a stopped one to resume', async () => {
    const f = fixture();
    await startJobInstance(request(), f.ctx);
    await expect(startJobInstance(request(), f.ctx)).rejects.toThrow(/job j is RUNNING: stop it first, or choose another jobId/);
    await markStopped('j', 0, 'stopped', f.ctx);
    await expect(startJobInstance(request({ idempotencyToken: 'new' }), f.ctx)).rejects.toThrow(
      /job j exists \(STOPPED: stopped\): resume it \(POST \/jobs\/j\/resume\)/,
    );
  });

  it('goes on from the write-ahead log a job id already has, and refuses a starting position for it', async () => {
    const f = fixture();
    await writeBatches(f.ports, 'j', 2);
    await expect(startJobInstance(request({ startingPosition: 'earliest' }), f.ctx)).rejects.toThrow(
      /job j has batches in its write-ahead log \(the latest is 2\): it goes on from there, so a startingPosition does not apply/,
    );
    expect((await startJobInstance(request(), f.ctx)).status).toBe(201);
  });

  it('names an unknown job or a bad catalog parameter as a bad request', async () => {
    const f = fixture();
    await expect(startJobInstance(request({ jobName: 'nope' }), f.ctx)).rejects.toMatchObject({
      status: 400,
      fields: [{ field: 'jobName' }],
    });
    await expect(startJobInstance(request({ parameters: { maxRecordsPerPartition: 'lots' } }), f.ctx)).rejects.toMatchObject({
      status: 400,
      fields: [{ field: 'parameters', message: expect.stringContaining('parameter maxRecordsPerPartition must be a positive integer') }],
    });
  });

  it('starts from a checkpoint only of a committed batch of another job on the same source, readable by this version', async () => {
    const f = fixture();
    await writeBatches(f.ports, 'src', 3);
    await startJob({ jobId: 'src', jobName: 'page-views' }, f.ctx);
    const from = (jobId: string, batchId?: number) => ({
      startingPosition: { type: 'checkpoint', jobId, ...(batchId === undefined ? {} : { batchId }) },
    });

    await expect(startJobInstance(request({ jobId: 'src', ...from('src') }), f.ctx)).rejects.toMatchObject({ status: 409 });
    await expect(startJobInstance(request(from('j')), f.ctx)).rejects.toMatchObject({
      fields: [{ field: 'startingPosition.jobId', message: expect.stringContaining('names the job being started') }],
    });
    await expect(startJobInstance(request(from('nobody')), f.ctx)).rejects.toMatchObject({
      fields: [{ field: 'startingPosition.jobId', message: expect.stringContaining('has no batches') }],
    });
    await expect(startJobInstance(request(from('src', 4)), f.ctx)).rejects.toMatchObject({
      fields: [{ field: 'startingPosition.batchId', message: expect.stringContaining('the latest committed is 3') }],
    });
    await expect(startJobInstance(request({ jobName: 'other-stream', ...from('src') }), f.ctx)).rejects.toMatchObject({
      fields: [
        { field: 'startingPosition.jobId', message: expect.stringContaining('which reads clickstream; job j would read elsewhere') },
      ],
    });
    await expect(startJobInstance(request({ jobName: 'page-views-v2', ...from('src') }), f.ctx)).rejects.toMatchObject({
      status: 409,
      message: expect.stringContaining('written by job version 1, and this code is version 2'),
    });
    await expect(startJobInstance(request({ jobName: 'page-views-per-partition', ...from('src') }), f.ctx)).rejects.toMatchObject({
      status: 409,
      message: expect.stringContaining(
        'keeps keyed state in 8 key groups, and this version of the job keeps keyed state per source partition',
      ),
    });

    const started = await startJobInstance(request(from('src', 2)), f.ctx);
    expect(started.body.job.startingPosition).toEqual({ type: 'checkpoint', jobId: 'src', batchId: 2 });
    const seeded = await f.ports.wal.listBatches('j');
    expect(seeded.map((b) => [b.plan.jobId, b.plan.batchId, b.status])).toEqual([['j', 2, 'COMMITTED']]);
    expect(seeded[0]!.commit!.partitions.p0!.nextStart).toEqual({ type: 'AFTER', offset: '200' });
  });
});

describe('engine parameters of a job instance (engine/driver/catalog.ts)', () => {
  it('apply the starting position and rate limit to any job, and never reach the catalog entry', () => {
    const job = resolveJob(catalog, 'page-views', {
      [ENGINE_PARAMETERS.startingPosition]: { timestamp: 5 },
      [ENGINE_PARAMETERS.maxRecordsPerPartition]: 3,
      sinkTable: 'ttt',
    });
    expect(job).toMatchObject({ source: { startingPosition: { timestamp: 5 } }, maxRecordsPerPartition: 3, sink: { tableName: 'ttt' } });
    expect(() => resolveJob(catalog, 'page-views', { 'sluice.bogus': 1 })).toThrow(JobSpecError);
    expect(() => resolveJob(catalog, 'page-views', { [ENGINE_PARAMETERS.maxRecordsPerPartition]: 0 })).toThrow(
      /must be a positive integer/,
    );
  });
});
