/**
 * A job's life through the jobs API over HTTP on the local runtime (test/support/
 * jobs-api-http.ts), on DynamoDB Local, kinesalite and s3rver: a start, its status and
 * batches, a graceful stop and a resume; a new job started from its checkpoint; a start
 * into its sink, refused and then forced; starts refused for a missing stream or sink
 * table or the engine's own table. The tests run in order, each on what the one before
 * left. Every request is a real HTTP request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { putAllRecords } from '../../engine/adapters/aws/index.js';
import type { AwsPorts } from '../../engine/adapters/deployed-ports.js';
import { createTestSinkTable, testAwsClients } from '../support/aws.js';
import { BASE_TS, type Json, jobsApiOverHttp, PAGES, waitFor } from '../support/jobs-api-http.js';
import { createAwsJobWorld, type AwsJobWorld } from '../support/job-world-aws.js';

const EVENTS = 240;

const { start, close, call } = jobsApiOverHttp();
let ports: AwsPorts;
let streamName: string;
let sinkTable: string;
let copySinkTable: string;
/** The engine's own WAL and registry table: no job may write it. */
let walTable: string;

async function committedRecords(jobId: string): Promise<number> {
  const { body } = await call('GET', `/jobs/${jobId}/batches?limit=100`);
  return (body.batches as Json[]).reduce((sum, b) => sum + (b.records ?? 0), 0);
}

beforeAll(async () => {
  let world: AwsJobWorld;
  [world, copySinkTable] = await Promise.all([
    createAwsJobWorld({ shards: 2, prefix: 'api', registryInWalTable: true }),
    createTestSinkTable('api-copy'),
  ]);
  ({ ports, walTable, sinkTable, streamName } = world);
  const encoder = new TextEncoder();
  const events = Array.from({ length: EVENTS }, (_, i) => ({ page: PAGES[i % PAGES.length]!, ts: BASE_TS + i * 250 }));
  await putAllRecords(
    testAwsClients().kinesis,
    streamName,
    events.map((e) => ({ key: e.page, data: encoder.encode(JSON.stringify(e)) })),
  );
  await start(world);
});

afterAll(close);

