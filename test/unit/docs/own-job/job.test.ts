import { createTestHarness } from '#sluice/testing';
import { describe, expect, it } from 'vitest';
import { orderTotals } from './job.js';

const minute = (m: number) => Date.UTC(2026, 0, 1, 12, m);

describe('order-totals', () => {
  it('sums order amounts per customer per minute', async () => {
    const t = createTestHarness(orderTotals);
    t.addRecords([
      { orderId: 'o-1', customerId: 'c-1', amount: 20, ts: minute(0) + 5_000 },
      { orderId: 'o-2', customerId: 'c-1', amount: 15.5, ts: minute(0) + 40_000 },
      { orderId: 'o-3', customerId: 'c-2', amount: 7, ts: minute(0) + 50_000 },
      { orderId: 'o-4', customerId: 'c-1', amount: 12, ts: minute(1) + 10_000 },
    ]);

    const batch = await t.runBatch();

    expect(batch.deadLetters).toEqual([]);
    expect(await t.sinkValues()).toEqual({
      [`c-1#${minute(0)}`]: { key: 'c-1', windowStart: minute(0), windowEnd: minute(1), total: 35.5, orders: 2 },
      [`c-2#${minute(0)}`]: { key: 'c-2', windowStart: minute(0), windowEnd: minute(1), total: 7, orders: 1 },
      [`c-1#${minute(1)}`]: { key: 'c-1', windowStart: minute(1), windowEnd: minute(2), total: 12, orders: 1 },
    });
  });

  it('updates a window when a late order arrives within the allowed lateness', async () => {
    const t = createTestHarness(orderTotals);
    t.addRecords([{ orderId: 'o-1', customerId: 'c-1', amount: 20, ts: minute(0) + 5_000 }]);
    await t.runBatch();
    t.addRecords([{ orderId: 'o-2', customerId: 'c-1', amount: 5, ts: minute(0) + 1_000 }]);

    const batch = await t.runBatch();

    expect(batch.emitted.map((row) => row.value)).toEqual([
      { key: 'c-1', windowStart: minute(0), windowEnd: minute(1), total: 25, orders: 2 },
    ]);
  });

  it('dead-letters an order without a customer', async () => {
    const t = createTestHarness(orderTotals);
    t.addRecords([{ orderId: 'o-9', amount: 3, ts: minute(0) }]);

    const batch = await t.runBatch();

    expect(batch.deadLetters.map((d) => [d.stage, d.reason])).toEqual([
      ['map', 'TypeError: an order needs a customerId, an amount and a ts (epoch ms)'],
    ]);
    expect(await t.sinkRows()).toEqual([]);
  });
});
