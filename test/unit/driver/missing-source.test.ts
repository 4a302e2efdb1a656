/**
 * A job whose source stream does not exist, run through the driver state machines on the
 * memory adapters: the first Plan meets the missing stream as a NotFoundError, which no
 * retry or restart can fix, so the job is FAILED at once with the reason, after one
 * driver generation and no restart (never RUNNING with a restart loop).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryPorts } from '../../../engine/adapters/memory/index.js';
import { MemoryJobRegistry } from '../../../engine/adapters/memory/memory-job-registry.js';
import { systemClock } from '../../../engine/adapters/system-clock.js';
import { count, defineJob, memorySink, memorySource } from '../../../engine/job/index.js';
import { JobState } from '../../../engine/ports/job-registry.js';
import { LocalDriver } from '../../../local/driver-runtime.js';

const drivers: LocalDriver[] = [];
afterEach(async () => {
  await Promise.all(drivers.splice(0).map((d) => d.close()));
});

describe('a job whose source does not exist', { timeout: 30_000 }, () => {
  it('is FAILED at once with the reason naming the stream: one generation, no restart', async () => {
    const memory = createMemoryPorts();
    const job = defineJob<{ page: string }>({
      name: 'orders-per-page',
      version: 1,
      source: memorySource({ streamName: 'orders' }),
      pipeline: (s) => s.keyBy((e) => e.page).aggregate(count()),
      sink: memorySink({ name: 'out' }),
      outputMode: 'update',
      trigger: { type: 'interval', intervalMs: 10 },
    });
    const driver = new LocalDriver({
      ports: { ...memory, clock: systemClock },
      registry: new MemoryJobRegistry(),
      catalog: { 'orders-per-page': { description: 'counts per page', create: () => job } },
      retryDelayMs: 1,
      // A restart would be immediate: a loop would show as restarts and later generations.
      restartPolicy: { backoffBaseMs: 1, backoffMaxMs: 1 },
    });
    drivers.push(driver);

    await driver.launch({ jobId: 'orders', jobName: 'orders-per-page' });
    const ended = await driver.waitForJob('orders', 20_000);

    expect(ended.state).toBe(JobState.FAILED);
    expect(ended.reason).toMatch(/^NotFoundError: stream orders does not exist/);
    expect(ended.lastError).toMatchObject({ generation: 1, error: 'NotFoundError' });
    expect(ended.restarts).toEqual([]);
    expect(ended.generation).toBe(1);
    expect(driver.stepFunctions.running()).toEqual([]);
  });
});
