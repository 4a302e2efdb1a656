/**
 * An idempotency token names one request (engine/api/request-hash.ts): the same token with
 * the same body is a retry (200, nothing new starts); with another body it is a 409 naming
 * the token, for a start and for a resume. A start recorded without a fingerprint (an older
 * record) is matched on its token alone, as before.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryPorts } from '../../../engine/adapters/memory/index.js';
import { MemoryJobRegistry } from '../../../engine/adapters/memory/memory-job-registry.js';
import type { ControlApiContext } from '../../../engine/api/context.js';
import { ConflictError } from '../../../engine/api/errors.js';
import { resumeJobInstance, startJobInstance } from '../../../engine/api/jobs.js';
import { resumeRequestHash, startRequestHash } from '../../../engine/api/request-hash.js';
import { parseResumeJob, parseStartJob } from '../../../engine/api/requests.js';
import { markStopped, startJob } from '../../../engine/driver/job-control.js';
import type { DriverExecutions } from '../../../engine/ports/driver-executions.js';
import { catalog } from '../../../jobs/catalog.js';
import { memoryApiContext } from '../../support/api-context.js';

function fixture(): { ctx: ControlApiContext; registry: MemoryJobRegistry; starts: string[] } {
  const ports = createMemoryPorts();
  ports.source.createStream('clickstream', ['p0']);
  const registry = new MemoryJobRegistry();
  const starts: string[] = [];
  const executions: DriverExecutions = {
    async start(name) {
      starts.push(name);
      return 'started';
    },
    async status() {
      return 'RUNNING';
    },
  } as DriverExecutions;
  const ctx = memoryApiContext(ports, { registry, executions, catalog });
  return { ctx, registry, starts };
}

const start = (over: Record<string, unknown> = {}) => parseStartJob({ jobName: 'page-views', jobId: 'j', idempotencyToken: 't1', ...over });
const resume = (over: Record<string, unknown> = {}) => parseResumeJob({ idempotencyToken: 'r1', ...over });

describe('the request fingerprint', () => {
  it('depends on what the request asks for, not on key order or absent fields spelled as defaults', () => {
    const a = start({ parameters: { streamName: 'clickstream', b: 1 }, maxRecordsPerPartition: 5 });
    const b = parseStartJob({
      maxRecordsPerPartition: 5,
      idempotencyToken: 't1',
      jobId: 'j',
      parameters: { b: 1, streamName: 'clickstream' },
      jobName: 'page-views',
    });
    expect(startRequestHash(a)).toBe(startRequestHash(b));
    expect(startRequestHash(start({ force: false }))).toBe(startRequestHash(start()));
    const variants = [
      start({ jobName: 'other' }),
      start({ parameters: { streamName: 'x' } }),
      start({ trigger: { type: 'availableNow' } }),
      start({ startingPosition: 'latest' }),
      start({ maxRecordsPerPartition: 7 }),
      start({ force: true }),
    ].map(startRequestHash);
    expect(new Set([startRequestHash(start()), ...variants]).size).toBe(variants.length + 1);
    expect(resumeRequestHash(resume())).not.toBe(resumeRequestHash(resume({ maxRecordsPerPartition: 3 })));
    expect(resumeRequestHash(resume())).not.toBe(resumeRequestHash(resume({ force: true })));
  });
});

describe('reusing an idempotency token', () => {
  it('with the same body is a retry; with another body a 409 naming the token, and nothing changes', async () => {
    const f = fixture();
    expect((await startJobInstance(start(), f.ctx)).status).toBe(201);
    expect((await f.registry.get('j'))?.start?.requestHash).toBe(startRequestHash(start()));
    expect(await startJobInstance(start(), f.ctx)).toMatchObject({ status: 200, body: { alreadyStarted: true } });
    const before = await f.registry.get('j');
    const launched = [...f.starts];
    for (const other of [{ maxRecordsPerPartition: 9 }, { trigger: { type: 'availableNow' } }, { force: true }]) {
      const attempt = startJobInstance(start(other), f.ctx);
      await expect(attempt).rejects.toBeInstanceOf(ConflictError);
      await expect(startJobInstance(start(other), f.ctx)).rejects.toThrow(
        /the idempotency token "t1" was used before for another request to job j \(a different body\)/,
      );
    }
    expect(await f.registry.get('j')).toEqual(before);
    expect(f.starts).toEqual(launched);
  });

  it('for a resume: the same body is a retry; another body, or its token reused for a start, a 409', async () => {
    const f = fixture();
    await startJobInstance(start(), f.ctx);
    await markStopped('j', 0, 'stopped', f.ctx);
    expect((await resumeJobInstance('j', resume({ maxRecordsPerPartition: 4 }), f.ctx)).status).toBe(202);
    expect((await resumeJobInstance('j', resume({ maxRecordsPerPartition: 4 }), f.ctx)).body.alreadyStarted).toBe(true);
    await expect(resumeJobInstance('j', resume({ maxRecordsPerPartition: 5 }), f.ctx)).rejects.toThrow(/idempotency token "r1"/);
    // The resume's token reused for a start of the same instance is a different request.
    await markStopped('j', 1, 'stopped', f.ctx);
    await expect(startJobInstance(start({ idempotencyToken: 'r1' }), f.ctx)).rejects.toThrow(/idempotency token "r1"/);
  });

  it('of a start recorded without a fingerprint is matched on the token alone', async () => {
    const f = fixture();
    await startJob({ jobId: 'j', jobName: 'page-views', token: 't1' }, f.ctx);
    expect((await f.registry.get('j'))?.start?.requestHash).toBeUndefined();
    const retried = await startJobInstance(start({ maxRecordsPerPartition: 9 }), f.ctx);
    expect(retried).toMatchObject({ status: 200, body: { alreadyStarted: true, execution: 'j-1' } });
  });
});

describe('a resume body', () => {
  it('may be absent, but a JSON null is not an object', () => {
    expect(parseResumeJob(undefined).idempotencyToken).toBeNull();
    expect(() => parseResumeJob(null)).toThrow(/body/);
  });
});
