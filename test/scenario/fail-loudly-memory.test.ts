/**
 * Two ways a job used to fail quietly, through the driver state machines on the local
 * runtime (the Lambda handlers in-process) on the memory adapters:
 *   - restarted with a changed state shape and no version bump, it is FAILED at its first
 *     plan, before a record is read or dead-lettered; bumped to version 2 with a migration,
 *     it goes on and records the new shape;
 *   - a batch that dead-letters more than the job's limit leaves it FAILED with the reason,
 *     after the batch committed (its dead letters are in the table, its good rows in the sink).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createMemoryPorts } from '../../engine/adapters/memory/index.js';
import { MemoryJobRegistry } from '../../engine/adapters/memory/memory-job-registry.js';
import { systemClock } from '../../engine/adapters/system-clock.js';
import { count, defineJob, memorySink, memorySource, sum, type JobSpec } from '../../engine/job/index.js';
import type { JobDefinition } from '../../engine/job/types.js';
import { JobState } from '../../engine/ports/job-registry.js';
import { BatchStatus } from '../../engine/protocol/batch-records.js';
import { runDriver } from '../../engine/driver/run-driver.js';
import { JobSpecError } from '../../engine/errors.js';
import { replayJob } from '../../engine/replay/replay-job.js';
import { LocalDriver } from '../../local/driver-runtime.js';

const drivers: LocalDriver[] = [];
afterEach(async () => {
  await Promise.all(drivers.splice(0).map((d) => d.close()));
});

const PARTITIONS = ['p0', 'p1', 'p2'];

function world() {
  const memory = createMemoryPorts();
  const ports = { ...memory, clock: systemClock };
  memory.source.createStream('orders', PARTITIONS);
  const enc = new TextEncoder();
  let appended = 0;
  const append = (orders: readonly unknown[]) => {
    for (const order of orders) {
      memory.source.append('orders', PARTITIONS[appended % PARTITIONS.length]!, [
        { key: String(appended), data: enc.encode(JSON.stringify(order)) },
      ]);
      appended += 1;
    }
  };
  const registry = new MemoryJobRegistry();
  /** A deployment of `job`: a catalog of its own (a warm function resolves a job once per catalog), on the same ports and registry. */
  const deploy = (job: JobDefinition): LocalDriver => {
    const driver = new LocalDriver({
      ports,
      registry,
      catalog: { totals: { description: 'order totals per customer', create: () => job } },
      retryDelayMs: 1,
    });
    drivers.push(driver);
    return driver;
  };
  return { memory, append, deploy };
}

function totals(version: number, aggregate: 'count' | 'named', extra: Partial<JobSpec> = {}): JobDefinition {
  return defineJob<{ customer: string; amount: number }>({
    name: 'totals',
    version,
    source: memorySource({ streamName: 'orders' }),
    pipeline: (s) =>
      s.keyBy((o) => o.customer).aggregate(aggregate === 'count' ? count() : { orders: count(), amount: sum((o) => o.amount) }),
    sink: memorySink({ name: 'order-totals' }),
    trigger: { type: 'availableNow' },
    ...extra,
  });
}

const orders = (n: number) => Array.from({ length: n }, (_, i) => ({ customer: `c${i % 5}`, amount: 10 }));

