/**
 * q10, q12, q13 and q14 computed directly over the generated event array, from their
 * definitions (Flink SQL's, jobs/nexmark/q1x.ts) and not from the jobs' code.
 *
 * - q10: every event as it is; where each lands is `q10Partitions` (its UTC day and
 *   minute, computed here from the epoch milliseconds, not with the job's formatting).
 * - q12: processing time decides which window a bid is counted in, so the deterministic
 *   part is compared: `SINK_VIEW.q12` folds the sink's windows into bids per bidder (a
 *   window not aligned to 10 s stays a row of its own, which matches nothing), and the
 *   reference is each bidder's number of bids. `q12Windows` is the exact result once the
 *   processing time of every bid is known (the harness's clock).
 * - q13: the side input holds `i -> "i"` for every i below 10,000 (Flink's side input
 *   file), so every bid joins, with the string of its auction id modulo 10,000.
 * - q14: the filter on the price in euros, the hour of day from the epoch milliseconds,
 *   and 'c' counted by splitting.
 */
import type { Bid, NexmarkEvent } from '../../jobs/nexmark/model.js';
import type { MORE_QUERY_NAMES, NexmarkQuery } from '../../jobs/nexmark/index.js';

type Row = Record<string, unknown>;
type MoreQuery = (typeof MORE_QUERY_NAMES)[number];

const bids = (events: readonly NexmarkEvent[]) => events.filter((e): e is Bid => e.type === 'bid');
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;
const W = 10_000;
const two = (n: number) => String(n).padStart(2, '0');

/** `dt=yyyy-MM-dd/hm=HH-mm` of an epoch millisecond time, UTC. */
function partitionPath(ms: number): string {
  const day = new Date(Math.floor(ms / DAY_MS) * DAY_MS);
  const minuteOfDay = Math.floor((ms % DAY_MS) / MINUTE_MS);
  return `dt=${day.getUTCFullYear()}-${two(day.getUTCMonth() + 1)}-${two(day.getUTCDate())}/hm=${two(Math.floor(minuteOfDay / 60))}-${two(minuteOfDay % 60)}`;
}

/** q10: how many events each partition path holds. */
export function q10Partitions(events: readonly NexmarkEvent[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const e of events) counts.set(partitionPath(e.dateTime), (counts.get(partitionPath(e.dateTime)) ?? 0) + 1);
  return counts;
}

/** q12's exact rows when each bid's processing time is known: counts per (bidder, 10 s window of that time). */
export function q12Windows(assigned: readonly { readonly bid: Bid; readonly processingTimeMs: number }[]): Row[] {
  const counts = new Map<string, { bidder: number; start: number; n: number }>();
  for (const { bid, processingTimeMs } of assigned) {
    const start = processingTimeMs - (processingTimeMs % W);
    const k = `${bid.bidder}@${start}`;
    const c = counts.get(k) ?? { bidder: bid.bidder, start, n: 0 };
    c.n += 1;
    counts.set(k, c);
  }
  return [...counts.values()].map((c) => ({ bidder: c.bidder, bid_count: c.n, starttime: c.start, endtime: c.start + W }));
}

/** q12's sink as bids per bidder, summed over its windows; a row whose window is not a 10 s tumbling one stays as it is. */
function q12Totals(rows: readonly unknown[]): unknown[] {
  const totals = new Map<number, number>();
  const odd: unknown[] = [];
  for (const row of rows as { bidder: number; bid_count: number; starttime: number; endtime: number }[]) {
    const aligned = row.starttime % W === 0 && row.endtime === row.starttime + W && Number.isInteger(row.bid_count) && row.bid_count > 0;
    if (aligned) totals.set(row.bidder, (totals.get(row.bidder) ?? 0) + row.bid_count);
    else odd.push({ misaligned: row });
  }
  return [...[...totals].map(([bidder, n]) => ({ bidder, bids: n })), ...odd];
}

/** How a query's sink is read before it is compared with its reference (as it is, for queries not named). */
export const SINK_VIEW: Partial<Record<NexmarkQuery, (rows: readonly unknown[]) => unknown[]>> = { q12: q12Totals };

export const MORE_REFERENCE: Record<MoreQuery, (events: readonly NexmarkEvent[]) => Row[]> = {
  q10: (events) => events.map((e) => ({ ...e })),

  q12: (events) => {
    const perBidder = new Map<number, number>();
    for (const b of bids(events)) perBidder.set(b.bidder, (perBidder.get(b.bidder) ?? 0) + 1);
    return [...perBidder].map(([bidder, n]) => ({ bidder, bids: n }));
  },

  q13: (events) =>
    bids(events).map((b) => ({
      auction: b.auction,
      bidder: b.bidder,
      price: b.price,
      dateTime: b.dateTime,
      value: String(b.auction % 10_000),
    })),

  q14: (events) =>
    bids(events)
      .filter((b) => 0.908 * b.price > 1_000_000 && 0.908 * b.price < 50_000_000)
      .map((b) => {
        const hour = Math.floor((b.dateTime % DAY_MS) / HOUR_MS);
        const bidTimeType = hour >= 8 && hour <= 18 ? 'dayTime' : hour <= 6 || hour >= 20 ? 'nightTime' : 'otherTime';
        return {
          auction: b.auction,
          bidder: b.bidder,
          price: 0.908 * b.price,
          bidTimeType,
          dateTime: b.dateTime,
          extra: b.extra,
          c_counts: b.extra.split('c').length - 1,
        };
      }),
};
