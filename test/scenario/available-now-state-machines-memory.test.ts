/**
 * An available-now job in append mode through the driver state machines on the local
 * runtime (the Standard driver, its Express child, the Lambda handlers in-process) on the
 * memory adapters: the Finish task runs the extra no-data batch (Spark's no-data batch
 * under Trigger.AvailableNow), so the windows the job's data closed are emitted before
 * the job stops.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryPorts } from '../../engine/adapters/memory/index.js';
import { MemoryJobRegistry } from '../../engine/adapters/memory/memory-job-registry.js';
import { systemClock } from '../../engine/adapters/system-clock.js';
import type { FinishTaskResult } from '../../engine/driver/tasks.js';
import { count, defineJob, memorySink, memorySource, tumbling } from '../../engine/job/index.js';
import { JobState } from '../../engine/ports/job-registry.js';
import { TASK_STATES } from '../../infra/state-machines/definitions.js';
import { LocalDriver } from '../../local/driver-runtime.js';

const drivers: LocalDriver[] = [];
afterEach(async () => {
  await Promise.all(drivers.splice(0).map((d) => d.close()));
});

describe('available now through the driver state machines (memory adapters)', { timeout: 60_000 }, () => {
  it('Finish continues once more after the caught-up batch moved the watermark, and the closed windows are emitted', async () => {
    const memory = createMemoryPorts();
    const ports = { ...memory, clock: systemClock };
    memory.source.createStream('views', ['p0', 'p1', 'p2']);
    const enc = new TextEncoder();
    // Page i's views at 1 s, 11 s, 21 s; one late view of page 0 at 45 s moves the watermark to 40 s.
    for (let i = 0; i < 9; i += 1) {
      for (const ts of [1_000, 11_000, 21_000]) {
        memory.source.append('views', `p${(i + ts / 1_000) % 3}`, [
          { key: `page-${i}`, data: enc.encode(JSON.stringify({ page: `page-${i}`, ts })) },
        ]);
      }
    }
    memory.source.append('views', 'p0', [{ key: 'page-0', data: enc.encode(JSON.stringify({ page: 'page-0', ts: 45_000 })) }]);
    const job = defineJob<{ page: string; ts: number }>({
      name: 'page-views',
      version: 1,
      source: memorySource({ streamName: 'views' }),
      pipeline: (s) =>
        s
          .withWatermark((e) => e.ts, { allowedLatenessMs: 5_000 })
          .keyBy((e) => e.page)
          .window(tumbling({ sizeMs: 10_000 }))
          .aggregate(count()),
      sink: memorySink({ name: 'out' }),
      outputMode: 'append',
      trigger: { type: 'availableNow' },
      keyGroups: 8,
    });
    const finishes: FinishTaskResult[] = [];
    const driver = new LocalDriver({
      ports,
      registry: new MemoryJobRegistry(),
      catalog: { 'page-views': { description: 'views per page per 10 s window', create: () => job } },
      retryDelayMs: 1,
      observer: {
        onTaskResult: (state, _input, output) => {
          if (state === TASK_STATES.finish) finishes.push(output as FinishTaskResult);
        },
      },
    });
    drivers.push(driver);

    await driver.launch({ jobId: 'views', jobName: 'page-views' });
    const ended = await driver.waitForJob('views', 50_000);
    expect(ended, JSON.stringify(ended)).toMatchObject({ state: JobState.STOPPED, reason: 'caught-up' });
    await driver.stepFunctions.settled();

    // Batch 1 read all 28 views and was caught up, but moved the watermark: Finish continued.
    expect(finishes.map((f) => [f.batch.batchId, f.batch.metrics.records, f.batch.caughtUp, f.action])).toEqual([
      [1, 28, true, 'continue'],
      [2, 0, true, 'stop'],
    ]);
    expect(finishes[1]!.batch.watermarkMs).toBe(40_000);
    // Every (page, window) that ended by 40 s, once, written by the extra batch; [40 s, 50 s) stays open.
    const rows = await memory.sink({ type: 'memory', name: 'out' }).scan();
    expect(rows).toHaveLength(27);
    expect(rows.every((r) => r.batchId === 2 && r.value.value === 1 && (r.value.windowStart as number) < 40_000)).toBe(true);
  });
});
