import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createMemoryPorts } from '../../../engine/adapters/memory/index.js';
import { MemoryJobRegistry } from '../../../engine/adapters/memory/memory-job-registry.js';
import { DEFAULT_DRIVER_SETTINGS, DEFAULT_RESTART_POLICY } from '../../../engine/driver/settings.js';
import { ConcurrentDriverError, InvalidArgumentError, TransientError } from '../../../engine/errors.js';
import type { DriverExecutions } from '../../../engine/ports/driver-executions.js';
import { createEndGenerationHandler } from '../../../functions/end-generation.js';
import type { FunctionDependencies } from '../../../functions/environment.js';
import { readEnvironment } from '../../../functions/environment.js';
import { createExecuteTaskHandler } from '../../../functions/execute.js';
import { createFinishTaskHandler } from '../../../functions/finish.js';
import { toTaskError } from '../../../functions/middleware.js';
import { createPlanTaskHandler } from '../../../functions/plan.js';
import { createStartGenerationHandler } from '../../../functions/start-generation.js';
import { createSupervisorHandler } from '../../../functions/supervisor.js';
import { EXECUTOR_MEMORY_WARNING_PERCENT, emfMetrics } from '../../../functions/metrics.js';
import { planBatch } from '../../../engine/driver/plan-batch.js';
import { startDriver } from '../../../engine/driver/start-driver.js';
import { count, defineJob, memorySink, memorySource } from '../../../engine/job/index.js';
import type { Logger } from '../../../engine/ports/index.js';
import { jobInstance } from '../../support/builders.js';

const context = {} as Context;

function deps(executions?: DriverExecutions): FunctionDependencies {
  const ports = createMemoryPorts();
  const registry = new MemoryJobRegistry();
  return {
    task: () => ({ ports, registry, catalog: {}, settings: DEFAULT_DRIVER_SETTINGS }),
    supervisor: () => ({
      registry,
      executions: executions ?? { start: async () => 'started', status: async () => null },
      clock: ports.clock,
      logger: ports.logger,
      policy: DEFAULT_RESTART_POLICY,
    }),
  };
}

const driver = { jobId: 'j', jobName: 'x', parameters: {}, trigger: { type: 'availableNow' }, generation: 1, epoch: 1 };

