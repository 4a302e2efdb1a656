/**
 * The jobs API over HTTP on the local runtime: the Lambda handlers behind the local
 * server (local/api-server.ts), jobs run by the local driver (the driver state
 * machines in-process), on DynamoDB Local, kinesalite and s3rver. Every request below is
 * a real HTTP request.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { putAllRecords } from '../../engine/adapters/aws/index.js';
import type { AwsPorts } from '../../engine/adapters/deployed-ports.js';
import { startLocalApi, type LocalApi } from '../../local/api-runtime.js';
import { catalog } from '../../jobs/catalog.js';
import { appendToShard, createTestSinkTable, createTestStream, shardHashKeys, testAwsClients } from '../support/aws.js';
import { createAwsJobWorld, type AwsJobWorld } from '../support/job-world-aws.js';

type Json = Record<string, any>;

const EVENTS = 240;
const PAGES = ['/home', '/cart', '/docs', '/blog', '/about', '/faq'];
const BASE_TS = Date.UTC(2026, 0, 1, 12);

let api: LocalApi;
let ports: AwsPorts;
let streamName: string;
let sinkTable: string;
let copySinkTable: string;
/** A stream with bad records among good ones, and the dead letters they make: `<shard>#<sequence number>` → the record's bytes. */
let badStreamName: string;
let badSinkTable: string;
/** The engine's own WAL and registry table: no job may write it. */
let walTable: string;
const badRecords = new Map<string, Uint8Array>();

async function call(method: string, path: string, body?: unknown, raw?: string): Promise<{ status: number; body: Json }> {
  const response = await fetch(`${api.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(raw !== undefined ? { body: raw } : body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  expect(response.headers.get('content-type')).toBe('application/json');
  return { status: response.status, body: (await response.json()) as Json };
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function committedRecords(jobId: string): Promise<number> {
  const { body } = await call('GET', `/jobs/${jobId}/batches?limit=100`);
  return (body.batches as Json[]).reduce((sum, b) => sum + (b.records ?? 0), 0);
}

beforeAll(async () => {
  let world: AwsJobWorld;
  [world, copySinkTable, badSinkTable, badStreamName] = await Promise.all([
    createAwsJobWorld({ shards: 2, prefix: 'api', registryInWalTable: true }),
    createTestSinkTable('api-copy'),
    createTestSinkTable('api-bad-sink'),
    createTestStream(2, 'api-bad-stream'),
  ]);
  ({ ports, walTable, sinkTable, streamName } = world);
  const encoder = new TextEncoder();
  const events = Array.from({ length: EVENTS }, (_, i) => ({ page: PAGES[i % PAGES.length]!, ts: BASE_TS + i * 250 }));
  await putAllRecords(
    testAwsClients().kinesis,
    streamName,
    events.map((e) => ({ key: e.page, data: encoder.encode(JSON.stringify(e)) })),
  );

  // Per shard, 30 records, every 7th of them bad while bad ones last: JSON cut short and a
  // click without a ts (text), bytes that are not UTF-8.
  const hashKeys = await shardHashKeys(badStreamName);
  const bad = [
    [
      encoder.encode('{"page": "/home", "ts": '),
      encoder.encode('{"page": "/cart"}'),
      new Uint8Array([0xff, 0x00, 0x9c, 0x01]),
      encoder.encode('{"page"'),
    ],
    [encoder.encode('not json at all')],
  ];
  for (const [shard, shardId] of [...hashKeys.keys()].entries()) {
    const records = Array.from({ length: 30 }, (_, i) => ({
      key: `k${i}`,
      data:
        (i % 7 === 0 ? bad[shard]![i / 7] : undefined) ??
        encoder.encode(JSON.stringify({ page: PAGES[i % PAGES.length]!, ts: BASE_TS + i * 250 })),
    }));
    const offsets = await appendToShard(badStreamName, shardId, records, hashKeys);
    records.forEach((r, i) => {
      if (bad[shard]!.includes(r.data)) badRecords.set(`${shardId}#${offsets[i]}`, r.data);
    });
  }
  api = await startLocalApi({
    ports,
    registry: world.registry,
    catalog,
    port: 0,
    driver: { retryDelayMs: 20 },
  });
});

