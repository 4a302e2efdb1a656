import { describe, expect, it } from 'vitest';
import { createMemoryPorts } from '../../../engine/adapters/memory/index.js';
import { runDriver } from '../../../engine/driver/run-driver.js';
import { count, defineJob, memorySink, memorySource } from '../../../engine/job/index.js';
import type { BatchPlan } from '../../../engine/protocol/batch-records.js';
import { keyGroupScope } from '../../../engine/protocol/key-groups.js';

/** The scopes a kept batch builds on, with their base versions: its partitions', or its key groups'. */
function basesOf(plan: BatchPlan): [string, number][] {
  if (plan.keyGroups === undefined) return plan.partitions.map((p) => [p.partition, p.baseStateVersion]);
  return Object.entries(plan.groups ?? {}).map(([group, state]) => [keyGroupScope(Number(group)), state.version]);
}

describe('retention', () => {
  it.each([
    ['key groups', { keyGroups: 8 }],
    ["state per partition (keyedBy: 'partitionKey')", { keyedBy: 'partitionKey' as const }],
  ])('keeps the last M batches and exactly the state versions they build on: %s', async (_layout, extra) => {
    const ports = createMemoryPorts();
    ports.source.createStream('s', ['p0']);
    const enc = new TextEncoder();
    ports.source.append(
      's',
      'p0',
      Array.from({ length: 60 }, (_, i) => ({ key: `k${i % 5}`, data: enc.encode(JSON.stringify({ k: `k${i % 5}` })) })),
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
      ...extra,
    });
    const outcome = await runDriver(job, ports);
    expect(outcome.batches).toBe(30); // the 30th batch reads the last records and is caught up

    // Retention ran after batch 30 (it runs every 10 batches): the WAL keeps the last 5.
    const kept = await ports.wal.listBatches('r');
    expect(kept.map((b) => b.plan.batchId)).toEqual([26, 27, 28, 29, 30]);
    // Every kept batch can still load its base state: nothing it needs was deleted.
    for (const b of kept) {
      for (const [scope, base] of basesOf(b.plan)) await expect(ports.state.load('r', scope, base)).resolves.toBeInstanceOf(Map);
    }
    // And older versions are gone: only the chain from the snapshot below batch 26's base remains.
    const oldestBases = basesOf(kept[0]!.plan);
    expect(oldestBases.length).toBeGreaterThan(0);
    for (const [scope, base] of oldestBases) {
      const versions = (await ports.state.listVersions('r', scope)).map((v) => v.version);
      expect(Math.min(...versions)).toBeGreaterThan(1);
      expect(Math.min(...versions)).toBeLessThanOrEqual(base);
    }
    const rows = await ports.sink(job.sink).scan();
    expect(rows.map((r) => r.value.value)).toEqual([12, 12, 12, 12, 12]);
  });
});
