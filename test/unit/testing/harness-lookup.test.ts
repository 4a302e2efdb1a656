import { describe, expect, it } from 'vitest';
import { count, defineJob, dynamoDbTable, memorySink, memorySource } from '../../../engine/job/index.js';
import { createTestHarness } from '../../../engine/testing/harness.js';

interface Order {
  readonly orderId: string;
  readonly customerId: string;
  readonly amount: number;
}

const customers = dynamoDbTable({ tableName: 'customers', key: 'customerId' });

describe('the test harness with a lookup join', () => {
  it('joins orders with the customers the test put, and a batch after a change sees the change', async () => {
    const job = defineJob({
      name: 'orders-by-tier',
      version: 1,
      source: memorySource({ streamName: 'orders' }),
      pipeline: (orders) =>
        orders
          .lookup(customers, {
            key: (order: Order) => order.customerId,
            join: 'left',
            select: (order, customer) => ({ ...order, tier: customer?.tier ?? 'none' }),
          })
          .keyBy((order) => order.tier)
          .aggregate(count()),
      sink: memorySink({ name: 'by-tier' }),
    });
    const t = createTestHarness(job);
    t.ports.lookups.put('customers', [
      { customerId: 'c1', tier: 'gold' },
      { customerId: 'c2', tier: 'silver' },
    ]);
    t.addRecords([
      { orderId: 'o1', customerId: 'c1', amount: 10 },
      { orderId: 'o2', customerId: 'c2', amount: 20 },
      { orderId: 'o3', customerId: 'c9', amount: 30 },
    ]);
    await t.runBatch();
    expect(await t.sinkValues()).toMatchObject({ gold: { value: 1 }, silver: { value: 1 }, none: { value: 1 } });

    t.ports.lookups.put('customers', [{ customerId: 'c2', tier: 'gold' }]);
    t.addRecords([{ orderId: 'o4', customerId: 'c2', amount: 5 }]);
    await t.runBatch();
    expect(await t.sinkValues()).toMatchObject({ gold: { value: 2 }, silver: { value: 1 }, none: { value: 1 } });
  });

  it('an inner join drops orders without a customer, and a bad key is a dead letter at stage lookup', async () => {
    const job = defineJob({
      name: 'enriched-orders',
      version: 1,
      source: memorySource({ streamName: 'orders' }),
      pipeline: (orders) =>
        orders.lookup(customers, {
          key: (order: Order) => order.customerId,
          join: 'inner',
          select: (order, customer) => ({ order: order.orderId, tier: customer.tier ?? null }),
        }),
      sink: memorySink({ name: 'enriched' }),
    });
    const t = createTestHarness(job);
    t.ports.lookups.put('customers', [{ customerId: 'c1', tier: 'gold' }]);
    t.addRecords([{ orderId: 'o1', customerId: 'c1' }, { orderId: 'o2', customerId: 'c9' }, { orderId: 'o3' }]);
    const batch = await t.runBatch();
    expect(batch.emitted.map((r) => r.value)).toEqual([{ order: 'o1', tier: 'gold' }]);
    expect(batch.deadLetters.map((d) => [d.offset, d.stage, d.reason])).toEqual([
      [expect.any(String), 'lookup', 'the lookup key must be a string or a finite number, got undefined'],
    ]);
  });
});
