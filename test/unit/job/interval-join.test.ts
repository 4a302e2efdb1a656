/**
 * The interval join (engine/job/interval-join.ts) from a user's point of view: bids joined
 * with the auctions they bid on, both from one source carrying several event types (as
 * NEXMark's does), run through the test harness on both paths: key groups and the
 * exchange, and one stage per partition (keyedBy: 'partitionKey', records keyed by auction).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defineJob, memorySink, memorySource } from '../../../engine/job/index.js';
import type { JsonObject } from '../../../engine/json.js';
import { createTestHarness, type HarnessBatch, type TestHarness } from '../../../engine/testing/harness.js';

interface Bid {
  readonly type: 'bid';
  readonly id: string;
  readonly auction: string;
  readonly t: number;
}
interface Auction {
  readonly type: 'auction';
  readonly id: string;
  readonly name: string;
  readonly t: number;
  readonly bad?: boolean;
}
type Event = Bid | Auction;

const isBid = (e: Event): e is Bid => e.type === 'bid';
const isAuction = (e: Event): e is Auction => e.type === 'auction';
const bid = (id: string, auction: string, t: number): Bid => ({ type: 'bid', id, auction, t });
const auction = (name: string, id: string, t: number, bad?: boolean): Auction => ({
  type: 'auction',
  id,
  name,
  t,
  ...(bad ? { bad } : {}),
});

type Path = 'partitionKey' | undefined;

function bidsWithAuctions(args: { lowerMs: number; upperMs: number; allowedLatenessMs?: number; keyedBy: Path }) {
  return defineJob<Event>({
    name: 'bids-with-auctions',
    version: 1,
    source: memorySource({ streamName: 'nexmark' }),
    sink: memorySink({ name: 'bids-with-auctions' }),
    pipeline: (events) => {
      const timed = events.withWatermark((e) => e.t, { allowedLatenessMs: args.allowedLatenessMs ?? 0 });
      const bids = timed.filter(isBid);
      const auctions = timed.filter(isAuction);
      return bids
        .keyBy((b) => b.auction)
        .intervalJoin(
          auctions.keyBy((a) => a.id),
          args,
          (b, a) => {
            if (a.bad === true) throw new Error(`auction ${a.name} cannot be joined`);
            return { bid: b.id, auction: a.name, bidAt: b.t, auctionAt: a.t };
          },
        );
    },
    ...(args.keyedBy === undefined ? { keyGroups: 4 } : { keyedBy: args.keyedBy }),
  });
}

/** Appends events in order, each under its auction as the partition key. */
function add(t: TestHarness, events: readonly Event[], partition = 'p0'): void {
  for (const e of events) t.addRecords([e], { partition, key: isBid(e) ? e.auction : e.id });
}

