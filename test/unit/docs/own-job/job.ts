import { count, defineJob, dynamoDbSink, kinesisSource, sum, tumbling } from '#sluice/job';

/** An order, as the pipeline sees it after its check. */
interface Order {
  readonly orderId: string;
  readonly customerId: string;
  readonly amount: number;
  readonly ts: number;
}

export const orderTotals = defineJob({
  name: 'order-totals',
  version: 1,
  source: kinesisSource({ streamName: 'orders', startingPosition: 'EARLIEST' }),
  decode: 'json',
  pipeline: (records) =>
    records
      // A record this throws on is a dead letter (stage 'map'), never a blocked shard.
      .map((o: Partial<Order>): Order => {
        if (typeof o.customerId !== 'string' || typeof o.amount !== 'number' || typeof o.ts !== 'number') {
          throw new TypeError('an order needs a customerId, an amount and a ts (epoch ms)');
        }
        return { orderId: String(o.orderId), customerId: o.customerId, amount: o.amount, ts: o.ts };
      })
      .withWatermark((o) => o.ts, { allowedLatenessMs: 30_000 })
      .keyBy((o) => o.customerId)
      .window(tumbling({ sizeMs: 60_000 }))
      .aggregate({ total: sum((o) => o.amount), orders: count() }),
  sink: dynamoDbSink({ tableName: 'order-totals' }),
  outputMode: 'update',
  trigger: { type: 'interval', intervalMs: 1_000 },
});
