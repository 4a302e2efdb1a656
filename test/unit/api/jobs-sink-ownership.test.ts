/**
 * Sink ownership at start and resume (engine/driver/sink-ownership.ts) through the jobs
 * API's operations on the memory adapters: one running instance per sink, and "force" to
 * take a sink over from a stopped owner.
 */
import { describe, expect, it } from 'vitest';
import { httpErrorOf } from '../../../engine/api/errors.js';
import { resumeJobInstance, startJobInstance } from '../../../engine/api/jobs.js';
import { markStopped } from '../../../engine/driver/job-control.js';
import { fixture, request } from '../../support/jobs-api-memory.js';

describe('sink ownership at start and resume (engine/driver/sink-ownership.ts)', () => {
  /** What the API answers for a request that fails (engine/api/errors.ts); null when it succeeds. */
  const answer = (p: Promise<unknown>) =>
    p.then(
      () => null,
      (error: unknown) => httpErrorOf(error),
    );

  it('refuses a second instance on the same sink with a 409 naming the owner and the sink; a retry of the first starts nothing new', async () => {
    const f = fixture();
    await startJobInstance(request({ idempotencyToken: 't1' }), f.ctx);
    expect((await startJobInstance(request({ idempotencyToken: 't1' }), f.ctx)).body.alreadyStarted).toBe(true);
    expect(await answer(startJobInstance(request({ jobId: 'k' }), f.ctx))).toMatchObject({
      status: 409,
      message: expect.stringMatching(
        /^DynamoDB table page-views is owned by job j \(RUNNING\): .* Point job k at another sink \(start it with parameters that name another sink\), or take the sink over with "force": true in the start request \(sluice jobs start --force\) once job j is stopped/,
      ),
    });
    expect(await f.registry.get('k')).toBeNull();
    expect(f.starts).toEqual(['j-1 started', 'j-1 exists']);
    // Another sink table: no conflict.
    expect((await startJobInstance(request({ jobId: 'k', parameters: { sinkTable: 'k-views' } }), f.ctx)).status).toBe(201);
  });

  it('force takes the sink over from a stopped owner and says so; never from a running one; the old owner cannot resume into it', async () => {
    const f = fixture();
    const warned: unknown[] = [];
    const ctx = { ...f.ctx, logger: { ...f.ctx.logger, warn: (message: string, fields?: unknown) => warned.push([message, fields]) } };
    await startJobInstance(request(), ctx);
    expect(await answer(startJobInstance(request({ jobId: 'k', force: true }), ctx))).toMatchObject({
      status: 409,
      message: expect.stringContaining('is owned by job j, which is RUNNING: "force": true in the start request'),
    });
    await markStopped('j', 0, 'stopped', ctx);
    const forced = await startJobInstance(request({ jobId: 'k', force: true }), ctx);
    expect(forced).toMatchObject({
      status: 201,
      body: {
        execution: 'k-1',
        sinksTakenOver: [{ target: 'dynamodb:page-views', description: 'DynamoDB table page-views', fromJobId: 'j' }],
      },
    });
    expect(warned).toEqual([['sink taken over', { jobId: 'k', target: 'dynamodb:page-views', fromJobId: 'j' }]]);
    const resume = (over = {}) =>
      resumeJobInstance('j', { trigger: null, maxRecordsPerPartition: null, idempotencyToken: null, ...over }, ctx);
    expect(await answer(resume())).toMatchObject({
      status: 409,
      message: expect.stringMatching(/^DynamoDB table page-views is owned by job k \(RUNNING\).*start a new instance with parameters/),
    });
    await expect(resume({ force: true })).rejects.toThrow(
      /which is RUNNING: "force": true in the resume request \(sluice jobs resume --force\)/,
    );
    await markStopped('k', 0, 'stopped', ctx);
    expect((await resume({ force: true })).body.sinksTakenOver).toEqual([expect.objectContaining({ fromJobId: 'k' })]);
  });

  it('takes force only as a boolean', () => {
    expect(request({ force: true }).force).toBe(true);
    expect(request().force).toBe(false);
    expect(() => request({ force: 'yes' })).toThrow(/force must be true or false, got "yes"/);
  });
});