const pairsOf = (rows: readonly { value: JsonObject }[]) => rows.map((r) => `${r.value.bid}+${r.value.auction}`).sort();
const pairs = (batch: HarnessBatch) => pairsOf(batch.emitted);
const stateKeys = async (t: TestHarness) => [...(await t.state()).keys()].map((k) => k.replace(/^p\d\//, '')).sort();

describe.each([
  ['key groups and the exchange', undefined],
  ['one stage per partition', 'partitionKey' as const],
])('intervalJoin on %s', (_path, keyedBy) => {
  it("Flink's docs' example: orange and green joined between(-2 ms, +1 ms), bounds inclusive, each pair once across batches", async () => {
    const t = createTestHarness(bidsWithAuctions({ lowerMs: -2, upperMs: 1, allowedLatenessMs: 100, keyedBy }));
    // Orange (left) at 0, 2, 3, 4, 5, 7; green (right) at 0, 1, 6, 7; one key.
    add(t, [bid('o0', 'k', 0), auction('g0', 'k', 0), bid('o2', 'k', 2), auction('g1', 'k', 1), bid('o3', 'k', 3)]);
    const first = await t.runBatch();
    add(t, [bid('o4', 'k', 4), auction('g6', 'k', 6), bid('o5', 'k', 5), bid('o7', 'k', 7), auction('g7', 'k', 7)]);
    const second = await t.runBatch();
    // orange.ts - 2 <= green.ts <= orange.ts + 1
    expect(pairs(first)).toEqual(['o0+g0', 'o0+g1', 'o2+g0', 'o2+g1', 'o3+g1']);
    expect(pairs(second)).toEqual(['o5+g6', 'o7+g6', 'o7+g7']);
    expect((await t.sinkRows()).length).toBe(8);
  });

  it('includes both bounds and nothing beyond them, whichever side arrives first', async () => {
    const t = createTestHarness(bidsWithAuctions({ lowerMs: -500, upperMs: 500, allowedLatenessMs: 10_000, keyedBy }));
    add(t, [
      auction('a499', 'k', 499),
      auction('a500', 'k', 500),
      bid('b1000', 'k', 1000),
      auction('a1500', 'k', 1500),
      auction('a1501', 'k', 1501),
    ]);
    expect(pairs(await t.runBatch())).toEqual(['b1000+a1500', 'b1000+a500']);
  });

  it('joins with negative bounds (the auction before the bid), and frees the bid once the watermark passes l.t + upperMs', async () => {
    const t = createTestHarness(bidsWithAuctions({ lowerMs: -10_000, upperMs: -5_000, keyedBy }));
    add(t, [auction('a9999', 'k', 9_999), auction('a10000', 'k', 10_000), auction('a15000', 'k', 15_000), auction('a15001', 'k', 15_001)]);
    add(t, [bid('b', 'k', 20_000)]);
    const batch = await t.runBatch();
    expect(pairs(batch)).toEqual(['b+a10000', 'b+a15000']);
    // The next batch's watermark is 20 s: the bid was last useful at 15 s (l.t + upperMs) and is freed; an
    // auction is last useful at r.t + 10 s (r.t - lowerMs): a9999 (19 999) is freed, the other three kept.
    const next = await t.runBatch();
    expect(next.watermarkMs).toBe(20_000);
    const held = (await t.state()).values().next().value as { l: unknown[]; r: unknown[] };
    expect([held.l.length, held.r.length]).toEqual([0, 3]);
  });

  it('emits a pair once when both values arrive in the same batch, in either order', async () => {
    const t = createTestHarness(bidsWithAuctions({ lowerMs: -1_000, upperMs: 1_000, keyedBy }));
    add(t, [auction('first', 'x', 100), bid('then', 'x', 200), bid('early', 'y', 100), auction('late', 'y', 300)]);
    expect(pairs(await t.runBatch())).toEqual(['early+late', 'then+first']);
    expect(pairs(await t.runBatch())).toEqual([]);
    expect((await t.sinkRows()).length).toBe(2);
  });

  it('joins values that arrive batches apart, and keys each row by the two values’ ids', async () => {
    const t = createTestHarness(bidsWithAuctions({ lowerMs: -5_000, upperMs: 10_000, allowedLatenessMs: 60_000, keyedBy }));
    add(t, [auction('gadget', 'a1', 1_000)]);
    await t.runBatch();
    await t.runBatch();
    add(t, [bid('b1', 'a1', 5_000)]);
    const third = await t.runBatch();
    expect(pairs(third)).toEqual(['b1+gadget']);
    expect(third.emitted[0]!.key).toMatch(/^p0:\d+:0\|p0:\d+:0$/);
    const [left, right] = third.emitted[0]!.key.split('|');
    expect(BigInt(left!.split(':')[1]!) > BigInt(right!.split(':')[1]!)).toBe(true); // the bid came after the auction
    expect(third.emitted[0]!.value).toEqual({ bid: 'b1', auction: 'gadget', bidAt: 5_000, auctionAt: 1_000 });
  });

  it('keeps a value while the watermark is at its bound (a value at the watermark is not late), frees it once the watermark passes it, without input', async () => {
    const t = createTestHarness(bidsWithAuctions({ lowerMs: 0, upperMs: 500, keyedBy }));
    add(t, [bid('b', 'k', 1_000), bid('other', 'z', 1_500)]);
    await t.runBatch();
    // Watermark 1 500 = the bid's t + upperMs: the bid is still buffered, and an auction at 1 500 is not late.
    add(t, [auction('edge', 'k', 1_500), bid('other2', 'z', 1_501)]);
    const edge = await t.runBatch();
    expect([edge.watermarkMs, edge.lateRecords, pairs(edge)]).toEqual([1_500, 0, ['b+edge']]);
    expect(await stateKeys(t)).toEqual(['["k"]', '["z"]']);
    // No records: the watermark (1 501) passes both bounds of key k (1 500); its group runs and frees them.
    const idle = await t.runBatch();
    expect([idle.records, idle.watermarkMs]).toEqual([0, 1_501]);
    expect(await stateKeys(t)).toEqual(['["z"]']);
  });

  it('drops values late by the watermark before the join, and counts them (Flink: timestamp < watermark)', async () => {
    const t = createTestHarness(bidsWithAuctions({ lowerMs: -5_000, upperMs: 10_000, keyedBy }));
    add(t, [bid('b', 'k', 5_000)]);
    await t.runBatch();
    add(t, [auction('too-late', 'k', 4_999), auction('on-time', 'k', 5_000)]);
    const batch = await t.runBatch();
    expect([batch.watermarkMs, batch.lateRecords, pairs(batch)]).toEqual([5_000, 1, ['b+on-time']]);
  });

  it('fails the arriving value when the join function throws: a dead letter at join, no pair, not buffered', async () => {
    const t = createTestHarness(bidsWithAuctions({ lowerMs: -1_000, upperMs: 1_000, allowedLatenessMs: 10_000, keyedBy }));
    add(t, [bid('b1', 'k', 1_000), auction('broken', 'k', 1_100, true), auction('fine', 'k', 1_150)]);
    const first = await t.runBatch();
    expect(pairs(first)).toEqual(['b1+fine']);
    expect(first.deadLetters.map((d) => [d.stage, d.reason])).toEqual([['join', 'Error: auction broken cannot be joined']]);
    add(t, [bid('b2', 'k', 1_200)]);
    expect(pairs(await t.runBatch())).toEqual(['b2+fine']);
    const held = [...(await t.state()).values()][0] as { r: unknown[][] };
    expect(held.r.map((entry) => (entry[4] as JsonObject).name)).toEqual(['fine']);
  });
});

describe('intervalJoin: what defineJob refuses', () => {
  const base = { name: 'refused', version: 1, source: memorySource({ streamName: 'nexmark' }), sink: memorySink({ name: 'r' }) };
  const fn = (b: Bid, a: Auction) => ({ b: b.id, a: a.id });

  it('a join without withWatermark', () => {
    expect(() =>
      defineJob<Event>({
        ...base,
        pipeline: (events) =>
          events
            .filter(isBid)
            .keyBy((b) => b.auction)
            .intervalJoin(
              events.filter(isAuction).keyBy((a) => a.id),
              { lowerMs: 0, upperMs: 1 },
              fn,
            ),
      }),
    ).toThrow(/intervalJoin\(\) needs an event-time watermark/);
  });

  it('lowerMs > upperMs, or a bound that is not a finite number', () => {
    const join = (bounds: { lowerMs: number; upperMs: number }) => () =>
      defineJob<Event>({
        ...base,
        pipeline: (events) => {
          const timed = events.withWatermark((e) => e.t, { allowedLatenessMs: 0 });
          return timed
            .filter(isBid)
            .keyBy((b) => b.auction)
            .intervalJoin(
              timed.filter(isAuction).keyBy((a) => a.id),
              bounds,
              fn,
            );
        },
      });
    expect(join({ lowerMs: 10, upperMs: -10 })).toThrow(/needs lowerMs <= upperMs, got 10 > -10/);
    expect(join({ lowerMs: Number.NaN, upperMs: 0 })).toThrow(/intervalJoin\(\)\.lowerMs must be a finite number/);
    expect(join({ lowerMs: -5_000, upperMs: 10_000 })().pipeline.description).toBe(
      'decode(json) > withWatermark(0ms) > filter > keyBy > intervalJoin(-5s, +10s)',
    );
  });

  it('two inputs that declare their own watermarks: one withWatermark before the streams divide', () => {
    expect(() =>
      defineJob<Event>({
        ...base,
        pipeline: (events) =>
          events
            .filter(isBid)
            .withWatermark((b) => b.t, { allowedLatenessMs: 0 })
            .keyBy((b) => b.auction)
            .intervalJoin(
              events
                .filter(isAuction)
                .withWatermark((a) => a.t, { allowedLatenessMs: 0 })
                .keyBy((a) => a.id),
              { lowerMs: 0, upperMs: 1 },
              fn,
            ),
      }),
    ).toThrow(/share one event-time declaration/);
  });
});

describe('intervalJoin: the example of docs/operators/dedup-and-joins.md', () => {
  it('joins a bid on p1 with its auction on p0 in one batch, and keeps one state entry for the auction', async () => {
    const auctionBids = defineJob({
      name: 'auction-bids',
      version: 1,
      source: memorySource({ streamName: 'nexmark' }),
      sink: memorySink({ name: 'auction-bids' }),
      keyGroups: 4,
      pipeline: (events) => {
        const timed = events.withWatermark((e: { ts: number }) => e.ts, { allowedLatenessMs: 10_000 });
        const bids = timed.filter((e: { type: string }) => e.type === 'bid');
        const auctions = timed.filter((e: { type: string }) => e.type === 'auction');
        return bids
          .keyBy((b: { auction: string }) => b.auction)
          .intervalJoin(
            auctions.keyBy((a: { id: string }) => a.id),
            { lowerMs: -5_000, upperMs: 10_000 },
            (bid: JsonObject, a: JsonObject) => ({
              auction: a.id,
              seller: a.seller,
              price: bid.price,
            }),
          );
      },
    });
    const t = createTestHarness(auctionBids, { partitions: ['p0', 'p1'] });
    t.addRecords([{ type: 'auction', id: 'a1', seller: 's1', ts: 1_000 }], { partition: 'p0', key: 'a1' });
    t.addRecords([{ type: 'bid', auction: 'a1', price: 5, ts: 3_000 }], { partition: 'p1', key: 'a1' });
    const batch = await t.runBatch();
    expect(batch.emitted.map((r) => r.value)).toEqual([{ auction: 'a1', seller: 's1', price: 5 }]);
    expect(batch.stateRows).toBe(1);
  });
});

describe('intervalJoin: property', () => {
  it('writes exactly the pairs of the values that were not late, each once: the watermark never frees a value that could still join', async () => {
    const value = fc.record({
      side: fc.constantFrom('bid', 'auction'),
      k: fc.constantFrom('a', 'b'),
      partition: fc.constantFrom('p0', 'p1'),
      dt: fc.integer({ min: -2, max: 3 }),
    });
    const settings = fc.record({
      lower: fc.integer({ min: -5, max: 5 }),
      width: fc.integer({ min: 0, max: 8 }),
      lateness: fc.integer({ min: 0, max: 3 }),
    });
    await fc.assert(
      fc.asyncProperty(settings, fc.array(fc.array(value, { maxLength: 6 }), { minLength: 1, maxLength: 8 }), async (cfg, batches) => {
        const [lowerMs, upperMs] = [cfg.lower * 1_000, (cfg.lower + cfg.width) * 1_000];
        const t = createTestHarness(bidsWithAuctions({ lowerMs, upperMs, allowedLatenessMs: cfg.lateness * 1_000, keyedBy: undefined }), {
          partitions: ['p0', 'p1'],
        });
        const accepted: Event[] = [];
        const written: string[] = [];
        let clock = 50;
        let n = 0;
        for (const values of batches) {
          const added = values.map((v) => {
            clock += v.dt;
            const id = `${v.side}${n++}`;
            return { partition: v.partition, event: v.side === 'bid' ? bid(id, v.k, clock * 1_000) : auction(id, v.k, clock * 1_000) };
          });
          for (const { partition, event } of added) add(t, [event], partition);
          const batch = await t.runBatch();
          for (const { event } of added) if (batch.watermarkMs === null || event.t >= batch.watermarkMs) accepted.push(event);
          written.push(...pairs(batch));
        }
        const expected: string[] = [];
        for (const l of accepted.filter(isBid)) {
          for (const r of accepted.filter(isAuction))
            if (l.auction === r.id && l.t + lowerMs <= r.t && r.t <= l.t + upperMs) expected.push(`${l.id}+${r.name}`);
        }
        expect(written.sort()).toEqual(expected.sort());
      }),
      { numRuns: 150 },
    );
  });
});
