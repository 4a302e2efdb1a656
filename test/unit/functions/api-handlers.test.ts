/** The jobs API's Lambda handlers (functions/api*.ts) and the engine's metrics (functions/metrics.ts). */
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createMemoryPorts } from '../../../engine/adapters/memory/index.js';
import { MemoryJobRegistry } from '../../../engine/adapters/memory/memory-job-registry.js';
import type { ControlApiContext, ReadApiContext } from '../../../engine/api/context.js';
import type { FinishTaskResult } from '../../../engine/driver/tasks.js';
import { createApiControlHandler } from '../../../functions/api-control.js';
import { createApiReadHandler } from '../../../functions/api-read.js';
import { API_ROUTES, matchRoute } from '../../../functions/api-routes.js';
import { batchRecord, emfMetrics, supervisorRecords } from '../../../functions/metrics.js';
import { catalog } from '../../../jobs/catalog.js';
import { metrics } from '../../support/builders.js';

function event(routeKey: string, over: Partial<APIGatewayProxyEventV2> = {}): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey,
    rawPath: '/x',
    rawQueryString: '',
    headers: {},
    isBase64Encoded: false,
    requestContext: { requestId: 'req-1', http: { method: 'GET', path: '/x' } } as APIGatewayProxyEventV2['requestContext'],
    ...over,
  };
}

function context(over: Partial<ControlApiContext & ReadApiContext> = {}): ControlApiContext & ReadApiContext {
  const ports = createMemoryPorts();
  // The catalog's page-views job reads this stream: a start checks its source exists.
  ports.source.createStream('clickstream', ['p0']);
  return {
    registry: new MemoryJobRegistry(),
    wal: ports.wal,
    state: ports.state,
    deadLetters: ports.deadLetters,
    sinks: ports.sinks,
    executions: { start: async () => 'started', status: async () => null },
    catalog,
    clock: ports.clock,
    logger: ports.logger,
    targets: ports.targets,
    ...over,
  };
}

describe('API handlers', () => {
  it("answer with the operation's status and JSON body", async () => {
    const ctx = context();
    const control = createApiControlHandler({ api: () => ctx });
    const started = await control(event('POST /jobs', { body: JSON.stringify({ jobName: 'page-views' }) }), {} as Context);
    expect(started).toMatchObject({ statusCode: 201, headers: { 'content-type': 'application/json' } });
    expect(JSON.parse(started.body!)).toMatchObject({ execution: 'page-views-1', job: { jobId: 'page-views' } });
    const read = createApiReadHandler({ api: () => ctx });
    const listed = await read(event('GET /jobs', { queryStringParameters: { state: 'RUNNING' } }), {} as Context);
    expect(JSON.parse(listed.body!).jobs).toHaveLength(1);
  });

  it('turn an unexpected failure into a 500 naming the request id, and log it with its stack', async () => {
    const logged: unknown[] = [];
    const ctx = context({
      registry: {
        get: async () => {
          throw new Error('socket hang up');
        },
        list: async () => [],
        put: async () => true,
        getSinkOwner: async () => null,
        claimSink: async () => true,
      },
    });
    const read = createApiReadHandler({
      api: () => ctx,
      logger: () => ({ info: () => {}, warn: () => {}, error: (m, f) => logged.push({ m, ...f }) }),
    });
    const response = await read(event('GET /jobs/{jobId}', { pathParameters: { jobId: 'j' } }), {} as Context);
    expect(response.statusCode).toBe(500);
    expect(JSON.parse(response.body!)).toEqual({
      error: 'InternalError',
      message: "internal error: the request failed on the server (request id req-1, in the API function's log)",
      requestId: 'req-1',
    });
    expect(logged).toEqual([
      expect.objectContaining({
        m: 'apiRead failed',
        requestId: 'req-1',
        error: 'Error: socket hang up',
        stack: expect.stringContaining('socket hang up'),
      }),
    ]);
  });

  it('refuse a body that is too large or base64 garbage', async () => {
    const control = createApiControlHandler({ api: () => context() });
    const big = await control(event('POST /jobs', { body: 'x'.repeat(70_000) }), {} as Context);
    expect(big.statusCode).toBe(413);
    const encoded = await control(
      event('POST /jobs', { body: Buffer.from('{"jobName": 1}').toString('base64'), isBase64Encoded: true }),
      {} as Context,
    );
    expect(JSON.parse(encoded.body!)).toMatchObject({
      error: 'BadRequest',
      fields: [{ field: 'jobName', message: 'must be a string, got 1' }],
    });
  });

  it('match a request to the deployed routes, with path parameters; anything else is $default', () => {
    expect(matchRoute('get', '/jobs/a%2Db/batches')).toEqual({ routeKey: 'GET /jobs/{jobId}/batches', pathParameters: { jobId: 'a-b' } });
    expect(matchRoute('POST', '/jobs/')).toEqual({ routeKey: 'POST /jobs', pathParameters: {} });
    expect(matchRoute('PUT', '/jobs')).toEqual({ routeKey: '$default', pathParameters: {} });
    expect(matchRoute('GET', '/jobs/a/b')).toEqual({ routeKey: '$default', pathParameters: {} });
    expect(Object.values(API_ROUTES).every((fn) => fn === 'apiRead' || fn === 'apiControl')).toBe(true);
  });
});

