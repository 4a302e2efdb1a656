/**
 * What `cdk deploy` ships is what runs: the app is synthesized with its bundles, and the
 * run below uses only what the cloud assembly holds. Each function is its bundled module
 * from cdk.out with the template's handler and environment; the state machines are the
 * template's definitions, their task ARNs resolved to those bundles; the API routes go to
 * the functions the template's integrations name. A job of the catalog starts, runs
 * batches on records produced to its stream, stops and resumes through the bundled API
 * function, with its results exact in its sink.
 *
 * Every AWS call the functions make is recorded on the wire, and checked against the
 * policies the template gives each function's role (and each state machine's): a call the
 * role would refuse fails the test; the grants no call used are printed.
 */
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { putAllRecords } from '../../engine/adapters/aws/kinesis-producer.js';
import { createSinkTable, createStream } from '../../engine/adapters/aws/provision.js';
import { standInEndpoints, testAwsClients, uniqueName } from '../support/aws.js';
import { startBundledFunction } from '../support/deploy/bundled-function.js';
import { synthesizeApp, type Json, type SynthesizedApp } from '../support/deploy/cloud-assembly.js';
import { checkCalls, formatIamReport } from '../support/deploy/iam-check.js';
import { deployLocally, type LocalDeployment } from '../support/deploy/local-deployment.js';

const PAGES = ['home', 'cart', 'faq'];
const BASE_TS = Date.parse('2026-01-01T12:00:00Z');

let app: SynthesizedApp;
let deployment: LocalDeployment;
const streamName = uniqueName('deployed-clicks');
const sinkTable = uniqueName('deployed-views');
const timings: Record<string, number> = {};

async function timed<T>(what: string, run: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await run();
  } finally {
    timings[what] = Math.round(performance.now() - started);
  }
}

beforeAll(async () => {
  // The deployment's job instance reads and writes these, so the stack grants exactly them.
  app = await timed('synth', () => synthesizeApp({ 'sluice:jobParameters': { 'page-views': [{ streamName, sinkTable }] } }));
  await createStream(testAwsClients().kinesis, streamName, 2);
  await createSinkTable(testAwsClients().dynamodb, sinkTable);
  deployment = await timed('deploy', () => deployLocally(app, standInEndpoints(), uniqueName('dep').slice(0, 24)));
}, 300_000);

