/** The Lambda handlers of a two-stage batch: Route, ExecuteGroups, and Finish with stage 2's results. */
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createMemoryPorts } from '../../../engine/adapters/memory/index.js';
import { MemoryJobRegistry } from '../../../engine/adapters/memory/memory-job-registry.js';
import { DEFAULT_DRIVER_SETTINGS } from '../../../engine/driver/settings.js';
import { executeTask, planTask, type PlannedBatch } from '../../../engine/driver/tasks.js';
import { InvalidArgumentError } from '../../../engine/errors.js';
import type { Logger } from '../../../engine/ports/index.js';
import type { GroupResult } from '../../../engine/protocol/batch-records.js';
import type { FunctionDependencies } from '../../../functions/environment.js';
import { finishEvent } from '../../../functions/events.js';
import { createExecuteGroupsTaskHandler } from '../../../functions/execute-groups.js';
import { EXECUTOR_MEMORY_WARNING_PERCENT, emfMetrics } from '../../../functions/metrics.js';
import { createRouteTaskHandler } from '../../../functions/route.js';
import { startedKeyedCount } from '../../support/keyed-count-tasks.js';

const context = {} as Context;
const driver = { jobId: 'j', jobName: 'counts', parameters: {}, trigger: { type: 'availableNow' }, generation: 1, epoch: 1 };
const batch = { jobId: 'j', batchId: 1, startedAt: 0, resumed: false, twoStage: true, keyGroups: 8, dueGroups: [] };

/** A keyed count in 8 key groups, its first batch planned and its stage 1 run. */
async function stageOneDone(logger?: Logger) {
  const ports = { ...createMemoryPorts(), ...(logger ? { logger } : {}) };
  ports.source.createStream('s', ['p0', 'p1']);
  const enc = new TextEncoder();
  for (const [p, keys] of [
    ['p0', ['a', 'b', 'a']],
    ['p1', ['a', 'c']],
  ] as const) {
    ports.source.append(
      's',
      p,
      keys.map((k) => ({ key: k, data: enc.encode(JSON.stringify({ k })) })),
    );
  }
  const { ctx: task, driver: startedDriver } = await startedKeyedCount(ports, { keyGroups: 8 });
  const planned = (await planTask({ driver: startedDriver }, task)) as PlannedBatch;
  const results = await Promise.all(
    planned.partitions.map((partition) => executeTask({ driver: startedDriver, batchId: planned.batchId, partition }, task)),
  );
  return { task, driver: startedDriver, batch: planned, results };
}

const noSupervisor = () => {
  throw new Error('not used');
};

describe('Lambda handlers of a two-stage batch', () => {
  it.each([
    ['route', createRouteTaskHandler, { driver, batch: { ...batch, keyGroups: 0 }, results: [] }, /batch.keyGroups must be an integer ≥ 1/],
    ['route', createRouteTaskHandler, { driver, batch, results: [{ partition: 'p0' }] }, /results\[0\].end must be an object/],
    ['route', createRouteTaskHandler, { driver, batch: { ...batch, dueGroups: [-1] }, results: [] }, /batch.dueGroups\[0\] must be/],
    ['execute-groups', createExecuteGroupsTaskHandler, { driver, batchId: 1, groups: [], stageOne: [] }, /groups must be a non-empty/],
    ['execute-groups', createExecuteGroupsTaskHandler, { driver, batchId: 1, groups: [0] }, /stageOne must be an array/],
  ] as const)('%s rejects a bad event with a clear, non-retryable error', async (_name, create, event, message) => {
    const ports = createMemoryPorts();
    const deps: FunctionDependencies = {
      task: () => ({ ports, registry: new MemoryJobRegistry(), catalog: {}, settings: DEFAULT_DRIVER_SETTINGS }),
      supervisor: noSupervisor,
    };
    const handler = (create as (d: FunctionDependencies) => (e: unknown, c: Context) => Promise<unknown>)(deps);
    const failure = handler(event, context);
    await expect(failure).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(failure).rejects.toThrow(message);
  });

  it("route returns stage 2's slots, and a one-stage batch is a bug (InvariantError, not retried)", async () => {
    const done = await stageOneDone();
    const handler = createRouteTaskHandler({ task: () => done.task, supervisor: noSupervisor });
    const route = (await handler({ driver: done.driver, batch: done.batch, results: done.results }, context)) as { slots: number[][] };
    expect(route.slots.length).toBeGreaterThan(0);
    const oneStage = { ...done.batch, twoStage: false, keyGroups: undefined };
    await expect(handler({ driver: done.driver, batch: oneStage, results: done.results }, context)).rejects.toMatchObject({
      name: 'InvariantError',
      retryable: false,
    });
  });

  it('execute-groups reports the memory of each call, and warns, naming its key groups, from 80 % on', async () => {
    const warnings: { message: string; fields?: Record<string, unknown> }[] = [];
    const logger: Logger = {
      info: () => {},
      error: () => {},
      warn: (message, fields) => warnings.push({ message, ...(fields ? { fields } : {}) }),
    };
    const done = await stageOneDone(logger);
    const lines: string[] = [];
    const readings = [
      { rssMb: 300, maxRssMb: 500, limitMb: 1024 },
      { rssMb: 350, maxRssMb: 500, limitMb: 1024 },
      { rssMb: 350, maxRssMb: 500, limitMb: 1024 },
      { rssMb: 400, maxRssMb: (1024 * EXECUTOR_MEMORY_WARNING_PERCENT) / 100, limitMb: 1024 },
    ];
    const handler = createExecuteGroupsTaskHandler({
      task: () => done.task,
      supervisor: noSupervisor,
      metrics: emfMetrics('S', (line) => lines.push(line)),
      containerMemory: () => readings.shift() ?? null,
    });
    const groups = [0, 1, 2, 3, 4, 5, 6, 7];
    const run = () => handler({ driver: done.driver, batchId: done.batch.batchId, groups, stageOne: done.results }, context);
    const results = (await run()) as GroupResult[];
    expect(results.map((r) => r.group)).toEqual(groups);
    expect(results.reduce((sum, r) => sum + r.stateRows, 0)).toBe(3);
    expect(JSON.parse(lines[0]!)).toMatchObject({ Deployment: 'S', JobId: 'j', ExecutorMemoryUsedPercent: 34.2 });
    expect(warnings).toEqual([]);

    await run(); // a retry: same results, and this time the call raised the container's peak to 80 %
    expect(JSON.parse(lines[1]!)).toMatchObject({ ExecutorMemoryUsedPercent: 80 });
    expect(warnings).toEqual([
      {
        message: expect.stringContaining(
          'running key groups 0 to 7 of job j (3 state rows, at most 1 in one group) took its container to 819 MB',
        ),
        fields: expect.objectContaining({ jobId: 'j', groups: 8, firstGroup: 0, lastGroup: 7, stateRows: 3, percent: 80 }),
      },
    ]);
  });

  it("finish takes stage 2's results per slot, and none from a child of an older definition", () => {
    const base = { driver, batch, results: [{ partition: 'p0', end: { count: 0 } }], loop: { idleStreak: 0 }, childStartedAt: 'x' };
    expect(finishEvent(base).groupResults).toEqual([]);
    const groupResults = [[{ group: 0, stateVersion: 1 }], [{ group: 5, stateVersion: 0 }]];
    expect(finishEvent({ ...base, groupResults }).groupResults).toEqual(groupResults);
    expect(() => finishEvent({ ...base, groupResults: [{ group: 0 }] })).toThrow(/groupResults\[0\] must be an array/);
  });
});
