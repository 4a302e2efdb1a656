/**
 * The lookup join's determinism guarantee, end to end on the memory adapters: the values
 * a batch looked up are recorded on its first run and reused by its retry (after a crash
 * past the record, before the commit), by an in-place replay and by a replay into a new
 * job, however the table changed since (engine/protocol/lookup-record.ts).
 * Spark's stream-static join and Flink's lookup join read the table again on a re-run.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryPorts, type MemoryPorts } from '../../engine/adapters/memory/index.js';
import { runDriver } from '../../engine/driver/run-driver.js';
import { count, defineJob, dynamoDbSink, dynamoDbTable, kinesisSource } from '../../engine/job/index.js';
import type { JobDefinition } from '../../engine/job/types.js';
import { replayJob } from '../../engine/replay/replay-job.js';
import { SimulatedCrash, withCrash } from '../support/crash.js';

interface Order {
  readonly id: string;
  readonly customer: string;
}

const PARTITIONS = ['shard-0', 'shard-1'];
const customers = dynamoDbTable({ tableName: 'customers', key: 'customerId' });

/** Each order with its customer's tier; or, keyed, the orders per tier (through key groups). */
function ordersJob(shape: 'stateless' | 'keyed', sinkTable: string): JobDefinition {
  return defineJob({
    name: 'orders',
    version: 1,
    source: kinesisSource({ streamName: 'orders' }),
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

/** Ten orders per partition, of customers c0..c3 and one unknown customer (c9). */
function world(): MemoryPorts {
  const ports = createMemoryPorts();
  ports.source.createStream('orders', PARTITIONS);
  const encoder = new TextEncoder();
  PARTITIONS.forEach((partition, p) => {
    const orders = Array.from({ length: 10 }, (_, i) => ({ id: `${p}-${i}`, customer: i === 7 ? 'c9' : `c${i % 4}` }));
    ports.source.append(
      'orders',
      partition,
      orders.map((o) => ({ key: o.id, data: encoder.encode(JSON.stringify(o)) })),
    );
  });
  return ports;
}

/** Every customer in tier `tier`: a change of the table changes every answer. */
function setTable(ports: MemoryPorts, tier: string): void {
  ports.lookups.put(
    'customers',
    ['c0', 'c1', 'c2', 'c3'].map((customerId) => ({ customerId, tier })),
  );
}

async function sinkValues(ports: MemoryPorts, table: string): Promise<Record<string, unknown>> {
  const rows = await ports.sink({ type: 'dynamodb', tableName: table }).scan();
  return Object.fromEntries(rows.map((r) => [r.key, r.value]));
}

describe.each(['stateless', 'keyed'] as const)('lookup join, %s job (memory adapters)', (shape) => {
  /** What the sink holds when batch 1 joined with tier `first` and batch 2 with `second`. */
  const expected = (first: string, second: string): Record<string, unknown> => {
    const tiers = new Map<string, string>();
    for (const [p] of PARTITIONS.entries()) {
      for (let i = 0; i < 10; i += 1) tiers.set(`${p}-${i}`, i === 7 ? 'none' : i < 5 ? first : second);
    }
    if (shape === 'stateless') {
      // Row keys are partition:offset:index; compare by order id instead (see byOrder).
      return Object.fromEntries([...tiers].map(([order, tier]) => [order, tier]));
    }
    const counts: Record<string, unknown> = {};
    for (const tier of tiers.values()) counts[tier] = ((counts[tier] as number | undefined) ?? 0) + 1;
    return counts;
  };
  const observed = async (ports: MemoryPorts, table: string): Promise<Record<string, unknown>> => {
    const values = await sinkValues(ports, table);
    if (shape === 'stateless') {
      return Object.fromEntries(Object.values(values).map((v) => [(v as Order & { order: string }).order, (v as { tier: string }).tier]));
    }
    return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, (v as { value: number }).value]));
  };

  it('a retry after a crash between the record and the commit joins with the first run values, not the changed table', async () => {
    const ports = world();
    setTable(ports, 'gold');
    const crashing = withCrash(ports, { point: 'after-sink-write', batchId: 1 });
    await expect(runDriver(ordersJob(shape, 'out'), crashing, { jobId: 'orders', executorAttempts: 1 })).rejects.toBeInstanceOf(
      SimulatedCrash,
    );
    expect(await ports.wal.getBatch('orders', 1)).toMatchObject({ status: 'PLANNED' });
    const readsBefore = ports.lookups.reads;

    setTable(ports, 'silver');
    await runDriver(ordersJob(shape, 'out'), ports, { jobId: 'orders', executorAttempts: 1 });
    expect(await observed(ports, 'out')).toEqual(expected('gold', 'silver'));
    // The retry of batch 1 read nothing: only batch 2's partitions read their keys (4 customers and c9 at most each).
    expect(ports.lookups.reads - readsBefore).toBeLessThanOrEqual(2 * 5);
    expect((await ports.wal.listBatches('orders')).map((b) => b.status)).toEqual(['COMMITTED', 'COMMITTED']);

    // A replay in place, after the table changed again: each batch joins as its first run did.
    setTable(ports, 'bronze');
    const readsBeforeReplay = ports.lookups.reads;
    await replayJob({ jobId: 'orders', fromBatchId: 0 }, { ports, job: ordersJob(shape, 'out'), executorAttempts: 1 });
    expect(await observed(ports, 'out')).toEqual(expected('gold', 'silver'));
    expect(ports.lookups.reads).toBe(readsBeforeReplay);

    // A replay into a new job reads the source job's records.
    await replayJob(
      { jobId: 'orders', fromBatchId: 0, intoJobId: 'orders-again' },
      { ports, job: ordersJob(shape, 'out-again'), executorAttempts: 1 },
    );
    expect(await observed(ports, 'out-again')).toEqual(expected('gold', 'silver'));
    expect(ports.lookups.reads).toBe(readsBeforeReplay);

    // A batch planned after the replay is a first run: it reads the table as it is now.
    const encoder = new TextEncoder();
    ports.source.append('orders', 'shard-0', [{ key: 'late', data: encoder.encode(JSON.stringify({ id: 'late', customer: 'c0' })) }]);
    await runDriver(ordersJob(shape, 'out'), ports, { jobId: 'orders', executorAttempts: 1 });
    const after = await observed(ports, 'out');
    if (shape === 'stateless') expect(after.late).toBe('bronze');
    else expect(after.bronze).toBe(1);
  });
});