describe('failing loudly through the driver state machines (memory adapters)', { timeout: 60_000 }, () => {
  it('a job restarted with another state shape and the same version is FAILED at its first plan, before any dead letter', async () => {
    const { memory, append, deploy } = world();
    const first = totals(1, 'count');
    let driver = deploy(first);
    append(orders(30));
    await driver.launch({ jobId: 'totals', jobName: 'totals' });
    expect(await driver.waitForJob('totals', 30_000)).toMatchObject({ state: JobState.STOPPED, reason: 'caught-up' });
    const before = await memory.wal.getLatestBatch('totals');
    expect(before?.plan.stateShape).toBe(first.stateShape);

    // The same version with a named aggregate: its code would misread every count in state.
    driver = deploy(totals(1, 'named'));
    append(orders(300));
    await driver.launch({ jobId: 'totals', jobName: 'totals' });
    const failed = await driver.waitForJob('totals', 30_000);
    expect(failed.state, JSON.stringify(failed)).toBe(JobState.FAILED);
    expect(failed.reason).toMatch(
      /^JobSpecError: job totals: its state shape changed at version 1: its checkpoint \(the state after batch \d+\) was written with state shape [0-9a-f]{16}, and this code, also version 1, has state shape [0-9a-f]{16} \(decode\(json\) > keyBy > aggregate\(orders: count, amount: sum\)\); .*Bump the job's version to 2 and declare migrations/,
    );
    // Nothing was planned, read or dead-lettered.
    expect((await memory.wal.getLatestBatch('totals'))?.plan.batchId).toBe(before?.plan.batchId);
    expect(await memory.deadLetters.list('totals')).toEqual([]);

    // Version 2 with a migration from version 1 goes on, and records its shape.
    const second = totals(2, 'named', {
      migrations: [{ fromVersion: 1, state: (key, value) => ({ key, value: { orders: value, amount: 0 } }) }],
    });
    driver = deploy(second);
    await driver.launch({ jobId: 'totals', jobName: 'totals' });
    expect(await driver.waitForJob('totals', 30_000)).toMatchObject({ state: JobState.STOPPED, reason: 'caught-up' });
    const after = await memory.wal.getLatestBatch('totals');
    expect(after?.plan).toMatchObject({ jobVersion: 2, stateShape: second.stateShape });
    expect(after?.plan.stateShape).not.toBe(before?.plan.stateShape);
    expect(await memory.deadLetters.list('totals')).toEqual([]);
    const rows = await memory.sink({ type: 'memory', name: 'order-totals' }).scan();
    // 330 orders over 5 customers; the amounts of the 300 after the migration only.
    expect(Object.fromEntries(rows.map((r) => [r.key, [r.value.orders, r.value.amount]]))).toEqual(
      Object.fromEntries(['c0', 'c1', 'c2', 'c3', 'c4'].map((c) => [c, [66, 600]])),
    );
  });

  it('a batch that dead-letters more than the limit leaves the job FAILED with the reason, once committed', async () => {
    const { memory, append, deploy } = world();
    const driver = deploy(totals(1, 'named', { maxRecordsPerPartition: 1_000 }));
    // 150 orders, 100 of them without a number to sum: 66.67 % dead-lettered, over the default 50 %.
    append(Array.from({ length: 150 }, (_, i) => (i % 3 === 0 ? { customer: 'c0', amount: 1 } : { customer: 'c1', amount: 'ten' })));
    await driver.launch({ jobId: 'totals', jobName: 'totals' });
    const failed = await driver.waitForJob('totals', 30_000);
    expect(failed.state).toBe(JobState.FAILED);
    expect(failed.reason).toMatch(
      /^DeadLetterLimit: batch 1 dead-lettered 100 of 150 records \(66\.67 %\), over the job's limit of 50 %; the first: p\d@\d+ aggregate: .*finite number.*The batch is committed: its dead letters are in the dead-letter table \(sluice jobs dead-letters totals\), nothing is lost\./,
    );
    expect(failed.lastError).toMatchObject({ error: 'DeadLetterLimit' });
    // Committed: the dead letters are in the table, the good records in the sink, and no batch after it.
    const latest = await memory.wal.getLatestBatch('totals');
    expect(latest).toMatchObject({
      status: BatchStatus.COMMITTED,
      plan: { batchId: 1 },
      commit: { metrics: { records: 150, deadLetters: 100 } },
    });
    expect(await memory.deadLetters.list('totals')).toHaveLength(100);
    const rows = await memory.sink({ type: 'memory', name: 'order-totals' }).scan();
    expect(rows.map((r) => [r.key, r.value.orders, r.value.amount])).toEqual([['c0', 50, 50]]);
  });

  it('a job that turns the guard off runs on', async () => {
    const { memory, append, deploy } = world();
    const driver = deploy(totals(1, 'named', { maxRecordsPerPartition: 1_000, deadLetterLimit: false }));
    append(Array.from({ length: 150 }, (_, i) => (i % 3 === 0 ? { customer: 'c0', amount: 1 } : { customer: 'c1', amount: 'ten' })));
    await driver.launch({ jobId: 'totals', jobName: 'totals' });
    expect(await driver.waitForJob('totals', 30_000)).toMatchObject({ state: JobState.STOPPED, reason: 'caught-up' });
    expect(await memory.deadLetters.list('totals')).toHaveLength(100);
  });

  it('a replay with code of another state shape and the same version is refused before it writes anything', async () => {
    const { memory, append } = world();
    const ports = { ...memory, clock: systemClock };
    const first = totals(1, 'count', { maxRecordsPerPartition: 5 });
    append(orders(30));
    await runDriver(first, ports, { jobId: 'totals' });
    const before = await memory.wal.listBatches('totals');
    expect(before.length).toBeGreaterThanOrEqual(2);

    const refused = replayJob({ jobId: 'totals', fromBatchId: 1 }, { ports, job: totals(1, 'named', { maxRecordsPerPartition: 5 }) });
    await expect(refused).rejects.toBeInstanceOf(JobSpecError);
    await expect(refused).rejects.toThrow(/^job totals: its state shape changed at version 1: its checkpoint \(the state after batch 1\)/);
    expect(await memory.wal.listBatches('totals')).toEqual(before);
    expect(await memory.wal.listReplays('totals')).toEqual([]);
  });
});
