/**
 * q9 (winning bids) and q6 (average selling price by seller) on the test harness: exactly
 * the reference (bench/nexmark/reference-winning.ts) on a few thousand generated events,
 * and the rules of Beam's WinningBids and Query6 one at a time on events made by hand.
 */
import { describe, expect, it } from 'vitest';
import { createTestHarness } from '#sluice/testing';
import type { Auction, Bid, NexmarkEvent, Person } from '../../../jobs/nexmark/model.js';
import { q6Job } from '../../../jobs/nexmark/q6.js';
import { q9Job } from '../../../jobs/nexmark/q9.js';
import { beats, earlyBidWaitMs } from '../../../jobs/nexmark/winning-bids.js';
import { generateNexmark } from '../../../bench/nexmark/generator.js';
import { finalWatermark, winningBids } from '../../../bench/nexmark/reference-winning.js';
import { expectReference } from './harness-run.js';

/** The input of queries.test.ts: 3,000 events at 100 events/s, seed 7. */
const RATE = 100;
const events = generateNexmark({ events: 3_000, eventsPerSecond: RATE, seed: 7 });

describe('q9 and q6 on generated events: the sink equals the reference', () => {
  it('the input exercises every rule: bids before their auction win, a seller has more than 10 winners, some auctions close without one, some stay open', () => {
    const winners = winningBids(events);
    const auctions = events.filter((e): e is Auction => e.type === 'auction');
    const closed = auctions.filter((a) => a.expires <= finalWatermark(events));
    expect(winners.some((w) => w.bid.dateTime < w.auction.dateTime)).toBe(true);
    expect(Math.max(...winners.map((w) => winners.filter((x) => x.auction.seller === w.auction.seller).length))).toBeGreaterThan(10);
    expect(winners.length).toBeLessThan(closed.length);
    expect(closed.length).toBeLessThan(auctions.length);
  });

  it('q9', async () => {
    await expectReference('q9', events, RATE);
  });

  it('q6', async () => {
    await expectReference('q6', events, RATE);
  });
});

const auction = (id: number, dateTime: number, expires: number, reserve: number, seller = 1): Auction => ({
  type: 'auction',
  id,
  itemName: `item ${id}`,
  description: '',
  initialBid: 1,
  reserve,
  dateTime,
  expires,
  seller,
  category: 10,
  extra: '',
});
const bid = (on: number, bidder: number, price: number, dateTime: number): Bid => ({
  type: 'bid',
  auction: on,
  bidder,
  price,
  dateTime,
  extra: '',
});
/** An event that only moves the watermark (to its time - 5 s). */
const clock = (dateTime: number): Person => ({
  type: 'person',
  id: 1,
  name: '',
  emailAddress: '',
  creditCard: '',
  city: '',
  state: 'OR',
  dateTime,
  extra: '',
});

function harness(job: ReturnType<typeof q9Job>) {
  const t = createTestHarness(job, { partitions: ['p0'] });
  return {
    t,
    async run(values: NexmarkEvent[]) {
      t.addRecords(values, { partition: 'p0' });
      const batch = await t.runBatch();
      expect(batch.lateRecords).toBe(0);
      return batch;
    },
    async rows() {
      return (await t.sinkRows()).map((r) => ({ key: r.key, value: r.value }));
    },
  };
}

