import { describe, expect, it } from 'vitest';
import { createMemoryPorts } from '../../../engine/adapters/memory/index.js';
import { runDriver } from '../../../engine/driver/run-driver.js';
import { runPartition } from '../../../engine/executor/run-partition.js';
import { JobSpecError, TransientError } from '../../../engine/errors.js';
import { count, defineJob, memorySink, memorySource } from '../../../engine/job/index.js';
import type { Trigger } from '../../../engine/job/types.js';

function setup(trigger: Trigger, records = 10) {
  const ports = createMemoryPorts();
  ports.source.createStream('s', ['p0', 'p1']);
  const enc = new TextEncoder();
  for (const p of ['p0', 'p1']) {
    // A key's records share a partition (keyed state lives there): p0 holds p0-k*, p1 holds p1-k*.
    ports.source.append(
      's',
      p,
      Array.from({ length: records }, (_, i) => ({ key: `${p}-k${i % 3}`, data: enc.encode(JSON.stringify({ k: `${p}-k${i % 3}` })) })),
    );
  }
  const job = defineJob({
    name: 'counts',
    version: 1,
    source: memorySource({ streamName: 's' }),
    pipeline: (s) => s.keyBy((e) => e.k).aggregate(count()),
    sink: memorySink({ name: 'out' }),
    trigger,
    maxRecordsPerPartition: 4,
  });
  return { ports, job };
}

describe('runDriver', () => {
  it('available-now processes what is there, then stops once every partition is caught up', async () => {
    const { ports, job } = setup({ type: 'availableNow' });
    const outcome = await runDriver(job, ports);
    expect(outcome).toMatchObject({ stoppedBy: 'caught-up', batches: 3 });
    const rows = await ports.sink(job.sink).scan();
    expect(Object.fromEntries(rows.map((r) => [r.key, r.value.value]))).toEqual({
      'p0-k0': 4,
      'p0-k1': 3,
      'p0-k2': 3,
      'p1-k0': 4,
      'p1-k1': 3,
      'p1-k2': 3,
    });
  });

  it('an interval trigger starts a batch every interval', async () => {
    const { ports, job } = setup({ type: 'interval', intervalMs: 1_000 });
    const started = ports.clock.now();
    const plannedAt: number[] = [];
    // The fourth batch finds nothing: forced, or a caught-up trigger would plan none (skipped triggers are not batches).
    const outcome = await runDriver(job, ports, {
      maxBatches: 4,
      forceEmptyBatches: true,
      onBatch: ({ plan }) => plannedAt.push(plan.batchId),
    });
    expect(outcome).toMatchObject({ stoppedBy: 'max-batches', batches: 4 });
    const batches = await ports.wal.listBatches('counts');
    expect(batches.map((b) => b.plan.plannedAt - started)).toEqual([0, 1_000, 2_000, 3_000]);
    expect(plannedAt).toEqual([1, 2, 3, 4]);
  });

  it('a stop request finishes and commits the batch in flight, then returns', async () => {
    const { ports, job } = setup({ type: 'interval', intervalMs: 1_000 });
    const stop = new AbortController();
    const outcome = await runDriver(job, ports, { signal: stop.signal, onBatch: () => stop.abort() });
    expect(outcome).toMatchObject({ stoppedBy: 'stopped', batches: 1 });
    const latest = await ports.wal.getLatestBatch('counts');
    expect(latest).toMatchObject({ status: 'COMMITTED', plan: { batchId: 1 } });
  });

  it('retries an executor that fails with a retryable error, then commits once', async () => {
    const { ports, job } = setup({ type: 'availableNow' });
    let failures = 0;
    const outcome = await runDriver(job, ports, {
      runExecutor: async (input) => {
        if (failures < 2) {
          failures += 1;
          throw new TransientError('throttled');
        }
        return runPartition(input, { ports, job });
      },
    });
    expect(failures).toBe(2);
    expect(outcome.stoppedBy).toBe('caught-up');
    const rows = await ports.sink(job.sink).scan();
    expect(rows.map((r) => r.value.value)).toEqual([4, 3, 3, 4, 3, 3]);
  });

  it('does not retry an error that is not retryable', async () => {
    const { ports, job } = setup({ type: 'availableNow' });
    let calls = 0;
    const failing = runDriver(job, ports, {
      runExecutor: async () => {
        calls += 1;
        throw new JobSpecError('bad');
      },
    });
    await expect(failing).rejects.toBeInstanceOf(JobSpecError);
    expect(calls).toBe(2); // one per partition, no retry
    expect((await ports.wal.getLatestBatch('counts'))?.status).toBe('PLANNED');
  });
});
