import { describe, expect, it } from 'vitest';
import { createMemoryPorts } from '../../../engine/adapters/memory/index.js';
import { runDriver } from '../../../engine/driver/run-driver.js';
import { count, defineJob, memorySink, memorySource, tumbling } from '../../../engine/job/index.js';

const enc = new TextEncoder();

function setup(options: { watermark?: boolean } = {}) {
  const ports = createMemoryPorts();
  ports.source.createStream('s', ['p0', 'p1']);
  const job = defineJob({
    name: 'counts',
    version: 1,
    source: memorySource({ streamName: 's' }),
    pipeline: (s) =>
      options.watermark
        ? s
            .withWatermark((e) => e.ts as number, { allowedLatenessMs: 0 })
            .keyBy((e) => e.k as string)
            .window(tumbling({ sizeMs: 1_000 }))
            .aggregate(count())
        : s.keyBy((e) => e.k as string).aggregate(count()),
    sink: memorySink({ name: 'out' }),
    outputMode: options.watermark ? 'append' : 'update',
    trigger: { type: 'interval', intervalMs: 1_000 },
    maxRecordsPerPartition: 100,
  });
  const add = (partition: string, values: { k: string; ts?: number }[]) =>
    ports.source.append(
      's',
      partition,
      values.map((v) => ({ key: v.k, data: enc.encode(JSON.stringify(v)) })),
    );
  return { ports, job, add };
}

describe('runDriver skips a trigger that would plan an empty batch', () => {
  it('skips while caught up, writing nothing, then runs a batch when data arrives', async () => {
    const { ports, job, add } = setup();
    add('p0', [{ k: 'a' }, { k: 'b' }]);
    const stop = new AbortController();
    const events: string[] = [];
    let walAtFirstSkip = -1;
    const outcome = await runDriver(job, ports, {
      signal: stop.signal,
      onBatch: ({ commit }) => events.push(`batch ${commit.batchId}: ${commit.metrics.records}`),
      onIdle: async (idle) => {
        events.push(`idle at ${idle.committedBatchId}`);
        if (walAtFirstSkip < 0) walAtFirstSkip = (await ports.wal.listBatches(job.name)).length;
        if (events.filter((e) => e.startsWith('idle')).length === 3) add('p1', [{ k: 'a' }]);
        if (events.length === 6) stop.abort();
      },
    });
    expect(events).toEqual(['batch 1: 2', 'idle at 1', 'idle at 1', 'idle at 1', 'batch 2: 1', 'idle at 2']);
    expect(outcome).toMatchObject({ stoppedBy: 'stopped', batches: 2, skipped: 4 });
    const wal = await ports.wal.listBatches(job.name);
    expect(wal.map((b) => [b.plan.batchId, b.status])).toEqual([
      [1, 'COMMITTED'],
      [2, 'COMMITTED'],
    ]);
    expect(walAtFirstSkip).toBe(1);
    const rows = await ports.sink(job.sink).scan();
    expect(Object.fromEntries(rows.map((r) => [r.key, r.value.value]))).toEqual({ a: 2, b: 1 });
  });

  it('runs the no-data batch the watermark calls for, then skips', async () => {
    const { ports, job, add } = setup({ watermark: true });
    add('p0', [
      { k: 'a', ts: 100 },
      { k: 'a', ts: 2_500 },
    ]);
    const stop = new AbortController();
    const events: string[] = [];
    await runDriver(job, ports, {
      signal: stop.signal,
      onBatch: ({ commit }) => events.push(`batch ${commit.batchId}: ${commit.metrics.records}`),
      onIdle: () => {
        events.push('idle');
        stop.abort();
      },
    });
    // Batch 1 reads both records and advances the watermark to 2,500: window [0, 1000) closes in batch 2.
    expect(events).toEqual(['batch 1: 2', 'batch 2: 0', 'idle']);
    const rows = await ports.sink(job.sink).scan();
    expect(rows.map((r) => r.value.value)).toEqual([1]);
  });

  it('with forceEmptyBatches plans every trigger, as before', async () => {
    const { ports, job, add } = setup();
    add('p0', [{ k: 'a' }]);
    const outcome = await runDriver(job, ports, { maxBatches: 3, forceEmptyBatches: true });
    expect(outcome).toMatchObject({ stoppedBy: 'max-batches', batches: 3, skipped: 0 });
    expect((await ports.wal.listBatches(job.name)).map((b) => b.status)).toEqual(['COMMITTED', 'COMMITTED', 'COMMITTED']);
  });

  it('a stop request while idle returns without planning', async () => {
    const { ports, job, add } = setup();
    add('p0', [{ k: 'a' }]);
    const stop = new AbortController();
    const outcome = await runDriver(job, ports, { signal: stop.signal, onIdle: () => stop.abort() });
    expect(outcome).toMatchObject({ stoppedBy: 'stopped', batches: 1, skipped: 1 });
    expect(await ports.wal.listBatches(job.name)).toHaveLength(1);
  });
});
