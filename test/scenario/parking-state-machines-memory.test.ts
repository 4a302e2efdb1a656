/**
 * Parking through the driver state machines on the local runtime (the Standard driver,
 * its Express child, the Lambda handlers in-process) on the memory adapters: an idle
 * interval job skips its empty triggers (no batch is planned) and parks (its generation ends SUCCEEDED, the job stays RUNNING, parked), the
 * supervisor's reconcile tick leaves it parked while the source is empty, wakes it when
 * records arrive (the next generation counts them exactly once and parks again), and a
 * stop ends a parked job at once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryPorts } from '../../engine/adapters/memory/index.js';
import { MemoryJobRegistry } from '../../engine/adapters/memory/memory-job-registry.js';
import { systemClock } from '../../engine/adapters/system-clock.js';
import { isParked } from '../../engine/driver/job-control.js';
import type { FinishTaskResult, PlanTaskResult } from '../../engine/driver/tasks.js';
import { count, defineJob, memorySink, memorySource } from '../../engine/job/index.js';
import { JobState, type JobInstance } from '../../engine/ports/job-registry.js';
import { TASK_STATES } from '../../infra/state-machines/definitions.js';
import { LocalDriver } from '../../local/driver-runtime.js';

const drivers: LocalDriver[] = [];
afterEach(async () => {
  await Promise.all(drivers.splice(0).map((d) => d.close()));
});

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('parking through the driver state machines (memory adapters)', { timeout: 60_000 }, () => {
  it('parks when idle, stays parked on an empty source, wakes on new records, counts them once, and stops at once', async () => {
    const memory = createMemoryPorts();
    const ports = { ...memory, clock: systemClock };
    memory.source.createStream('views', ['p0', 'p1']);
    const enc = new TextEncoder();
    const append = (partition: string, pages: string[]) =>
      memory.source.append(
        'views',
        partition,
        pages.map((page) => ({ key: page, data: enc.encode(JSON.stringify({ page })) })),
      );
    append('p0', ['a', 'b', 'a']);
    append('p1', ['c']);
    const job = defineJob<{ page: string }>({
      name: 'views',
      version: 1,
      source: memorySource({ streamName: 'views' }),
      pipeline: (s) => s.keyBy((e) => e.page).aggregate(count()),
      sink: memorySink({ name: 'out' }),
      trigger: { type: 'interval', intervalMs: 1 },
    });
    const registry = new MemoryJobRegistry();
    // The loop decisions: Finish's after a batch, Plan's after a skipped trigger (no batch).
    const decisions: { action: string; after: 'batch' | 'skipped trigger'; records: number }[] = [];
    const driver = new LocalDriver({
      ports,
      registry,
      catalog: { views: { description: 'views per page', create: () => job } },
      retryDelayMs: 1,
      settings: { parkAfterIdleMs: 20 },
      observer: {
        onTaskResult: (state, _input, output) => {
          if (state === TASK_STATES.finish) {
            const f = output as FinishTaskResult;
            decisions.push({ action: f.action, after: 'batch', records: f.batch.metrics.records });
          }
          const planned = output as PlanTaskResult;
          if (state === TASK_STATES.plan && planned.idle)
            decisions.push({ action: planned.loop.action, after: 'skipped trigger', records: 0 });
        },
      },
    });
    drivers.push(driver);
    const record = async () => (await registry.get('views')) as JobInstance;
    const live = () => driver.stepFunctions.running().filter((name) => name.startsWith('views-'));
    const counts = async () =>
      Object.fromEntries((await memory.sink({ type: 'memory', name: 'out' }).scan()).map((r) => [r.key, r.value.value]));

    await driver.launch({ jobId: 'views', jobName: 'views', trigger: { type: 'interval', intervalMs: 1, maxIdleIntervalMs: 4 } });
    await until('the driver parks', async () => isParked(await record()) && live().length === 0);
    expect(await record()).toMatchObject({ state: JobState.RUNNING, generation: 1, parked: { generation: 1 } });
    // One batch read the records; every trigger after it was skipped, and the idle time they spanned parked the job.
    expect(decisions[0]).toEqual({ action: 'continue', after: 'batch', records: 4 });
    expect(decisions.slice(1).every((d) => d.after === 'skipped trigger')).toBe(true);
    expect(decisions.at(-1)).toEqual({ action: 'park', after: 'skipped trigger', records: 0 });
    expect(decisions.filter((d) => d.action === 'park')).toHaveLength(1);
    expect((await memory.wal.listBatches('views')).map((b) => [b.plan.batchId, b.status])).toEqual([[1, 'COMMITTED']]);
    expect(await counts()).toEqual({ a: 2, b: 1, c: 1 });

    // Nothing new: the tick leaves it parked and starts nothing.
    await driver.reconcile();
    expect(live()).toEqual([]);
    expect(driver.supervisorOutcomes.at(-1)).toMatchObject({ action: 'none', detail: 'parked since generation 1: no new data' });

    append('p1', ['a', 'd']);
    await driver.reconcile();
    expect(driver.supervisorOutcomes.at(-1)).toMatchObject({ action: 'woken' });
    await until('the woken generation parks again', async () => {
      const r = await record();
      return isParked(r) && r.parked.generation === 2 && live().length === 0;
    });
    expect(await counts()).toEqual({ a: 3, b: 1, c: 1, d: 1 });
    expect((await memory.wal.listBatches('views')).map((b) => b.plan.batchId)).toEqual([1, 2]);

    // A stop on a parked job: STOPPED at once, no driver to wait for.
    const stopped = await driver.requestStop('views');
    expect(stopped).toMatchObject({ state: JobState.STOPPED, parked: null });
    await driver.reconcile();
    expect(await driver.waitForJob('views', 5_000)).toMatchObject({ state: JobState.STOPPED });
    expect(live()).toEqual([]);
  });
});