describe('the jobs API over HTTP on the local runtime', () => {
  it('starts a job, shows its batches committed, pages them, stops it gracefully, and resumes it', async () => {
    // Act: start the page-views job of the catalog on the test stream, 30 records per shard per batch.
    const request = {
      jobName: 'page-views',
      jobId: 'views',
      parameters: { streamName, sinkTable },
      trigger: { type: 'interval', intervalMs: 100, maxIdleIntervalMs: 400 },
      maxRecordsPerPartition: 30,
      startingPosition: 'earliest',
      idempotencyToken: 'start-views-1',
    };
    const started = await call('POST', '/jobs', request);

    // Assess
    expect(started.status).toBe(201);
    expect(started.body).toMatchObject({
      execution: 'views-1',
      alreadyStarted: false,
      job: {
        jobId: 'views',
        jobName: 'page-views',
        state: 'RUNNING',
        parameters: { streamName, sinkTable },
        maxRecordsPerPartition: 30,
        startingPosition: { type: 'earliest' },
      },
    });

    // A retried request with the same token starts nothing new; another token conflicts.
    const retried = await call('POST', '/jobs', request);
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ execution: 'views-1', alreadyStarted: true, job: { jobId: 'views', state: 'RUNNING' } });
    const other = await call('POST', '/jobs', { ...request, idempotencyToken: 'someone-else' });
    expect(other.status).toBe(409);
    expect(other.body).toMatchObject({
      error: 'Conflict',
      message: expect.stringContaining('job views is RUNNING (started by a request with another idempotency token)'),
    });

    // The status route shows the batches committed until every partition is drained: every record committed, caught up.
    // (No empty batch need follow: a caught-up trigger that finds nothing plans none.)
    await waitFor('every partition drained', async () => {
      const s = (await call('GET', '/jobs/views')).body;
      return (
        s.lag.partitions.length === 2 && s.lag.partitions.every((p: Json) => p.caughtUp) && (await committedRecords('views')) === EVENTS
      );
    });
    expect(await committedRecords('views')).toBe(EVENTS);
    const status = await call('GET', '/jobs/views');
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({
      jobId: 'views',
      state: 'RUNNING',
      generation: 1,
      driver: { execution: 'views-1', status: 'RUNNING' },
      lastCommittedBatch: { status: 'COMMITTED' },
      restarts: { count: 0 },
      lastError: null,
    });
    expect(status.body.lastCommittedBatch.batchId).toBeGreaterThanOrEqual(EVENTS / 2 / 30);
    expect(status.body.lag.partitions).toHaveLength(2);
    for (const p of status.body.lag.partitions) expect(p).toMatchObject({ partition: expect.stringMatching(/^shardId-/), caughtUp: true });
    expect(status.body.rates.processedRecordsPerSecond).toBeGreaterThan(0);
    expect(status.body.watermark).toMatch(/^2026-01-01T12:/);

    const listed = await call('GET', '/jobs');
    expect(listed.body.jobs).toEqual([expect.objectContaining({ jobId: 'views', state: 'RUNNING' })]);
    expect((await call('GET', '/jobs?state=STOPPED')).body.jobs).toEqual([]);

    // Batches page newest first; the token carries on where the page ended.
    const first = await call('GET', '/jobs/views/batches?limit=2');
    expect(first.status).toBe(200);
    expect(first.body.batches).toHaveLength(2);
    expect(first.body.nextToken).toEqual(expect.any(String));
    const second = await call('GET', `/jobs/views/batches?limit=2&nextToken=${encodeURIComponent(first.body.nextToken)}`);
    const ids = [...first.body.batches, ...second.body.batches].map((b: Json) => b.batchId);
    expect(ids).toEqual([ids[0], ids[0] - 1, ids[0] - 2, ids[0] - 3]);
    expect(first.body.batches[0].partitions[0]).toMatchObject({ partition: expect.stringMatching(/^shardId-/), start: expect.any(String) });

    // Stop: the driver finishes the batch in flight, commits, and ends.
    const stopping = await call('POST', '/jobs/views/stop');
    expect(stopping.status).toBe(202);
    expect(stopping.body.job.state).toBe('STOPPING');
    await waitFor('STOPPED', async () => (await call('GET', '/jobs/views')).body.state === 'STOPPED');
    const stopped = await call('GET', '/jobs/views');
    expect(stopped.body).toMatchObject({ state: 'STOPPED', reason: 'stopped', driver: { execution: 'views-1', status: 'SUCCEEDED' } });
    expect((await call('POST', '/jobs/views/stop')).status).toBe(200);

    // Exactly once through the API: the counts in the sink add up to the events.
    const rows = await ports.sinks({ type: 'dynamodb', tableName: sinkTable }).scan();
    expect(rows.reduce((sum, r) => sum + (r.value.value as number), 0)).toBe(EVENTS);

    // A second start of the stopped job is a conflict that says to resume it; resume runs it again.
    const again = await call('POST', '/jobs', { ...request, idempotencyToken: 'start-views-2' });
    expect(again.status).toBe(409);
    expect(again.body.message).toContain('resume it (POST /jobs/views/resume)');
    const resumed = await call('POST', '/jobs/views/resume', { idempotencyToken: 'resume-views-1' });
    expect(resumed.status).toBe(202);
    expect(resumed.body).toMatchObject({ execution: 'views-2', job: { state: 'RUNNING' } });
    expect((await call('POST', '/jobs/views/resume', { idempotencyToken: 'resume-views-1' })).body).toMatchObject({
      alreadyStarted: true,
      execution: 'views-2',
    });
    expect((await call('POST', '/jobs/views/resume')).status).toBe(409);
    await waitFor('the resumed driver running', async () => (await call('GET', '/jobs/views')).body.generation === 2);
    expect((await call('POST', '/jobs/views/stop')).status).toBe(202);
    await waitFor('STOPPED again', async () => (await call('GET', '/jobs/views')).body.state === 'STOPPED');
  });

  it("starts a new job from another job's checkpoint: its state and offsets after that batch", async () => {
    const source = await call('GET', '/jobs/views/batches?limit=100');
    const batches = (source.body.batches as Json[]).filter((b) => b.records > 0);
    const from = batches[batches.length - 1]!.batchId as number; // the first batch that read records
    const started = await call('POST', '/jobs', {
      jobName: 'page-views',
      jobId: 'views-copy',
      parameters: { streamName, sinkTable: copySinkTable },
      trigger: { type: 'availableNow' },
      maxRecordsPerPartition: 30,
      startingPosition: { type: 'checkpoint', jobId: 'views', batchId: from },
    });
    expect(started.status).toBe(201);
    expect(started.body.job.startingPosition).toEqual({ type: 'checkpoint', jobId: 'views', batchId: from });
    await waitFor('the copy caught up and stopped', async () => (await call('GET', '/jobs/views-copy')).body.state === 'STOPPED');

    // It began after batch `from`: it read every record the source read after it, and each
    // (page, window) it wrote holds the same count as the source's sink.
    const copyBatches = (await call('GET', '/jobs/views-copy/batches?limit=100')).body.batches as Json[];
    expect(copyBatches[copyBatches.length - 1]).toMatchObject({ batchId: from, status: 'COMMITTED' });
    const afterFrom = batches.filter((b) => b.batchId > from).reduce((sum, b) => sum + b.records, 0);
    expect(copyBatches.filter((b) => b.batchId > from).reduce((sum, b) => sum + b.records, 0)).toBe(afterFrom);
    const original = new Map((await ports.sinks({ type: 'dynamodb', tableName: sinkTable }).scan()).map((r) => [r.key, r.value.value]));
    const copy = await ports.sinks({ type: 'dynamodb', tableName: copySinkTable }).scan();
    expect(copy.length).toBeGreaterThan(0);
    for (const row of copy) expect(row.value.value, row.key).toBe(original.get(row.key));

    // A checkpoint start needs a new job id.
    const again = await call('POST', '/jobs', {
      jobName: 'page-views',
      jobId: 'views-copy-2',
      parameters: { streamName },
      startingPosition: { type: 'checkpoint', jobId: 'views', batchId: 999 },
    });
    expect(again.status).toBe(400);
    expect(again.body.fields).toEqual([
      { field: 'startingPosition.batchId', message: expect.stringContaining('must be a committed batch of job views') },
    ]);
  });

  it("refuses a start into another instance's sink with a 409 naming it; force takes it over from the stopped owner", async () => {
    const request = {
      jobName: 'page-views',
      jobId: 'views-second',
      parameters: { streamName, sinkTable },
      trigger: { type: 'availableNow' },
      maxRecordsPerPartition: 1_000,
    };
    const refused = await call('POST', '/jobs', request);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({
      error: 'Conflict',
      message: expect.stringMatching(
        new RegExp(`^DynamoDB table ${sinkTable} is owned by job views \\(STOPPED: stopped\\): .*"force": true in the start request`),
      ),
    });
    expect((await call('GET', '/jobs/views-second')).status).toBe(404);

    const forced = await call('POST', '/jobs', { ...request, force: true });
    expect(forced.status).toBe(201);
    expect(forced.body.sinksTakenOver).toEqual([
      { target: `dynamodb:${sinkTable}`, description: `DynamoDB table ${sinkTable}`, fromJobId: 'views' },
    ]);
    await waitFor('the second instance stopped', async () => (await call('GET', '/jobs/views-second')).body.state === 'STOPPED');
    const resumed = await call('POST', '/jobs/views/resume');
    expect(resumed.status).toBe(409);
    expect(resumed.body.message).toContain(`DynamoDB table ${sinkTable} is owned by job views-second (STOPPED: caught-up)`);
  });

  it('refuses a start whose stream or sink table does not exist (404), or whose sink is the engine’s own table (400): nothing starts', async () => {
    const missingStream = `${streamName}-gone`;
    const noStream = await call('POST', '/jobs', {
      jobName: 'page-views',
      jobId: 'no-stream',
      parameters: { streamName: missingStream, sinkTable },
    });
    expect(noStream).toMatchObject({
      status: 404,
      body: {
        error: 'NotFound',
        message:
          `the source Kinesis stream ${missingStream} does not exist in this account and region: create it, or fix job ` +
          "page-views's streamName (or the parameter that sets it); nothing was started",
      },
    });
    const noTable = await call('POST', '/jobs', {
      jobName: 'page-views',
      jobId: 'no-table',
      parameters: { streamName, sinkTable: 'no-such-table' },
    });
    expect(noTable).toMatchObject({
      status: 404,
      body: {
        error: 'NotFound',
        message: expect.stringMatching(/^the sink DynamoDB table no-such-table does not exist in this account and region/),
      },
    });
    const ownTable = await call('POST', '/jobs', {
      jobName: 'page-views',
      jobId: 'own-table',
      parameters: { streamName, sinkTable: walTable },
    });
    expect(ownTable).toMatchObject({
      status: 400,
      body: {
        error: 'BadRequest',
        fields: [
          {
            field: 'job.sink',
            message: expect.stringContaining(`DynamoDB table ${walTable} is the engine's own table (the write-ahead log and job registry)`),
          },
        ],
      },
    });
    for (const jobId of ['no-stream', 'no-table', 'own-table']) expect((await call('GET', `/jobs/${jobId}`)).status).toBe(404);
  });
});
