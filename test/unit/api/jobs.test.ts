/** The jobs API's operations (engine/api/jobs.ts) on the memory adapters, with a recording fake of the driver's executions. */
import { describe, expect, it } from 'vitest';
import { createMemoryPorts, type MemoryPorts } from '../../../engine/adapters/memory/index.js';
import { MemoryJobRegistry } from '../../../engine/adapters/memory/memory-job-registry.js';
import { ConflictError, httpErrorOf, NotFoundError } from '../../../engine/api/errors.js';
import type { ControlApiContext, ReadApiContext } from '../../../engine/api/context.js';
import {
  getJobStatus,
  listDeadLetters,
  listJobBatches,
  resumeJobInstance,
  startJobInstance,
  stopJobInstance,
} from '../../../engine/api/jobs.js';
import { parseListDeadLetters, parseStartJob } from '../../../engine/api/requests.js';
import { jobStatusOf } from '../../../engine/api/views.js';
import { ENGINE_PARAMETERS, resolveJob, type JobCatalog } from '../../../engine/driver/catalog.js';
import { markStopped, startJob } from '../../../engine/driver/job-control.js';
import { JobSpecError } from '../../../engine/errors.js';
import type { DeadLetter } from '../../../engine/ports/dead-letter-queue.js';
import type { DriverExecutions } from '../../../engine/ports/driver-executions.js';
import type { BatchCommit, BatchPlan, BatchRecord } from '../../../engine/protocol/batch-records.js';
import { batchCommit, batchPlan, jobInstance, metrics, partitionCommit, partitionPlan } from '../../support/builders.js';
import { clickstreamJob } from '../../../jobs/clickstream/job.js';
import { catalog as projectCatalog } from '../../../jobs/catalog.js';
import { memoryApiContext } from '../../support/api-context.js';

const catalog: JobCatalog = {
  ...projectCatalog,
  // The same job at version 2, with no state migration from version 1.
  'page-views-v2': { description: 'v2', create: () => ({ ...clickstreamJob(), version: 2 }) },
  'other-stream': { description: 'reads another stream', create: () => clickstreamJob({ streamName: 'elsewhere' }) },
  // The same job with its state per partition (only the layout matters here).
  'page-views-per-partition': { description: 'per partition', create: () => clickstreamJob({ keyedBy: 'partitionKey' }) },
};

interface Fixture {
  readonly ctx: ControlApiContext & ReadApiContext;
  readonly ports: MemoryPorts;
  readonly registry: MemoryJobRegistry;
  /** Every execution start asked for, in order, with what it answered. */
  readonly starts: string[];
}

function fixture(): Fixture {
  const ports = createMemoryPorts();
  // The catalog's jobs read these streams: a start checks its source exists.
  for (const stream of ['clickstream', 'elsewhere', 's']) ports.source.createStream(stream, ['p0']);
  const registry = new MemoryJobRegistry();
  const started = new Set<string>();
  const starts: string[] = [];
  const executions: DriverExecutions = {
    async start(name) {
      const outcome = started.has(name) ? 'exists' : 'started';
      started.add(name);
      starts.push(`${name} ${outcome}`);
      return outcome;
    },
    async status(name) {
      return started.has(name) ? 'RUNNING' : null;
    },
  };
  return {
    ctx: memoryApiContext(ports, { registry, executions, catalog }),
    ports,
    registry,
    starts,
  };
}

const request = (over: Record<string, unknown> = {}) => parseStartJob({ jobName: 'page-views', jobId: 'j', ...over });

function plan(jobId: string, batchId: number, over: Partial<BatchPlan> = {}): BatchPlan {
  return batchPlan({ jobId, batchId, plannedAt: 1_000 * batchId, partitions: [partitionPlan('p0')], jobVersion: 1, ...over });
}

function commit(batchId: number, records: number, durationMs = 100): BatchCommit {
  const end = { count: records, ...(records > 0 ? { lastOffset: String(batchId * 100) } : {}) };
  return batchCommit({
    batchId,
    committedAt: 1_000 * batchId + durationMs,
    partitions: { p0: partitionCommit({ end, nextStart: { type: 'AFTER', offset: String(batchId * 100) }, lagMs: 5 }) },
    metrics: metrics({ records, stateRows: 7, durationMs, lagMs: 5 }),
  });
}

