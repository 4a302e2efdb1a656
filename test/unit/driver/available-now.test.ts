/**
 * An available-now job, run once to the end by the in-process driver: the windows its
 * data closed are emitted in append mode by one extra batch that reads nothing (Spark's
 * no-data batch under Trigger.AvailableNow; engine/protocol/no-data-batch.ts).
 */
import { describe, expect, it } from 'vitest';
import { createMemoryPorts } from '../../../engine/adapters/memory/index.js';
import { runDriver, type BatchProgress } from '../../../engine/driver/run-driver.js';
import { count, defineJob, memorySink, memorySource, tumbling } from '../../../engine/job/index.js';
import type { OutputMode } from '../../../engine/job/types.js';

const SECOND = 1_000;
/** Views of pages a and b; the latest event at 35 s with 5 s of lateness puts the watermark at 30 s. */
const EVENTS = [
  { page: 'a', ts: 1 * SECOND },
  { page: 'b', ts: 2 * SECOND },
  { page: 'a', ts: 9 * SECOND },
  { page: 'a', ts: 12 * SECOND },
  { page: 'b', ts: 25 * SECOND },
  { page: 'a', ts: 35 * SECOND },
];

function setup(options: { layout: 'key-groups' | 'partition-key'; outputMode?: OutputMode; withWatermark?: boolean }) {
  const ports = createMemoryPorts();
  ports.source.createStream('views', ['p0', 'p1']);
  const enc = new TextEncoder();
  for (const [i, e] of EVENTS.entries()) {
    // With keyedBy: 'partitionKey' a page's views share a partition; with key groups they need not.
    const partition = options.layout === 'partition-key' ? (e.page === 'a' ? 'p0' : 'p1') : `p${i % 2}`;
    ports.source.append('views', partition, [{ key: e.page, data: enc.encode(JSON.stringify(e)) }]);
  }
  const job = defineJob<{ page: string; ts: number }>({
    name: 'page-views',
    version: 1,
    source: memorySource({ streamName: 'views' }),
    pipeline: (s) => {
      const timed = options.withWatermark === false ? s : s.withWatermark((e) => e.ts, { allowedLatenessMs: 5 * SECOND });
      return timed
        .keyBy((e) => e.page)
        .window(tumbling({ sizeMs: 10 * SECOND }))
        .aggregate(count());
    },
    sink: memorySink({ name: 'out' }),
    outputMode: options.outputMode ?? 'append',
    trigger: { type: 'availableNow' },
    ...(options.layout === 'partition-key' ? { keyedBy: 'partitionKey' as const } : { keyGroups: 4 }),
  });
  return { ports, job };
}

const rowsOf = async (ports: ReturnType<typeof createMemoryPorts>) =>
  Object.fromEntries(
    (await ports.sink({ type: 'memory', name: 'out' }).scan()).map((r) => [r.key, [r.value.windowStart, r.value.value, r.batchId]]),
  );

describe('available now runs the extra no-data batch', () => {
  it.each(['key-groups', 'partition-key'] as const)(
    'a one-shot append job emits the windows its data closed, in one more batch that reads nothing (%s)',
    async (layout) => {
      const { ports, job } = setup({ layout });
      const batches: BatchProgress[] = [];
      const outcome = await runDriver(job, ports, { onBatch: (b) => batches.push(b) });
      expect(outcome).toMatchObject({ stoppedBy: 'caught-up', batches: 2 });
      // Batch 1 read everything with no watermark yet; batch 2 read nothing, at watermark 30 s.
      expect(batches.map((b) => [b.commit.metrics.records, b.plan.watermarkMs, b.commit.noDataBatchDue])).toEqual([
        [6, null, true],
        [0, 30 * SECOND, false],
      ]);
      // Every window that ends by 30 s, written by batch 2; [30 s, 40 s) stays open in state.
      const rows = await rowsOf(ports);
      expect(Object.values(rows).sort()).toEqual(
        [
          [0, 2, 2],
          [0, 1, 2],
          [10 * SECOND, 1, 2],
          [20 * SECOND, 1, 2],
        ].sort(),
      );
      expect(Object.values(rows).some(([start]) => start === 30 * SECOND)).toBe(false);
    },
  );

  it('the next run emits nothing twice: it finds nothing to read or due, plans no batch and stops', async () => {
    const { ports, job } = setup({ layout: 'key-groups' });
    await runDriver(job, ports);
    const before = await rowsOf(ports);
    const walBefore = await ports.wal.listBatches(job.name);
    const again = await runDriver(job, ports);
    expect(again).toMatchObject({ stoppedBy: 'caught-up', batches: 0, skipped: 1 });
    expect(await ports.wal.listBatches(job.name)).toEqual(walBefore);
    expect(await rowsOf(ports)).toEqual(before);
  });

  it('a resumed batch is never the last: the fresh batch after it applies the watermark and the job stops there', async () => {
    const { ports, job } = setup({ layout: 'key-groups' });
    const crashed = runDriver(job, ports, {
      executorAttempts: 1,
      runKeyGroups: async () => {
        throw new Error('the executor died');
      },
    });
    await expect(crashed).rejects.toThrow('the executor died');
    const batches: BatchProgress[] = [];
    const outcome = await runDriver(job, ports, { onBatch: (b) => batches.push(b) });
    expect(outcome).toMatchObject({ stoppedBy: 'caught-up', batches: 2 });
    // Batch 1 resumed: caught up and due, but resumed; batch 2 fresh, read nothing, nothing more due.
    expect(batches.map((b) => [b.plan.batchId, b.plan.resumed, b.commit.noDataBatchDue])).toEqual([
      [1, true, true],
      [2, false, false],
    ]);
    expect(Object.keys(await rowsOf(ports))).toHaveLength(4);
  });

  it('a job without a watermark stops after its caught-up batch, as before', async () => {
    const { ports, job } = setup({ layout: 'key-groups', outputMode: 'update', withWatermark: false });
    expect(await runDriver(job, ports)).toMatchObject({ stoppedBy: 'caught-up', batches: 1 });
  });

  it('an update job runs the extra batch too when a window is due, as Spark does, to evict the closed windows from state', async () => {
    const { ports, job } = setup({ layout: 'key-groups', outputMode: 'update' });
    const batches: BatchProgress[] = [];
    expect(await runDriver(job, ports, { onBatch: (b) => batches.push(b) })).toMatchObject({ stoppedBy: 'caught-up', batches: 2 });
    expect(batches[0]!.commit.metrics.stateRows).toBeGreaterThan(batches[1]!.commit.metrics.stateRows);
  });
});
