/**
 * The NEXMark generator (bench/nexmark/generator.ts): java.util.Random bit for bit, Beam's
 * proportions and id arithmetic, event times from the rate, and determinism from the seed.
 */
import { describe, expect, it } from 'vitest';
import { generateNexmark, lastBase0AuctionId, lastBase0PersonId } from '../../../bench/nexmark/generator.js';
import { JavaRandom } from '../../../bench/nexmark/java-random.js';

describe('JavaRandom', () => {
  it('draws what java.util.Random draws for the same seed', () => {
    // Printed by Java 17: r = new Random(42); r.nextInt(); r.nextInt(10); r.nextDouble(); new Random(0).nextInt(100)
    const r = new JavaRandom(42);
    expect([r.nextInt(), r.nextInt(10), r.nextDouble(), new JavaRandom(0).nextInt(100)]).toEqual([-1170105035, 3, 0.6832234717598454, 60]);
    // new Random(123456789): nextInt(16), nextInt(1000) five times (16 takes the power-of-two path), then nextDouble()
    const q = new JavaRandom(123456789);
    const draws = Array.from({ length: 5 }, () => [q.nextInt(16), q.nextInt(1000)]).flat();
    expect([...draws, q.nextDouble()]).toEqual([10, 600, 7, 344, 6, 554, 14, 807, 11, 887, 0.3594828023066827]);
  });
});

describe('generateNexmark', () => {
  const events = generateNexmark({ events: 5_000, eventsPerSecond: 1_000 });

  it('makes 1 person, 3 auctions and 46 bids in every 50 events, with consecutive ids from 1000', () => {
    const kinds = events.map((e) => e.type);
    expect(kinds.slice(0, 5)).toEqual(['person', 'auction', 'auction', 'auction', 'bid']);
    expect(kinds.filter((k) => k === 'person')).toHaveLength(100);
    expect(kinds.filter((k) => k === 'auction')).toHaveLength(300);
    expect(kinds.filter((k) => k === 'bid')).toHaveLength(4_600);
    const personIds = events.flatMap((e) => (e.type === 'person' ? [e.id] : []));
    const auctionIds = events.flatMap((e) => (e.type === 'auction' ? [e.id] : []));
    expect(personIds).toEqual(Array.from({ length: 100 }, (_, i) => 1000 + i));
    expect(auctionIds).toEqual(Array.from({ length: 300 }, (_, i) => 1000 + i));
    expect([lastBase0PersonId(49), lastBase0PersonId(50), lastBase0AuctionId(0), lastBase0AuctionId(4), lastBase0AuctionId(52)]).toEqual([
      0, 1, -1, 2, 4,
    ]);
  });

  it('spaces event times by the rate, never decreasing, and bids only on the hot auction or one in flight', () => {
    expect(events[0]!.dateTime).toBe(Date.UTC(2026, 0, 1));
    expect(events[4_999]!.dateTime - events[0]!.dateTime).toBe(4_999);
    expect(events.every((e, i) => i === 0 || e.dateTime >= events[i - 1]!.dateTime)).toBe(true);
    // A bid is on the hot auction (the first of the last block of 100) or one of the last 100 auctions or the next 10.
    for (const [i, e] of events.entries()) {
      if (e.type !== 'bid') continue;
      const last = lastBase0AuctionId(i);
      const hot = Math.floor(last / 100) * 100 + 1000;
      const inFlight = e.auction >= Math.max(last - 100, 0) + 1000 && e.auction <= last + 10 + 1000;
      expect(e.auction === hot || inFlight).toBe(true);
    }
    for (const e of events) {
      if (e.type === 'auction') expect(e.category).toBeGreaterThanOrEqual(10), expect(e.category).toBeLessThan(15);
      if (e.type === 'auction') expect(e.reserve).toBeGreaterThan(e.initialBid), expect(e.expires).toBeGreaterThan(e.dateTime);
    }
  });

  it('pads events to Beam average sizes and is the same for the same seed, different for another', () => {
    const avg = (type: string) => {
      const of = events.filter((e) => e.type === type);
      return of.reduce((n, e) => n + e.extra.length, 0) / of.length;
    };
    expect(avg('bid')).toBeCloseTo(68, -1); // 100 bytes - 32 of fields
    expect(avg('auction')).toBeGreaterThan(300);
    expect(generateNexmark({ events: 200, eventsPerSecond: 1_000 })).toEqual(events.slice(0, 200));
    expect(generateNexmark({ events: 200, eventsPerSecond: 1_000, seed: 1 })).not.toEqual(events.slice(0, 200));
  });
});