async function writeBatches(ports: MemoryPorts, jobId: string, count: number): Promise<void> {
  await ports.wal.acquireEpoch(jobId);
  for (let id = 1; id <= count; id += 1) {
    // The catalog's page-views keeps its state in 8 key groups (the default).
    await ports.wal.putPlan(plan(jobId, id, { keyGroups: 8, groups: {} }));
    await ports.wal.commitBatch(jobId, commit(id, 10 * id));
  }
}

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

describe('listJobBatches', () => {
  it('pages newest first down to the oldest batch retention kept, and checks its tokens', async () => {
    const f = fixture();
    await startJobInstance(request(), f.ctx);
    await writeBatches(f.ports, 'j', 10);
    await f.ports.wal.deleteBatchesBelow('j', 4);
    const pages: number[][] = [];
    let token: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof listJobBatches>> = await listJobBatches('j', { limit: 3, nextToken: token }, f.ctx);
      pages.push(page.body.batches.map((b) => b.batchId));
      token = page.body.nextToken;
    } while (token !== null);
    expect(pages).toEqual([[10, 9, 8], [7, 6, 5], [4]]);

    const first = await listJobBatches('j', { limit: 3, nextToken: null }, f.ctx);
    expect(first.body.batches[0]).toMatchObject({
      batchId: 10,
      status: 'COMMITTED',
      records: 100,
      partitions: [{ partition: 'p0', start: 'earliest', records: 100, stateVersion: 0 }],
    });
    await writeBatches(f.ports, 'other', 1);
    await expect(listJobBatches('other', { limit: 3, nextToken: first.body.nextToken }, f.ctx)).rejects.toMatchObject({
      fields: [{ field: 'nextToken', message: "is a token of job j's batches, not of job other's" }],
    });
    await expect(listJobBatches('j', { limit: 3, nextToken: 'garbage' }, f.ctx)).rejects.toMatchObject({ status: 400 });
    await expect(listJobBatches('nobody', { limit: 3, nextToken: null }, f.ctx)).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('listDeadLetters', () => {
  const letter = (partition: string, offset: number, over: Partial<DeadLetter> = {}): DeadLetter => ({
    jobId: 'j',
    partition,
    offset: String(100 + offset),
    batchId: 1 + Math.floor(offset / 4),
    stage: 'decode',
    reason: `SyntaxError: Unexpected end of JSON input (record ${offset})`,
    payloadBase64: Buffer.from(`{"page": ${offset}`).toString('base64'),
    recordedAt: Date.UTC(2026, 0, 1) + offset,
    ...over,
  });

  async function withLetters() {
    const f = fixture();
    await startJobInstance(request(), f.ctx);
    const letters = [
      ...Array.from({ length: 7 }, (_, i) => letter('shard-1', i)),
      ...Array.from({ length: 3 }, (_, i) => letter('shard-10', i)),
    ];
    await f.ports.deadLetters.put([...letters, letter('shard-1', 0, { jobId: 'other' })]);
    return { f, letters };
  }

  async function readAll(f: Fixture, query: Record<string, string>) {
    const pages: string[][] = [];
    let token: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof listDeadLetters>> = await listDeadLetters(
        'j',
        parseListDeadLetters({ ...query, ...(token === null ? {} : { nextToken: token }) }),
        f.ctx,
      );
      expect(page.body.jobId).toBe('j');
      pages.push(page.body.deadLetters.map((l) => `${l.partition}#${l.offset}`));
      token = page.body.nextToken;
    } while (token !== null);
    return pages;
  }

  it('pages every letter once in partition, then offset order; one partition with ?partition=', async () => {
    const { f } = await withLetters();
    expect(await readAll(f, { limit: '4' })).toEqual([
      ['shard-1#100', 'shard-1#101', 'shard-1#102', 'shard-1#103'],
      ['shard-1#104', 'shard-1#105', 'shard-1#106', 'shard-10#100'],
      ['shard-10#101', 'shard-10#102'],
    ]);
    expect(await readAll(f, { limit: '4', partition: 'shard-1' })).toEqual([
      ['shard-1#100', 'shard-1#101', 'shard-1#102', 'shard-1#103'],
      ['shard-1#104', 'shard-1#105', 'shard-1#106'],
    ]);
    expect(await readAll(f, { partition: 'shard-10' })).toEqual([['shard-10#100', 'shard-10#101', 'shard-10#102']]);
    expect(await readAll(f, { partition: 'shard-' })).toEqual([[]]);
    const first = await listDeadLetters('j', parseListDeadLetters({ limit: '1' }), f.ctx);
    expect(first.body.deadLetters).toEqual([
      {
        partition: 'shard-1',
        offset: '100',
        batchId: 1,
        stage: 'decode',
        reason: 'SyntaxError: Unexpected end of JSON input (record 0)',
        recordedAt: '2026-01-01T00:00:00.000Z',
        payloadBase64: Buffer.from('{"page": 0').toString('base64'),
        payloadText: '{"page": 0',
      },
    ]);
  });

  it('refuses a token of another job, of another partition filter, or not of this API; 404 for an unknown job', async () => {
    const { f } = await withLetters();
    await startJobInstance(request({ jobId: 'other', parameters: { sinkTable: 'other' } }), f.ctx);
    const page = async (jobId: string, query: Record<string, string>) => listDeadLetters(jobId, parseListDeadLetters(query), f.ctx);
    const all = (await page('j', { limit: '2' })).body.nextToken!;
    const one = (await page('j', { limit: '2', partition: 'shard-1' })).body.nextToken!;
    const problem = (message: unknown) => ({ status: 400, fields: [{ field: 'nextToken', message }] });

    await expect(page('other', { nextToken: all })).rejects.toMatchObject(
      problem("is a token of job j's dead letters, not of job other's"),
    );
    await expect(page('j', { nextToken: all, partition: 'shard-1' })).rejects.toMatchObject(
      problem('is a token of the dead letters of every partition, not of partition shard-1 (ask with the partition of the previous page)'),
    );
    await expect(page('j', { nextToken: one })).rejects.toMatchObject(
      problem(expect.stringContaining('is a token of the dead letters of partition shard-1, not of every partition')),
    );
    const batches = (await listJobBatches('j', { limit: 1, nextToken: null }, f.ctx)).body.nextToken;
    const notOurs = problem('is not a token this API returned (pass the nextToken of the previous page as it is)');
    const forged = Buffer.from(JSON.stringify({ j: 'j', p: 'shard-10', a: 'shard-1#105' })).toString('base64url');
    // Ids no sort key can be (empty, over 1,024 bytes): refused here, not by the table with a 500.
    const empty = Buffer.from(JSON.stringify({ j: 'j', p: null, a: '' })).toString('base64url');
    const huge = Buffer.from(JSON.stringify({ j: 'j', p: null, a: `shard-1#${'9'.repeat(1_100)}` })).toString('base64url');
    for (const token of ['garbage', 'WzFd', empty, huge, forged, ...(batches === null ? [] : [batches])]) {
      await expect(page('j', { nextToken: token, ...(token === forged ? { partition: 'shard-10' } : {}) }), token).rejects.toMatchObject(
        notOurs,
      );
    }
    expect((await page('j', { nextToken: one, partition: 'shard-1' })).body.deadLetters.map((l) => l.offset)).toEqual([
      '102',
      '103',
      '104',
      '105',
      '106',
    ]);
    await expect(page('nobody', {})).rejects.toBeInstanceOf(NotFoundError);
  });

  it('answers an empty page for a known job without letters', async () => {
    const f = fixture();
    await startJobInstance(request(), f.ctx);
    expect((await listDeadLetters('j', parseListDeadLetters({}), f.ctx)).body).toEqual({ jobId: 'j', deadLetters: [], nextToken: null });
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
