/**
 * A job whose ranges stop at the read budget (read-range.ts, RANGE_READ_BUDGET; the
 * readRange rules are in read-range.test.ts) reads on, batch after batch: a recorded range
 * (Kinesis) at its bytes, a fixed one (Kafka) at its plan's byte bound.
 */
import { describe, expect, it } from 'vitest';
import { runDriver } from '../../../engine/driver/run-driver.js';
import { runPartition } from '../../../engine/executor/run-partition.js';
import { replayJob } from '../../../engine/replay/replay-job.js';
import { pageViewsInMemory } from '../../support/page-views-memory.js';

describe('the read budget of a range, end to end', () => {
  it('an available-now job reads a partition batch after batch at its budget, every record once, and stops only when caught up', async () => {
    const pages = Array.from({ length: 25 }, (_, i) => `page-${i % 3}`);
    const said: { message: string; fields?: Record<string, unknown> }[] = [];
    const logger = {
      info: (message: string, fields?: Record<string, unknown>) => said.push({ message, fields }),
      warn: () => {},
      error: () => {},
    };
    const { ports, job } = pageViewsInMemory({ pages: { p0: pages, p1: pages }, logger });
    // About ten records of some twenty bytes a batch, against a cap of 10,000.
    const readBudget = { maxBytes: 200, maxReadMs: 1_000 };
    const outcome = await runDriver(job, ports, { runExecutor: (input) => runPartition(input, { ports, job, readBudget }) });
    expect(outcome.stoppedBy).toBe('caught-up');
    expect(outcome.batches).toBeGreaterThanOrEqual(3);
    const rows = await ports.sinks(job.sink).scan();
    expect(Object.fromEntries(rows.map((r) => [r.key, r.value.value]))).toEqual({ 'page-0': 18, 'page-1': 16, 'page-2': 16 });
    // The executor says why its batches are smaller than the cap.
    const stops = said.filter((s) => s.message === 'range stopped at its read budget');
    expect(stops.length).toBeGreaterThanOrEqual(4);
    for (const stop of stops)
      expect(stop.fields).toMatchObject({ jobId: job.name, bytes: expect.any(Number), records: expect.any(Number) });
    expect(stops.every((stop) => (stop.fields!.bytes as number) >= readBudget.maxBytes)).toBe(true);
  });

  it('a replay reads the ranges the budget cut, and its batches are caught up where the first run’s were', async () => {
    const pages = Array.from({ length: 25 }, (_, i) => `page-${i % 3}`);
    const { ports, job } = pageViewsInMemory({ pages: { p0: pages } });
    const readBudget = { maxBytes: 200, maxReadMs: 1_000 };
    await runDriver(job, ports, { runExecutor: (input) => runPartition(input, { ports, job, readBudget }) });
    const caughtUp = async () => {
      const batches = await ports.wal.listBatches(job.name);
      return batches.map((b) => [b.plan.batchId, b.commit?.partitions.p0?.end.count, b.commit?.partitions.p0?.caughtUp]);
    };
    const first = await caughtUp();
    expect(first.filter(([, , up]) => up === false).length).toBeGreaterThanOrEqual(2);
    const outcome = await replayJob({ jobId: job.name, fromBatchId: 0 }, { ports, job });
    expect(outcome.replayed).toBe(first.length);
    expect(await caughtUp()).toEqual(first);
  });

  it('a Kafka job’s fixed ranges end at their plan’s byte bound: every record once, the next batch from the cut, a replay the same', async () => {
    const pages = Array.from({ length: 25 }, (_, i) => `page-${i % 3}`);
    const { ports, job } = pageViewsInMemory({ pages: { '0': pages, '1': pages.slice(0, 7) }, kafka: true });
    const readBudget = { maxBytes: 200, maxReadMs: 1_000 };
    const outcome = await runDriver(job, ports, { readBudget });
    expect(outcome.stoppedBy).toBe('caught-up');
    const rows = await ports.sinks(job.sink).scan();
    expect(Object.fromEntries(rows.map((r) => [r.key, r.value.value]))).toEqual({ 'page-0': 12, 'page-1': 10, 'page-2': 10 });
    const batches = await ports.wal.listBatches(job.name);
    for (const b of batches) for (const p of b.plan.partitions) expect(p.maxBytes).toBe(readBudget.maxBytes);
    // Partition 0's 25 records of about 17 bytes took several batches; each cut says where the next starts.
    const ends = batches.map((b) => [b.plan.partitions.find((p) => p.partition === '0')!, b.commit!.partitions['0']!] as const);
    const cuts = ends.filter(([, done]) => done.end.cutBefore !== undefined);
    expect(cuts.length).toBeGreaterThanOrEqual(2);
    for (const [plan, done] of cuts) {
      expect(done.caughtUp).toBe(false);
      expect(BigInt(done.end.cutBefore!)).toBeLessThan(BigInt(plan.endBefore!));
      expect(done.nextStart).toEqual({ type: 'AT_OFFSET', offset: done.end.cutBefore });
    }
    const first = batches.map((b) => b.commit!.partitions);
    const outcomeOfReplay = await replayJob({ jobId: job.name, fromBatchId: 0 }, { ports, job });
    expect(outcomeOfReplay.replayed).toBe(batches.length);
    expect((await ports.wal.listBatches(job.name)).map((b) => b.commit!.partitions)).toEqual(first);
  });
});