describe("q9: Beam's winning bid of each auction the watermark closed", () => {
  it('the highest bid at or above the reserve placed before expires, the earliest at equal prices, bids before the auction included', async () => {
    const a = auction(1000, 10_000, 20_000, 500);
    const open = auction(1001, 10_500, 60_000, 100);
    const early = bid(1000, 5, 550, 9_000);
    const winner = bid(1000, 9, 600, 11_500);
    const h = harness(q9Job({ eventsPerSecond: RATE }));
    await h.run([
      early,
      a,
      bid(1000, 6, 400, 11_000), // below the reserve
      winner,
      bid(1000, 7, 600, 12_000), // the same price, later
      open,
      bid(1001, 8, 200, 13_000),
    ]);
    await h.run([bid(1000, 4, 900, 20_000), clock(26_000)]); // at expires: not before it
    expect(await h.rows()).toEqual([]); // the watermark (8 s) has not reached 20 s
    await h.run([]);
    expect(await h.rows()).toEqual([{ key: '1000', value: { auction: a, bid: winner } }]);
    // A bid after the close is not late (the watermark is 21 s), cannot win and is not kept:
    // the auction's state is its closed mark, until a clean-up at the whole second after expires + the wait.
    await h.run([bid(1000, 3, 5_000, 21_500)]);
    expect(await h.rows()).toEqual([{ key: '1000', value: { auction: a, bid: winner } }]);
    const cleanup = Math.ceil((20_000 + earlyBidWaitMs(RATE)) / 1000) * 1000;
    const kept = (await h.t.state()).get('[1000]') as { s: unknown; e: number[] };
    expect(kept.s).toEqual({ slot: { v: { auction: null, best: null, early: [], closedAt: 20_000 } } });
    expect(kept.e).toContain(cleanup);
  });

  it('an auction with no bid at or above its reserve writes nothing', async () => {
    const h = harness(q9Job({ eventsPerSecond: RATE }));
    await h.run([auction(1000, 10_000, 20_000, 500), bid(1000, 6, 499, 11_000), clock(30_000)]);
    await h.run([]);
    expect(await h.rows()).toEqual([]);
  });

  it('frees every slot once the waits are over: a closed auction, and bids whose auction never came', async () => {
    const wait = earlyBidWaitMs(RATE);
    const h = harness(q9Job({ eventsPerSecond: RATE }));
    await h.run([auction(1000, 10_000, 20_000, 500), bid(1000, 6, 600, 11_000), bid(1005, 6, 600, 12_000)]);
    await h.run([clock(26_000)]);
    await h.run([]);
    expect((await h.rows()).map((r) => r.key)).toEqual(['1000']);
    expect((await h.t.state()).size).toBe(2);
    await h.run([clock(20_000 + wait + 5_000 + 1_000)]);
    await h.run([]);
    expect(await h.t.state()).toEqual(new Map());
  });

  it("ties: a higher price, then the earlier bid, then the lower bidder id (Beam's PRICE_THEN_DESCENDING_TIME, then a fixed order)", () => {
    const b = { bidder: 5, price: 100, dateTime: 1_000 };
    expect(beats({ ...b, price: 101, dateTime: 2_000 }, b)).toBe(true);
    expect(beats({ ...b, dateTime: 999, bidder: 9 }, b)).toBe(true);
    expect(beats({ ...b, bidder: 4 }, b)).toBe(true);
    expect(beats({ ...b, bidder: 6 }, b)).toBe(false);
    expect(beats(b, b)).toBe(false);
    expect(beats(b, null)).toBe(true);
  });

  it("an early bid waits twice Beam's expected auction duration: 100 auctions' worth of events at the rate", () => {
    // Beam: interEventDelayUs 10,000 (100 events/s) * 50 / 3 * 100 in flight = 16,666,600 us, so 16,667 ms.
    expect(earlyBidWaitMs(100)).toBe(2 * 16_667);
    expect(earlyBidWaitMs(10_000)).toBe(2 * 167);
  });
});

describe("q6: the average of the seller's last 10 winning bids, a row per winning bid", () => {
  it("orders a seller's winners by bid time, not by close, keeps 10, rounds the mean; sellers apart", async () => {
    // Seller 1: auctions 2000..2011 closing one a second from 30 s, each won by one bid of (i + 1) x 100,
    // placed at 2 s + i x 100 ms, except auction 2011's, placed first (1.5 s, before its auction).
    const values: NexmarkEvent[] = [];
    for (let i = 0; i < 12; i += 1) values.push(auction(2000 + i, 1_000 + i * 100, 30_000 + i * 1_000, 1));
    for (let i = 0; i < 11; i += 1) values.push(bid(2000 + i, 7, (i + 1) * 100, 2_000 + i * 100));
    values.push(bid(2011, 7, 1_200, 1_500));
    values.push(auction(3000, 3_500, 31_500, 1, 2), bid(3000, 8, 5_000, 3_600));
    values.push(auction(4000, 3_700, 31_700, 1, 3), auction(4001, 3_800, 31_800, 1, 3));
    values.push(bid(4000, 8, 100, 3_900), bid(4001, 8, 101, 4_000));
    const h = harness(q6Job({ eventsPerSecond: RATE }));
    await h.run(values.sort((x, y) => x.dateTime - y.dateTime));
    await h.run([clock(47_000)]);
    await h.run([]);
    const byAuction = Object.fromEntries((await h.rows()).map((r) => [r.key, r.value]));
    // After auction 2000 + k closes: bids 0..k; from k = 10 the oldest by time leave the window.
    const seller1 = [100, 150, 200, 250, 300, 350, 400, 450, 500, 550, 650, 650];
    expect(byAuction).toEqual({
      ...Object.fromEntries(seller1.map((price, k) => [String(2000 + k), { seller: 1, price, auction: 2000 + k }])),
      3000: { seller: 2, price: 5_000, auction: 3000 },
      4000: { seller: 3, price: 100, auction: 4000 },
      4001: { seller: 3, price: 101, auction: 4001 }, // 100.5 rounds up, as Java's Math.round
    });
  });
});