afterAll(async () => {
  await api?.close();
});

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

  it('pages through the dead letters of a job: every bad record once, why it failed, its payload; one partition with ?partition=', async () => {
    const started = await call('POST', '/jobs', {
      jobName: 'page-views',
      jobId: 'bad-input',
      parameters: { streamName: badStreamName, sinkTable: badSinkTable },
      trigger: { type: 'availableNow' },
      maxRecordsPerPartition: 10,
      startingPosition: 'earliest',
    });
    expect(started.status).toBe(201);
    await waitFor('the job caught up and stopped', async () => (await call('GET', '/jobs/bad-input')).body.state === 'STOPPED');

    /** Every page, `limit` letters each: the letters, and the number of pages. */
    const readAll = async (query: string) => {
      const letters: Json[] = [];
      let pages = 0;
      let token: string | null = null;
      do {
        const page = await call(
          'GET',
          `/jobs/bad-input/dead-letters?${query}${token === null ? '' : `&nextToken=${encodeURIComponent(token)}`}`,
        );
        expect(page.status).toBe(200);
        expect(page.body.jobId).toBe('bad-input');
        letters.push(...(page.body.deadLetters as Json[]));
        token = page.body.nextToken;
        pages += 1;
      } while (token !== null);
      return { letters, pages };
    };
    const id = (l: Json) => `${l.partition}#${l.offset}`;

    const { letters, pages } = await readAll('limit=2');
    expect(badRecords.size).toBe(5);
    expect(pages).toBe(3);
    expect(letters.map(id).sort()).toEqual([...badRecords.keys()].sort());
    expect(letters.map(id)).toEqual(letters.map(id).sort());
    const batches = (await call('GET', '/jobs/bad-input/batches?limit=100')).body.batches as Json[];
    expect(batches.reduce((sum, b) => sum + (b.deadLetters ?? 0), 0)).toBe(letters.length);
    for (const letter of letters) {
      const bytes = badRecords.get(id(letter))!;
      expect(letter).toMatchObject({
        batchId: expect.any(Number),
        reason: expect.any(String),
        recordedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
      });
      expect(Buffer.from(letter.payloadBase64, 'base64')).toEqual(Buffer.from(bytes));
      expect(batches.map((b) => b.batchId)).toContain(letter.batchId);
    }
    const byText = (text: string) => letters.find((l) => l.payloadText === text);
    expect(byText('{"page": "/home", "ts": ')).toMatchObject({ stage: 'decode', reason: expect.stringContaining('JSON') });
    expect(byText('{"page": "/cart"}')).toMatchObject({ stage: 'map', reason: expect.stringContaining('a click needs a page and a ts') });
    expect(letters.filter((l) => l.payloadText === undefined)).toEqual([
      expect.objectContaining({ stage: 'decode', payloadBase64: '/wCcAQ==' }),
    ]);

    // One partition: its letters only, as many pages as they fill.
    const partitions = [...new Set(letters.map((l) => l.partition as string))];
    expect(partitions).toHaveLength(2);
    for (const partition of partitions) {
      const one = await readAll(`limit=3&partition=${encodeURIComponent(partition)}`);
      expect(one.letters, partition).toEqual(letters.filter((l) => l.partition === partition));
    }
    const first = await call('GET', '/jobs/bad-input/dead-letters?limit=1');
    const mixed = await call(
      'GET',
      `/jobs/bad-input/dead-letters?nextToken=${encodeURIComponent(first.body.nextToken)}&partition=${encodeURIComponent(partitions[0]!)}`,
    );
    expect(mixed).toMatchObject({
      status: 400,
      body: {
        fields: [
          { field: 'nextToken', message: expect.stringContaining('is a token of the dead letters of every partition, not of partition') },
        ],
      },
    });
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

  it.each([
    [
      'an impossible calendar date',
      'POST',
      '/jobs',
      '{"jobName":"page-views","startingPosition":{"type":"timestamp","timestamp":"2026-02-30T00:00:00Z"}}',
      400,
      {
        fields: [
          {
            field: 'startingPosition.timestamp',
            message: expect.stringContaining('"2026-02-30T00:00:00Z" has day 30 of 2026-02, which has 28 days'),
          },
        ],
      },
    ],
    [
      'a timestamp past the last date JavaScript holds',
      'POST',
      '/jobs',
      '{"jobName":"page-views","startingPosition":{"type":"timestamp","timestamp":8640000000000001}}',
      400,
      { fields: [{ field: 'startingPosition.timestamp', message: 'must be an integer from 0 to 8640000000000000, got 8640000000000001' }] },
    ],
    [
      'bad JSON',
      'POST',
      '/jobs',
      '{"jobName": ',
      400,
      {
        error: 'BadRequest',
        message: expect.stringContaining('the body is not JSON'),
        fields: [{ field: 'body', message: 'must be a JSON object' }],
      },
    ],
    ['no body', 'POST', '/jobs', undefined, 400, { fields: [{ field: 'body', message: 'must be a JSON object, got nothing' }] }],
    [
      'an unknown job name',
      'POST',
      '/jobs',
      '{"jobName":"page-veiws"}',
      400,
      {
        fields: [
          { field: 'jobName', message: expect.stringContaining("is not a job of this deployment's catalog (known: page-views, smoke)") },
        ],
      },
    ],
    [
      'a bad trigger',
      'POST',
      '/jobs',
      '{"jobName":"page-views","trigger":{"type":"interval","intervalMs":-5}}',
      400,
      { fields: [{ field: 'trigger.intervalMs', message: 'must be an integer from 1 to 86400000, got -5' }] },
    ],
    [
      'a bad starting position',
      'POST',
      '/jobs',
      '{"jobName":"page-views","startingPosition":"yesterday"}',
      400,
      {
        fields: [{ field: 'startingPosition', message: expect.stringContaining('must be "earliest", "latest" or an object with a type') }],
      },
    ],
    [
      'a bad timestamp and an unknown field at once',
      'POST',
      '/jobs',
      '{"jobName":"page-views","startingPosition":{"type":"timestamp","timestamp":"noon"},"maxRecordsPerPartiton":5}',
      400,
      {
        fields: [
          { field: 'maxRecordsPerPartiton', message: expect.stringContaining('is not a known field') },
          { field: 'startingPosition.timestamp', message: expect.stringContaining('must be an ISO 8601 time') },
        ],
      },
    ],
    [
      'a bad catalog parameter',
      'POST',
      '/jobs',
      '{"jobName":"page-views","parameters":{"shards":4}}',
      400,
      { fields: [{ field: 'parameters', message: expect.stringContaining('job page-views has no parameter "shards"') }] },
    ],
    [
      'an engine parameter',
      'POST',
      '/jobs',
      '{"jobName":"page-views","parameters":{"sluice.startingPosition":"LATEST"}}',
      400,
      { fields: [{ field: 'parameters.sluice.startingPosition', message: expect.stringContaining('is reserved') }] },
    ],
    [
      'a bad paging token',
      'GET',
      '/jobs/views/batches?nextToken=bm9wZQ',
      undefined,
      400,
      { fields: [{ field: 'nextToken', message: expect.stringContaining('is not a token this API returned') }] },
    ],
    [
      'a bad page size',
      'GET',
      '/jobs/views/batches?limit=0',
      undefined,
      400,
      { fields: [{ field: 'limit', message: 'must be an integer from 1 to 100, got 0' }] },
    ],
    [
      'a dead-letter page size of 0',
      'GET',
      '/jobs/views/dead-letters?limit=0',
      undefined,
      400,
      { fields: [{ field: 'limit', message: 'must be an integer from 1 to 100, got 0' }] },
    ],
    [
      'a dead-letter page size above 100',
      'GET',
      '/jobs/views/dead-letters?limit=101',
      undefined,
      400,
      { fields: [{ field: 'limit', message: 'must be an integer from 1 to 100, got 101' }] },
    ],
    [
      'a dead-letter page size that is no number',
      'GET',
      '/jobs/views/dead-letters?limit=x',
      undefined,
      400,
      { fields: [{ field: 'limit', message: 'must be an integer from 1 to 100, got "x"' }] },
    ],
    [
      'a bad dead-letter page size and an empty partition at once',
      'GET',
      '/jobs/views/dead-letters?limit=-1&partition=',
      undefined,
      400,
      {
        fields: [
          { field: 'limit', message: 'must be an integer from 1 to 100, got -1' },
          { field: 'partition', message: 'must be 1 to 256 characters, got 0' },
        ],
      },
    ],
    [
      'a bad dead-letter token',
      'GET',
      '/jobs/views/dead-letters?nextToken=bm9wZQ',
      undefined,
      400,
      { fields: [{ field: 'nextToken', message: expect.stringContaining('is not a token this API returned') }] },
    ],
    [
      'the dead letters of an unknown job',
      'GET',
      '/jobs/nobody/dead-letters',
      undefined,
      404,
      { error: 'NotFound', message: 'no job instance nobody (GET /jobs lists them)' },
    ],
    [
      'a bad job id',
      'GET',
      '/jobs/no%20such',
      undefined,
      400,
      { fields: [{ field: 'jobId', message: expect.stringContaining("1 to 60 letters, digits, '-' or '_'") }] },
    ],
    [
      'an unknown job',
      'GET',
      '/jobs/nobody',
      undefined,
      404,
      { error: 'NotFound', message: 'no job instance nobody (GET /jobs lists them)' },
    ],
    ['stopping an unknown job', 'POST', '/jobs/nobody/stop', undefined, 404, { error: 'NotFound' }],
    [
      'an unknown route',
      'GET',
      '/jobz',
      undefined,
      404,
      { error: 'NotFound', message: expect.stringContaining('no route GET /jobz (the routes: POST /jobs, GET /jobs,') },
    ],
    [
      'a method the route does not have',
      'DELETE',
      '/jobs/views',
      undefined,
      404,
      { error: 'NotFound', message: expect.stringContaining('no route DELETE /jobs/views') },
    ],
  ] as const)('answers %s with a clear JSON error', async (_what, method, path, raw, status, body) => {
    const response = await call(method, path, undefined, raw);
    expect(response.status).toBe(status);
    expect(response.body).toMatchObject({ ...body, requestId: expect.any(String) });
  });

  it('answers a field nested thousands of levels deep, or thousands of unknown fields, with a short 400', async () => {
    const deep = `${'['.repeat(4_100)}1${']'.repeat(4_100)}`;
    for (const field of ['jobName', 'parameters', 'trigger', 'startingPosition']) {
      const response = await call('POST', '/jobs', undefined, `{"jobName":"page-views","${field}":${deep}}`);
      expect(response.status, field).toBe(400);
      expect(response.body.fields, field).toEqual([{ field, message: expect.stringMatching(/^must be .*, got \[{77}\.\.\.$/) }]);
      expect(JSON.stringify(response.body).length, field).toBeLessThan(1_000);
    }
    const nested = await call('POST', '/jobs', undefined, `{"jobName":"page-views","parameters":{"a":${deep}}}`);
    expect(nested).toMatchObject({
      status: 400,
      body: { fields: [{ field: 'parameters', message: 'must be at most 4096 bytes as JSON, got 8207' }] },
    });

    const unknown = Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`f${i}`, 0]));
    const many = await call('POST', '/jobs', { jobName: 'page-views', ...unknown });
    expect(many.status).toBe(400);
    expect(many.body.message).toMatch(/^f0 is not a known field \(known: jobName, .*\) \(and 4999 more problems\)$/);
    expect(many.body.fields).toHaveLength(10);
    expect(JSON.stringify(many.body).length).toBeLessThan(4_096);
  });
});
