/**
 * Each NEXMark query's result computed directly over the generated event array, in plain
 * TypeScript and without the engine or the jobs' code: what the sink must hold once a
 * query job has read every event. Each follows the query's definition (jobs/nexmark/q*.ts
 * says which: Flink SQL's, as bounded input at its end, where Beam's differs), not the
 * job's way of computing it: q3 is an unbounded join, q4 a join then a grouping, q5 counts
 * then a maximum, q11 sorts each bidder's bids; q6 and q9 are in reference-winning.ts, q10,
 * q12, q13 and q14 in reference-more.ts.
 *
 * Windowed queries run in update mode, so the sink holds every window's final value,
 * closed or not; nothing is late (event times never decrease and the tests assert it).
 */
import { NEXMARK } from '../../jobs/nexmark/settings.js';
import type { Auction, Bid, NexmarkEvent, Person } from '../../jobs/nexmark/model.js';
import type { NexmarkQuery } from '../../jobs/nexmark/index.js';
import { WINNING_REFERENCE } from './reference-winning.js';
import { MORE_REFERENCE } from './reference-more.js';

export type Row = Record<string, unknown>;

const persons = (events: readonly NexmarkEvent[]) => events.filter((e): e is Person => e.type === 'person');
const auctions = (events: readonly NexmarkEvent[]) => events.filter((e): e is Auction => e.type === 'auction');
const bids = (events: readonly NexmarkEvent[]) => events.filter((e): e is Bid => e.type === 'bid');

function groupBy<T, K>(values: readonly T[], key: (v: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const v of values) {
    const k = key(v);
    const list = groups.get(k);
    if (list === undefined) groups.set(k, [v]);
    else list.push(v);
  }
  return groups;
}

const W = NEXMARK.windowSizeMs;

export const REFERENCE: Record<NexmarkQuery, (events: readonly NexmarkEvent[]) => Row[]> = {
  q0: (events) => events.map((e) => ({ ...e })),

  q1: (events) =>
    bids(events).map((b) => ({ auction: b.auction, bidder: b.bidder, price: 0.908 * b.price, dateTime: b.dateTime, extra: b.extra })),

  q2: (events) =>
    bids(events)
      .filter((b) => b.auction % 123 === 0)
      .map((b) => ({ auction: b.auction, price: b.price })),

  q3: (events) => {
    const sellers = new Map(
      persons(events)
        .filter((p) => ['OR', 'ID', 'CA'].includes(p.state))
        .map((p) => [p.id, p]),
    );
    const rows: Row[] = [];
    for (const a of auctions(events)) {
      const p = sellers.get(a.seller);
      if (a.category === 10 && p !== undefined) rows.push({ name: p.name, city: p.city, state: p.state, id: a.id });
    }
    return rows;
  },

  q4: (events) => {
    const bidsOf = groupBy(bids(events), (b) => b.auction);
    const finals: { category: number; final: number }[] = [];
    for (const a of auctions(events)) {
      const prices = (bidsOf.get(a.id) ?? []).filter((b) => b.dateTime >= a.dateTime && b.dateTime <= a.expires).map((b) => b.price);
      if (prices.length > 0) finals.push({ category: a.category, final: Math.max(...prices) });
    }
    return [...groupBy(finals, (f) => f.category)].map(([category, fs]) => {
      const sum = fs.reduce((s, f) => s + f.final, 0);
      return { category, average: sum / fs.length, auctions: fs.length };
    });
  },

  q5: (events) => {
    // Count per (window, auction) over sliding windows of 10 s every 5 s, then the maximum per window.
    const counts = new Map<number, Map<number, number>>();
    for (const b of bids(events)) {
      const last = Math.floor(b.dateTime / NEXMARK.windowPeriodMs) * NEXMARK.windowPeriodMs;
      for (let start = last; start > b.dateTime - W; start -= NEXMARK.windowPeriodMs) {
        const perAuction = counts.get(start) ?? new Map<number, number>();
        perAuction.set(b.auction, (perAuction.get(b.auction) ?? 0) + 1);
        counts.set(start, perAuction);
      }
    }
    return [...counts].map(([start, perAuction]) => {
      const top = Math.max(...perAuction.values());
      return {
        key: 'all',
        windowStart: start,
        windowEnd: start + W,
        value: {
          counts: Object.fromEntries([...perAuction].map(([a, n]) => [String(a), n])),
          hot: [...perAuction]
            .filter(([, n]) => n === top)
            .map(([a]) => a)
            .sort((x, y) => x - y),
          count: top,
        },
      };
    });
  },

  q7: (events) =>
    [...groupBy(bids(events), (b) => Math.floor(b.dateTime / W) * W)].map(([start, inWindow]) => {
      const top = Math.max(...inWindow.map((b) => b.price));
      // Ties at the top price: the earliest bid, then the lowest auction id, then the lowest bidder id.
      const [best] = inWindow
        .filter((b) => b.price === top)
        .sort((x, y) => x.dateTime - y.dateTime || x.auction - y.auction || x.bidder - y.bidder);
      return {
        key: 'all',
        windowStart: start,
        windowEnd: start + W,
        value: { auction: best!.auction, bidder: best!.bidder, price: best!.price, dateTime: best!.dateTime },
      };
    }),

  q8: (events) => {
    const windowOf = (t: number) => Math.floor(t / W) * W;
    const sold = new Set(auctions(events).map((a) => `${a.seller}@${windowOf(a.dateTime)}`));
    return persons(events)
      .filter((p) => sold.has(`${p.id}@${windowOf(p.dateTime)}`))
      .map((p) => ({ id: p.id, name: p.name, starttime: windowOf(p.dateTime) }));
  },

  q11: (events) => {
    const rows: Row[] = [];
    for (const [bidder, list] of groupBy(bids(events), (b) => b.bidder)) {
      const times = list.map((b) => b.dateTime).sort((x, y) => x - y);
      let start = times[0]!;
      let last = start;
      let n = 0;
      for (const t of times) {
        // A bid more than the gap after the session's last one starts a new session (touching ones merge).
        if (t - last > W) {
          rows.push({ key: bidder, windowStart: start, windowEnd: last + W, value: n });
          start = t;
          n = 0;
        }
        last = t;
        n += 1;
      }
      rows.push({ key: bidder, windowStart: start, windowEnd: last + W, value: n });
    }
    return rows;
  },

  ...WINNING_REFERENCE,
  ...MORE_REFERENCE,
};
