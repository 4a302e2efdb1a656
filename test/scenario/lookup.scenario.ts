/**
 * The lookup join's determinism guarantee, end to end: the values a batch looked up are
 * recorded on its first run and reused by its retry (after a crash past the record,
 * before the commit), by an in-place replay and by a replay into a new job, however the
 * table changed since (engine/protocol/lookup-record.ts). Spark's stream-static join and
 * Flink's lookup join read the table again on a re-run.
 */
import { describe, expect, it } from 'vitest';
import { runDriver } from '../../engine/driver/run-driver.js';
import { count, defineJob, dynamoDbSink, dynamoDbTable, kinesisSource } from '../../engine/job/index.js';
import type { JobDefinition } from '../../engine/job/types.js';
import type { EnginePorts } from '../../engine/ports/index.js';
import { replayJob } from '../../engine/replay/replay-job.js';
import { SimulatedCrash, withCrash } from '../support/crash.js';

export interface Order {
  readonly id: string;
  readonly customer: string;
}

/** One isolated world: ports, a stream of two partitions, a customers table, sink tables on demand. */
export interface LookupWorld {
  readonly ports: EnginePorts;
  readonly streamName: string;
  /** The customers table's name (key attribute customerId). */
  readonly tableName: string;
  append(partition: number, orders: readonly Order[]): Promise<void>;
  /** Puts customers c0..c3, all in `tier`. */
  setTiers(tier: string): Promise<void>;
  sinkTable(): Promise<string>;
  /** Keys read from the lookup table so far, where the world can count them. */
  reads?(): number;
}

export type LookupWorldFactory = () => Promise<LookupWorld>;

/** Each order with its customer's tier; or, keyed, the orders per tier (through key groups). */
function ordersJob(world: LookupWorld, shape: 'stateless' | 'keyed', sinkTable: string): JobDefinition {
  const customers = dynamoDbTable({ tableName: world.tableName, key: 'customerId' });
  return defineJob({
    name: 'orders',
    version: 1,
    source: kinesisSource({ streamName: world.streamName }),
    pipeline: (orders) => {
      const enriched = orders.lookup(customers, {
        key: (o: Order) => o.customer,
        join: 'left',
        select: (o, c) => ({ order: o.id, tier: c?.tier ?? 'none' }),
      });
      return shape === 'stateless' ? enriched : enriched.keyBy((o) => String(o.tier)).aggregate(count());
    },
    sink: dynamoDbSink({ tableName: sinkTable }),
    trigger: { type: 'availableNow' },
    maxRecordsPerPartition: 5,
  });
}

/** Ten orders per partition, of customers c0..c3 and one unknown customer (c9): two batches. */
const ordersOf = (p: number): Order[] =>
  Array.from({ length: 10 }, (_, i) => ({ id: `${p}-${i}`, customer: i === 7 ? 'c9' : `c${i % 4}` }));

export function describeLookupScenarios(name: string, makeWorld: LookupWorldFactory): void {
  describe.each(['stateless', 'keyed'] as const)(`lookup join, %s job (${name})`, (shape) => {
    /** What the sink holds when batch 1 joined with tier `first` and batch 2 with `second`. */
    const expected = (first: string, second: string): Record<string, unknown> => {
      const tiers = new Map<string, string>();
      for (const p of [0, 1]) for (let i = 0; i < 10; i += 1) tiers.set(`${p}-${i}`, i === 7 ? 'none' : i < 5 ? first : second);
      if (shape === 'stateless') return Object.fromEntries(tiers);
      const counts: Record<string, number> = {};
      for (const tier of tiers.values()) counts[tier] = (counts[tier] ?? 0) + 1;
      return counts;
    };
    /** The sink as { order: tier } (stateless: row keys are partition:offset:index) or { tier: count }. */
    const observed = async (world: LookupWorld, table: string): Promise<Record<string, unknown>> => {
      const rows = await world.ports.sinks({ type: 'dynamodb', tableName: table }).scan();
      if (shape === 'stateless') return Object.fromEntries(rows.map((r) => [r.value.order, r.value.tier]));
      return Object.fromEntries(rows.map((r) => [r.key, r.value.value]));
    };

    it('a retry after a crash past the record, an in-place replay and a replay into a new job all join as the first run did', async () => {
      const world = await makeWorld();
      const { ports } = world;
      for (const p of [0, 1]) await world.append(p, ordersOf(p));
      await world.setTiers('gold');
      const out = await world.sinkTable();
      const crashing = withCrash(ports, { point: 'after-sink-write', batchId: 1 });
      await expect(runDriver(ordersJob(world, shape, out), crashing, { jobId: 'orders', executorAttempts: 1 })).rejects.toBeInstanceOf(
        SimulatedCrash,
      );
      expect(await ports.wal.getBatch('orders', 1)).toMatchObject({ status: 'PLANNED' });
      const readsAfterCrash = world.reads?.();

      // The table changes before the retry: batch 1 keeps the first run's values, batch 2 (a first run) sees the change.
      await world.setTiers('silver');
      await runDriver(ordersJob(world, shape, out), ports, { jobId: 'orders', executorAttempts: 1 });
      expect(await observed(world, out)).toEqual(expected('gold', 'silver'));
      // (Kinesis may need an empty batch to see it is caught up.)
      const batches = await ports.wal.listBatches('orders');
      expect(batches.map((b) => [b.plan.batchId, b.status]).slice(0, 2)).toEqual([
        [1, 'COMMITTED'],
        [2, 'COMMITTED'],
      ]);
      expect(batches.every((b) => b.status === 'COMMITTED')).toBe(true);
      // Batch 2's partitions read their keys (at most c0..c3 and c9 each); the retry of batch 1 read none.
      if (readsAfterCrash !== undefined) expect(world.reads!() - readsAfterCrash).toBeLessThanOrEqual(2 * 5);

      // A replay in place, after the table changed again: each batch joins as its first run did, reading nothing.
      await world.setTiers('bronze');
      const readsBeforeReplays = world.reads?.();
      await replayJob({ jobId: 'orders', fromBatchId: 0 }, { ports, job: ordersJob(world, shape, out), executorAttempts: 1 });
      expect(await observed(world, out)).toEqual(expected('gold', 'silver'));

      // A replay into a new job reads the source job's records.
      const again = await world.sinkTable();
      await replayJob(
        { jobId: 'orders', fromBatchId: 0, intoJobId: 'orders-again' },
        { ports, job: ordersJob(world, shape, again), executorAttempts: 1 },
      );
      expect(await observed(world, again)).toEqual(expected('gold', 'silver'));
      if (readsBeforeReplays !== undefined) expect(world.reads!()).toBe(readsBeforeReplays);

      // A batch planned after the replay is a first run: it reads the table as it is now.
      await world.append(0, [{ id: 'late', customer: 'c0' }]);
      await runDriver(ordersJob(world, shape, out), ports, { jobId: 'orders', executorAttempts: 1 });
      const after = await observed(world, out);
      if (shape === 'stateless') expect(after.late).toBe('bronze');
      else expect(after.bronze).toBe(1);
    });
  });
}
