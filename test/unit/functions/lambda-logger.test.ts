/**
 * The Lambda functions' log lines (functions/logger.ts): Powertools' JSON, with the
 * invocation's request id, cold start and X-Ray trace id added by the entry points' middy
 * chain (withLambdaContext, as each `export const handler` is built), the service name
 * and level from POWERTOOLS_SERVICE_NAME and POWERTOOLS_LOG_LEVEL.
 * Powertools prints through a Console on process.stdout (info) and process.stderr (warn,
 * error); the test reads what reaches them.
 */
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

// Powertools reads its environment when the logger is built, at import. Lambda sets
// AWS_LAMBDA_INITIALIZATION_TYPE; without it Powertools reports no cold start.
vi.hoisted(() => {
  process.env.AWS_LAMBDA_INITIALIZATION_TYPE = 'on-demand';
  process.env.POWERTOOLS_SERVICE_NAME = 'sluice';
  process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
});

import { createMemoryPorts } from '../../../engine/adapters/memory/index.js';
import { MemoryJobRegistry } from '../../../engine/adapters/memory/memory-job-registry.js';
import { DEFAULT_DRIVER_SETTINGS, DEFAULT_RESTART_POLICY } from '../../../engine/driver/settings.js';
import { createApiReadHandler } from '../../../functions/api-read.js';
import type { FunctionDependencies } from '../../../functions/environment.js';
import { jsonLogger } from '../../../functions/environment.js';
import { lambdaLogger, withLambdaContext } from '../../../functions/logger.js';
import { createPlanTaskHandler } from '../../../functions/plan.js';
import { catalog } from '../../../jobs/catalog.js';

const TRACE = '1-5759e988-bd862e3fe1be46a994272793';

function lambdaContext(requestId: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'Sluice-PlanFunction',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:Sluice-PlanFunction',
    memoryLimitInMB: '1024',
    awsRequestId: requestId,
    logGroupName: '/aws/lambda/Sluice-PlanFunction',
    logStreamName: '2025/01/01/[$LATEST]abc',
  } as Context;
}

let lines: Record<string, unknown>[];
beforeEach(() => {
  lines = [];
  vi.stubEnv('_X_AMZN_TRACE_ID', `Root=${TRACE};Parent=53995c3f42cd8ad8;Sampled=1`);
  const capture = (chunk: unknown) => {
    for (const line of String(chunk)
      .split('\n')
      .filter((l) => l.startsWith('{')))
      lines.push(JSON.parse(line) as Record<string, unknown>);
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(capture);
  vi.spyOn(process.stderr, 'write').mockImplementation(capture);
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});
afterAll(() => {
  for (const name of ['AWS_LAMBDA_INITIALIZATION_TYPE', 'POWERTOOLS_SERVICE_NAME', 'POWERTOOLS_LOG_LEVEL']) delete process.env[name];
});

describe('the Lambda logger', () => {
  it('is the logger the functions give the engine on Lambda', () => {
    expect(jsonLogger).toBe(lambdaLogger);
  });

  it("writes a task handler's lines with the request id, cold start and trace id of the invocation", async () => {
    const ports = { ...createMemoryPorts(), logger: lambdaLogger };
    const registry = new MemoryJobRegistry();
    const deps: FunctionDependencies = {
      task: () => ({ ports, registry, catalog: {}, settings: DEFAULT_DRIVER_SETTINGS }),
      supervisor: () => ({
        registry,
        executions: { start: async () => 'started', status: async () => null },
        clock: ports.clock,
        logger: lambdaLogger,
        policy: DEFAULT_RESTART_POLICY,
      }),
    };
    const handler = withLambdaContext(createPlanTaskHandler(deps));

    await expect(handler({ driver: 'nope' }, lambdaContext('req-1'))).rejects.toThrow(/bad event/);
    await expect(handler({ driver: 'nope' }, lambdaContext('req-2'))).rejects.toThrow(/bad event/);

    expect(lines).toEqual([
      expect.objectContaining({
        level: 'ERROR',
        message: 'planTask failed',
        service: 'sluice',
        function_request_id: 'req-1',
        cold_start: true,
        function_name: 'Sluice-PlanFunction',
        function_memory_size: '1024',
        xray_trace_id: TRACE,
        error: expect.stringContaining('bad event'),
        retryable: false,
      }),
      expect.objectContaining({ message: 'planTask failed', function_request_id: 'req-2', cold_start: false, xray_trace_id: TRACE }),
    ]);
  });

  it("writes an API handler's error with the invocation's request id", async () => {
    const ports = createMemoryPorts();
    const read = withLambdaContext(
      createApiReadHandler({
        logger: () => lambdaLogger,
        api: () => ({
          registry: {
            get: async () => Promise.reject(new Error('socket hang up')),
            list: async () => [],
            put: async () => true,
            getSinkOwner: async () => null,
            claimSink: async () => true,
          },
          wal: ports.wal,
          state: ports.state,
          deadLetters: ports.deadLetters,
          sinks: ports.sinks,
          executions: { start: async () => 'started', status: async () => null },
          catalog,
          clock: ports.clock,
          logger: lambdaLogger,
        }),
      }),
    );
    const event = {
      version: '2.0',
      routeKey: 'GET /jobs/{jobId}',
      rawPath: '/jobs/j',
      rawQueryString: '',
      headers: {},
      isBase64Encoded: false,
      pathParameters: { jobId: 'j' },
      requestContext: { requestId: 'api-req', http: { method: 'GET', path: '/jobs/j' } },
    } as unknown as APIGatewayProxyEventV2;
    const response = await read(event, lambdaContext('lambda-req'));
    expect(response.statusCode).toBe(500);
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'ERROR',
        message: 'apiRead failed',
        requestId: 'api-req',
        function_request_id: 'lambda-req',
        error: 'Error: socket hang up',
        xray_trace_id: TRACE,
      }),
    ]);
  });

  it('is not in the chain of a handler the local runtime builds: nothing is added to its lines there', async () => {
    const logged: Record<string, unknown>[] = [];
    const ports = {
      ...createMemoryPorts(),
      logger: {
        info: () => {},
        warn: () => {},
        error: (message: string, fields?: Record<string, unknown>) => void logged.push({ message, ...fields }),
      },
    };
    const registry = new MemoryJobRegistry();
    const handler = createPlanTaskHandler({
      task: () => ({ ports, registry, catalog: {}, settings: DEFAULT_DRIVER_SETTINGS }),
      supervisor: () => ({
        registry,
        executions: { start: async () => 'started', status: async () => null },
        clock: ports.clock,
        logger: ports.logger,
        policy: DEFAULT_RESTART_POLICY,
      }),
    });
    await expect(handler({ driver: 'nope' }, lambdaContext('local'))).rejects.toThrow(/bad event/);
    expect(logged).toEqual([
      { message: 'planTask failed', error: expect.stringContaining('bad event'), retryable: false, context: { field: 'driver' } },
    ]);
    expect(lines).toEqual([]);
  });

  it("keeps the engine's fields and levels", () => {
    lambdaLogger.info('planned', { jobId: 'j', batchId: 7 });
    lambdaLogger.warn('resuming');
    expect(lines).toEqual([
      expect.objectContaining({ level: 'INFO', message: 'planned', jobId: 'j', batchId: 7, service: 'sluice' }),
      expect.objectContaining({ level: 'WARN', message: 'resuming' }),
    ]);
  });
});