describe('metrics in the Embedded Metric Format', () => {
  const driver = { jobId: 'j', jobName: 'x', parameters: {}, trigger: { type: 'availableNow' as const }, generation: 1, epoch: 1 };
  const result = (committedNow: boolean, lagMs: number | null) =>
    ({
      action: 'continue',
      reason: null,
      waitMs: 0,
      waitUntil: '',
      idleStreak: 0,
      batch: {
        batchId: 3,
        resumed: false,
        committedNow,
        caughtUp: true,
        watermarkMs: null,
        metrics: metrics({ records: 40, outputRows: 4, deadLetters: 1, stateRows: 9, stateBytesWritten: 300, durationMs: 250, lagMs }),
      },
    }) satisfies FinishTaskResult;

  it('reports a committed batch once, per deployment and per job, leaving out a lag that is not known', () => {
    expect(batchRecord('Sluice', driver, result(false, 0), 1)).toBeNull();
    const record = batchRecord('Sluice', driver, result(true, null), 1_000)!;
    expect(record).toMatchObject({
      _aws: { Timestamp: 1_000, CloudWatchMetrics: [{ Namespace: 'Sluice', Dimensions: [['Deployment'], ['Deployment', 'JobId']] }] },
      Deployment: 'Sluice',
      JobId: 'j',
      BatchDurationMs: 250,
      Records: 40,
    });
    const names = (record._aws as { CloudWatchMetrics: { Metrics: { Name: string }[] }[] }).CloudWatchMetrics[0]!.Metrics.map(
      (m) => m.Name,
    );
    expect(names).not.toContain('LagMs');
    expect(batchRecord('Sluice', driver, result(true, 7), 1)).toMatchObject({ LagMs: 7 });
  });

  it('reports restarts and jobs given up, as one JSON line each on stdout', () => {
    expect(
      supervisorRecords(
        'S',
        [
          { jobId: 'a', action: 'restarted', detail: '' },
          { jobId: 'b', action: 'none', detail: '' },
          { jobId: 'c', action: 'gave-up', detail: '' },
        ],
        5,
      ),
    ).toEqual([expect.objectContaining({ JobId: 'a', DriverRestarts: 1 }), expect.objectContaining({ JobId: 'c', JobsGaveUp: 1 })]);
    const lines: string[] = [];
    emfMetrics('S', (line) => lines.push(line)).batchCommitted(driver, result(true, 1));
    expect(lines).toHaveLength(1);
    expect(lines[0]!.endsWith('\n')).toBe(true);
    expect(JSON.parse(lines[0]!)).toMatchObject({ JobId: 'j', Deployment: 'S' });
  });
});