afterAll(async () => {
  await timed('close', async () => deployment?.close());
  if (app !== undefined) await rm(app.dir, { recursive: true, force: true });
  const byService = new Map<string, { calls: number; ms: number }>();
  for (const c of deployment?.calls ?? []) {
    const s = byService.get(c.service) ?? { calls: 0, ms: 0 };
    byService.set(c.service, { calls: s.calls + 1, ms: s.ms + c.ms });
  }
  console.log(`deploy-fidelity timings (ms): ${JSON.stringify(timings)}; AWS calls: ${JSON.stringify(Object.fromEntries(byService))}`);
});

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }> {
  const response = await fetch(`${deployment.api.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Json };
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 150_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${deployment.logs()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function produce(from: number, count: number): Promise<void> {
  const encoder = new TextEncoder();
  const records = Array.from({ length: count }, (_, n) => {
    const i = from + n;
    return {
      key: `user-${i % 7}`,
      data: encoder.encode(JSON.stringify({ page: PAGES[i % PAGES.length], user: `user-${i % 7}`, ts: BASE_TS + i * 100 })),
    };
  });
  await putAllRecords(testAwsClients().kinesis, streamName, records);
}

/** The sum of the counts in the sink, read through the bundled read function. */
async function countedViews(jobId: string): Promise<number> {
  const { status, body } = await call('GET', `/jobs/${jobId}/results?limit=100`);
  expect(status).toBe(200);
  return (body.rows as Json[]).reduce((sum, row) => sum + Number(row.value.value), 0);
}

/**
 * Every produced record is in a committed batch (the batches' records summed), and the
 * last batch reached the tail of every partition (a caught-up trigger plans no empty batch
 * after it, so none is waited for).
 */
async function committed(jobId: string, records: number): Promise<boolean> {
  const s = (await call('GET', `/jobs/${jobId}`)).body;
  if (s.state === 'FAILED') throw new Error(`job ${jobId} FAILED: ${JSON.stringify(s.lastError)}\n${deployment.logs()}`);
  let total = 0;
  let token: string | null = null;
  do {
    const query: string = token === null ? '' : `&nextToken=${encodeURIComponent(token)}`;
    const { body } = await call('GET', `/jobs/${jobId}/batches?limit=100${query}`);
    total += ((body.batches ?? []) as Json[]).reduce((sum, b) => sum + (b.records ?? 0), 0);
    token = (body.nextToken as string | null) ?? null;
  } while (token !== null);
  return total === records && s.lag?.partitions?.every((p: Json) => p.caughtUp);
}

describe('the synthesized app, bundles and template, on the stand-ins', () => {
  it('starts a job through the bundled API, runs batches, stops and resumes it, with exact results', async () => {
    await timed('run', async () => {
      // Arrange: records before the start.
      await produce(0, 40);

      // Act: start.
      const started = await call('POST', '/jobs', {
        jobName: 'page-views',
        jobId: 'deployed',
        parameters: { streamName, sinkTable },
        trigger: { type: 'interval', intervalMs: 100, maxIdleIntervalMs: 400 },
        maxRecordsPerPartition: 15,
        startingPosition: 'earliest',
      });

      // Assess: it runs batches until both shards are drained; every record counted once.
      expect(started.status, JSON.stringify(started.body)).toBe(201);
      await waitFor('the first 40 records committed', () => committed('deployed', 40));
      expect(await countedViews('deployed')).toBe(40);
      const batches = await call('GET', '/jobs/deployed/batches?limit=100');
      expect(batches.status).toBe(200);
      expect((batches.body.batches as Json[]).length).toBeGreaterThanOrEqual(2);
      expect((await call('GET', '/jobs/deployed/dead-letters')).status).toBe(200);

      // The reconciler's scheduled tick finds the running job's driver alive and restarts nothing.
      expect(await deployment.driver.reconcile()).toEqual([expect.objectContaining({ jobId: 'deployed', action: 'none' })]);

      // Stop, produce more while stopped, resume: the resumed driver reads on from where the first stopped.
      expect((await call('POST', '/jobs/deployed/stop')).status).toBe(202);
      await waitFor('the job stopped', async () => (await call('GET', '/jobs/deployed')).body.state === 'STOPPED');
      await produce(40, 30);
      const resumed = await call('POST', '/jobs/deployed/resume');
      expect(resumed.status, JSON.stringify(resumed.body)).toBe(202);
      await waitFor('the 30 records produced while stopped committed', () => committed('deployed', 70));
      expect((await call('GET', '/jobs/deployed')).body.generation).toBe(2);
      expect(await countedViews('deployed')).toBe(70);
      expect((await call('POST', '/jobs/deployed/stop')).status).toBe(202);
      await waitFor('the job stopped again', async () => (await call('GET', '/jobs/deployed')).body.state === 'STOPPED');

      const listed = await call('GET', '/jobs');
      expect(listed.body.jobs).toEqual([expect.objectContaining({ jobId: 'deployed', state: 'STOPPED' })]);
      await deployment.driver.settled();
      expect(deployment.driver.supervisorErrors).toEqual([]);
      for (const name of ['deployed-1', 'deployed-2']) expect(deployment.driver.stepFunctions.describe(name)?.status).toBe('SUCCEEDED');
    });
  }, 480_000);

  it("allows every AWS call the functions and state machines made, by their roles' policies in the template", () => {
    const report = checkCalls(app.template, deployment.resolver, deployment.callers, deployment.calls);
    console.log(`IAM check of ${deployment.calls.length} recorded calls:\n${formatIamReport(report)}`);
    // Every function that ran made calls, and each was checked.
    for (const caller of [
      'ApiApiControlFunction',
      'ApiApiReadFunction',
      'DriverPlanFunction',
      'DriverExecuteFunction',
      'DriverFinishFunction',
    ]) {
      expect(
        [...report.checked.keys()].some((k) => k.startsWith(caller)),
        caller,
      ).toBe(true);
    }
    expect(report.refused).toEqual([]);
  });
});

describe('what fails the run', () => {
  it('a handler the bundle does not export', async () => {
    const spec = [...deployment.functions.values()][0]!.spec;
    await expect(startBundledFunction({ ...spec, handler: 'index.nope', exportName: 'nope' }, {})).rejects.toThrow(
      /index\.nope .*did not load: Runtime\.HandlerNotFound/,
    );
  });

  it('an environment variable the template does not set', async () => {
    const read = [...deployment.functions.values()].find((f) => f.spec.exportName === 'apiRead')!;
    const { SLUICE_WAL_TABLE: _, ...environment } = read.spec.environment;
    const broken = await startBundledFunction({ ...read.spec, environment }, {});
    try {
      const answer = (await broken.invoke({ routeKey: 'GET /jobs', rawPath: '/jobs', requestContext: { requestId: 'r1' } })) as Json;
      expect(answer.statusCode).toBe(500);
      expect(broken.logs()).toContain('SLUICE_WAL_TABLE');
    } finally {
      await broken.close();
    }
  });
});