describe('Lambda handlers', () => {
  it.each([
    ['start-generation', createStartGenerationHandler, { jobId: 'j' }, /bad event: generation must be an integer ≥ 1, got nothing/],
    ['start-generation', createStartGenerationHandler, 'hello', /bad event: event must be an object, got "hello"/],
    ['plan', createPlanTaskHandler, { driver: { ...driver, epoch: 'one' } }, /bad event: driver.epoch must be an integer ≥ 1, got "one"/],
    [
      'plan',
      createPlanTaskHandler,
      { driver: { ...driver, trigger: { type: 'cron' } } },
      /driver.trigger.type must be "interval" or "availableNow"/,
    ],
    ['execute', createExecuteTaskHandler, { driver, batchId: 3 }, /bad event: partition must be a non-empty string, got nothing/],
    [
      'finish',
      createFinishTaskHandler,
      { driver, batch: { batchId: 1, startedAt: 0, resumed: false }, results: {}, loop: { idleStreak: 0 }, childStartedAt: 'x' },
      /results must be an array/,
    ],
    [
      'end-generation',
      createEndGenerationHandler,
      { jobId: 'j', generation: 1, outcome: 'maybe' },
      /outcome must be "stop", "fenced", "failed" or "park"/,
    ],
    ['supervisor', createSupervisorHandler, { source: 'aws.s3' }, /expected a Step Functions status change/],
  ] as const)('%s rejects a bad event with a clear, non-retryable error', async (_name, create, event, message) => {
    const handler = (create as (d: FunctionDependencies) => (e: unknown, c: Context) => Promise<unknown>)(deps());
    const failure = handler(event, context);
    await expect(failure).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(failure).rejects.toThrow(message);
  });

  it('names an unknown job in the catalog as a JobSpecError (not retried, the job fails)', async () => {
    const handler = createExecuteTaskHandler(deps());
    await expect(handler({ driver: { ...driver, jobName: 'nope' }, batchId: 1, partition: 'p0' }, context)).rejects.toMatchObject({
      name: 'JobSpecError',
      message: expect.stringContaining('no job named "nope" in the catalog'),
    });
  });

  it('the executor reports the memory of each call as a metric, and warns, naming the partition, from 80 % on', async () => {
    const warnings: { message: string; fields?: Record<string, unknown> }[] = [];
    const logger: Logger = {
      info: () => {},
      error: () => {},
      warn: (message, fields) => warnings.push({ message, ...(fields ? { fields } : {}) }),
    };
    const ports = { ...createMemoryPorts(), logger };
    const job = defineJob({
      name: 'counts',
      version: 1,
      source: memorySource({ streamName: 'in' }),
      pipeline: (events) => events.keyBy((e) => String(e.k)).aggregate(count()),
      sink: memorySink({ name: 'out' }),
      trigger: { type: 'availableNow' },
      keyedBy: 'partitionKey', // one stage: the executor holds the state
    });
    const { source, name } = ports.memorySourceOf(job.source.spec);
    source.createStream(name, ['p0']);
    source.append(
      name,
      'p0',
      ['a', 'b', 'a'].map((k) => ({ key: k, data: new TextEncoder().encode(JSON.stringify({ k })) })),
    );
    const { epoch } = await startDriver({ jobId: 'j' }, { ports, job });
    const { batchId } = await planBatch({ jobId: 'j', epoch }, { ports, job });
    const lines: string[] = [];
    // Container readings, before and after each call (MB; the function has 1,024).
    const readings: { rssMb: number; maxRssMb: number; limitMb: number }[] = [];
    const reading = (rssMb: number, maxRssMb: number) => ({ rssMb, maxRssMb, limitMb: 1024 });
    const handler = createExecuteTaskHandler({
      task: () => ({
        ports,
        registry: new MemoryJobRegistry(),
        catalog: { counts: { description: '', create: () => job } },
        settings: DEFAULT_DRIVER_SETTINGS,
      }),
      supervisor: () => {
        throw new Error('not used');
      },
      metrics: emfMetrics('S', (line) => lines.push(line)),
      containerMemory: () => readings.shift() ?? null,
    });
    const run = () => handler({ driver: { ...driver, jobName: 'counts', epoch }, batchId, partition: 'p0' }, context);

    // The container's highest RSS did not move: the call is charged its RSS at the end.
    readings.push(reading(300, 500), reading(400, 500));
    expect(await run()).toMatchObject({ partition: 'p0', records: 3, stateRows: 2 });
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      expect.objectContaining({ Deployment: 'S', JobId: 'j', ExecutorMemoryUsedPercent: 39.1 }),
    ]);
    expect(warnings).toEqual([]);

    // The call raised the container's highest RSS to 80 %: that peak is this call's.
    readings.push(reading(400, 500), reading(450, (1024 * EXECUTOR_MEMORY_WARNING_PERCENT) / 100));
    await run(); // the same batch again (a retry): same result, memory reported again
    expect(JSON.parse(lines[1]!)).toMatchObject({ ExecutorMemoryUsedPercent: 80 });
    expect(warnings).toEqual([
      {
        message: expect.stringContaining('running partition p0 of job j (2 state rows) took its container to 819 MB of 1024 MB (80 %)'),
        fields: { jobId: 'j', partition: 'p0', stateRows: 2, peakMb: 819, limitMb: 1024, percent: 80 },
      },
    ]);

    // An old peak (another job's partition, say) is not charged to a later call.
    readings.push(reading(300, 900), reading(310, 900));
    await run();
    expect(JSON.parse(lines[2]!)).toMatchObject({ ExecutorMemoryUsedPercent: 30.3 });
    expect(warnings).toHaveLength(1);
  });

  it('keeps engine error names and turns other errors into TransientError for the Retry clauses', () => {
    const fenced = new ConcurrentDriverError('stale');
    expect(toTaskError(fenced)).toBe(fenced);
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    const mapped = toTaskError(throttled);
    expect(mapped).toBeInstanceOf(TransientError);
    expect(mapped.message).toBe('ThrottlingException: Rate exceeded');
    expect(mapped.cause).toBe(throttled);
  });

  it('the supervisor restarts a job from an EventBridge status change, and reconciles on its schedule', async () => {
    const started: string[] = [];
    // Every driver it starts dies at once (the fake reports it FAILED from then on).
    const statuses = new Map<string, 'FAILED'>([['j-3', 'FAILED']]);
    const executions: DriverExecutions = {
      start: async (name) => (started.push(name), statuses.set(name, 'FAILED'), 'started'),
      status: async (name) => statuses.get(name) ?? null,
    };
    const d = deps(executions);
    const { registry, clock } = d.supervisor();
    await registry.put(jobInstance({ generation: 3, epoch: 3, createdAt: clock.now(), updatedAt: clock.now() }), null);
    const handler = createSupervisorHandler(d);
    const outcomes = await handler(
      {
        source: 'aws.states',
        'detail-type': 'Step Functions Execution Status Change',
        detail: { name: 'j-3', status: 'FAILED', error: 'TransientError', cause: 'throttled' },
      },
      context,
    );
    expect(outcomes).toEqual([
      {
        jobId: 'j',
        action: 'restarted',
        detail: expect.stringContaining('j-4 (started) after 10 s: generation 3 FAILED: TransientError: throttled'),
      },
    ]);
    expect(started).toEqual(['j-4']);
    const reconciled = await handler({ source: 'aws.events', 'detail-type': 'Scheduled Event' }, context);
    expect(reconciled).toEqual([{ jobId: 'j', action: 'restarted', detail: expect.stringContaining('j-5 (started) after 20 s') }]);
    expect(started).toEqual(['j-4', 'j-5']);
  });

  it('reads its settings from the environment, and names a missing or bad variable', () => {
    const env = { SLUICE_WAL_TABLE: 'w', SLUICE_DEAD_LETTER_TABLE: 'd', SLUICE_CHECKPOINT_BUCKET: 'b', SLUICE_CHILD_BUDGET_MS: '1000' };
    expect(readEnvironment(env).settings.childBudgetMs).toBe(1_000);
    expect(() => readEnvironment({ ...env, SLUICE_WAL_TABLE: '' })).toThrow(/SLUICE_WAL_TABLE is not set/);
    expect(() => readEnvironment({ ...env, SLUICE_CHILD_BUDGET_MS: 'soon' })).toThrow(/SLUICE_CHILD_BUDGET_MS must be a number/);
  });
});
