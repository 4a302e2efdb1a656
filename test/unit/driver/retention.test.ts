import { describe, expect, it } from 'vitest';
import { createMemoryPorts } from '../../../engine/adapters/memory/index.js';
import { runDriver } from '../../../engine/driver/run-driver.js';
import { count, defineJob, memorySink, memorySource } from '../../../engine/job/index.js';

describe('retention', () => {
  it('keeps the last M batches and exactly the state versions they build on', async () => {
    const ports = createMemoryPorts();
    ports.source.createStream('s', ['p0']);
    const enc = new TextEncoder();
    ports.source.append(
      's',
      'p0',
      Array.from({ length: 60 }, (_, i) => ({ key: 'k', data: enc.encode(JSON.stringify({ k: `k${i % 5}` })) })),
    );
    const job = defineJob({
      name: 'r',
      version: 1,
      source: memorySource({ streamName: 's' }),
      pipeline: (s) => s.keyBy((e) => e.k).aggregate(count()),
      sink: memorySink({ name: 'out' }),
      trigger: { type: 'availableNow' },
      maxRecordsPerPartition: 2,
      checkpoint: { snapshotEvery: 4, retainBatches: 5 },
    });
    const outcome = await runDriver(job, ports);
    expect(outcome.batches).toBe(30); // the 30th batch reads the last records and is caught up

    // Retention ran after batch 30 (it runs every 10 batches): the WAL keeps the last 5.
    const kept = await ports.wal.listBatches('r');
    expect(kept.map((b) => b.plan.batchId)).toEqual([26, 27, 28, 29, 30]);
    // Every kept batch can still load its base state: nothing it needs was deleted.
    for (const b of kept) {
      const base = b.plan.partitions[0]!.baseStateVersion;
      await expect(ports.state.load('r', 'p0', base)).resolves.toBeInstanceOf(Map);
    }
    // And older versions are gone: only the chain from the snapshot below batch 26's base remains.
    const versions = (await ports.state.listVersions('r', 'p0')).map((v) => v.version);
    expect(Math.min(...versions)).toBeGreaterThan(1);
    expect(Math.min(...versions)).toBeLessThanOrEqual(kept[0]!.plan.partitions[0]!.baseStateVersion);
    const rows = await ports.sink(job.sink).scan();
    expect(rows.map((r) => r.value.value)).toEqual([12, 12, 12, 12, 12]);
  });
});
