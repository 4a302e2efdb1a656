/**
 * The README's Jobs section shows each operator in a few lines: each line here is one of
 * them, as a whole job, so the README's code type-checks, is accepted by defineJob and
 * compiles to the operator it names.
 */
import { describe, expect, it } from 'vitest';
import {
  count,
  defineJob,
  dynamoDbTable,
  max,
  memorySink,
  memorySource,
  session,
  sliding,
  sum,
  tumbling,
  valueState,
  type JobDefinition,
  type Stream,
} from '../../../engine/job/index.js';

interface Event {
  readonly id: string;
  readonly page: string;
  readonly user: string;
  readonly device: string;
  readonly size: number;
  readonly ts: number;
}
interface Order {
  readonly orderId: string;
  readonly customerId: string;
}
interface Bid {
  readonly kind: 'bid';
  readonly auction: number;
  readonly ts: number;
}
interface Auction {
  readonly kind: 'auction';
  readonly id: number;
  readonly seller: string;
  readonly ts: number;
}

const jobOf = <T>(pipeline: (input: Stream<T>) => unknown): JobDefinition =>
  defineJob<T>({
    name: 'readme',
    version: 1,
    source: memorySource({ streamName: 'in' }),
    sink: memorySink({ name: 'out' }),
    pipeline: pipeline as never,
  });

describe("the README's operators", () => {
  it.each<[string, () => JobDefinition]>([
    [
      'window(tumbling 1m)',
      () =>
        jobOf<Event>((events) =>
          events
            .keyBy((e) => e.page)
            .window(tumbling({ sizeMs: 60_000 }))
            .aggregate(count()),
        ),
    ],
    [
      'window(sliding',
      () =>
        jobOf<Event>((events) =>
          events
            .keyBy((e) => e.page)
            .window(sliding({ sizeMs: 600_000, slideMs: 300_000 }))
            .aggregate(count()),
        ),
    ],
    [
      'window(session',
      () =>
        jobOf<Event>((events) =>
          events
            .keyBy((e) => e.user)
            .window(session({ gapMs: 30_000 }))
            .aggregate({ clicks: count(), bytes: sum((e) => e.size) }),
        ),
    ],
    [
      'keyBy > aggregate(views: count, last: max)',
      () => jobOf<Event>((events) => events.keyBy((e) => e.user).aggregate({ views: count(), last: max((e) => e.ts) })),
    ],
    [
      'process(last)',
      () =>
        jobOf<Event>((events) =>
          events
            .keyBy((e) => e.device)
            .process({
              state: { last: valueState<number>() },
              onValue(e, ctx) {
                ctx.state.last.set(e.ts);
                ctx.timers.registerProcessingTimeTimer(ctx.timeMs + 300_000);
              },
              onTimer(_timer, ctx) {
                if (ctx.timeMs - (ctx.state.last.get() ?? 0) >= 300_000) ctx.emit({ device: ctx.key, silent: true });
              },
            }),
        ),
    ],
    [
      'dropDuplicatesWithinWatermark',
      () =>
        jobOf<Event>((events) =>
          events.withWatermark((e) => e.ts, { allowedLatenessMs: 60_000 }).dropDuplicatesWithinWatermark((e) => e.id),
        ),
    ],
    ['dropDuplicates', () => jobOf<Order>((orders) => orders.dropDuplicates((o) => o.orderId, { ttlMs: 15 * 60_000 }))],
    [
      'intervalJoin',
      () =>
        jobOf<Bid | Auction>((events) => {
          const timed = events.withWatermark((e) => e.ts, { allowedLatenessMs: 10_000 });
          const bids = timed.filter((e): e is Bid => e.kind === 'bid');
          const auctions = timed.filter((e): e is Auction => e.kind === 'auction');
          return bids
            .keyBy((b) => b.auction)
            .intervalJoin(
              auctions.keyBy((a) => a.id),
              { lowerMs: -60_000, upperMs: 0 },
              (bid, auction) => ({ ...bid, seller: auction.seller }),
            );
        }),
    ],
    [
      'lookup',
      () =>
        jobOf<Order>((orders) =>
          orders.lookup(dynamoDbTable({ tableName: 'customers', key: 'customerId' }), {
            key: (o) => o.customerId,
            join: 'left',
            select: (o, customer) => ({ ...o, tier: customer?.tier ?? 'none' }),
          }),
        ),
    ],
  ])('%s', (operator, build) => {
    expect(build().pipeline.description).toContain(operator);
  });
});
