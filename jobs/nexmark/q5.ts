/**
 * Query 5, hot items: the auction(s) with the most bids in each sliding window of 10 s
 * every 5 s (Beam Query5; Flink SQL q5 counts bids per auction per HOP window, takes the
 * maximum per window and joins the two).
 *
 * Counting per auction and then taking a maximum per window are two keyed stages; a Sluice
 * pipeline has one. Here one sliding-window aggregate under a single key folds a window's
 * bids into counts per auction and the hot auctions among them (`reduce` with a merge, so
 * each partition's bids combine before the exchange). A window's row holds `hot` (every
 * auction with the maximum count, ascending: Flink writes one row per tied auction),
 * `count` (that maximum) and the window's `counts` per auction: `reduce` has no finishing
 * function, so the accumulator is the row. One key group does the work.
 */
import { reduce, sliding } from '#sluice/job';
import { isBid, type Bid } from './model.js';
import { NEXMARK, nexmarkJob, timed, type NexmarkJobOptions } from './settings.js';

export interface HotItems {
  readonly counts: Record<string, number>;
  readonly hot: number[];
  readonly count: number;
}

/** The auctions with the highest count, ascending, and that count. */
export function hotItemsOf(counts: Record<string, number>): HotItems {
  const count = Math.max(0, ...Object.values(counts));
  const hot = Object.keys(counts)
    .filter((a) => counts[a] === count)
    .map(Number)
    .sort((a, b) => a - b);
  return { counts, hot, count };
}

export const q5Job = (options: NexmarkJobOptions = {}) =>
  nexmarkJob('q5', options, (events) =>
    timed(events)
      .filter(isBid)
      .keyBy(() => 'all')
      .window(sliding({ sizeMs: NEXMARK.windowSizeMs, slideMs: NEXMARK.windowPeriodMs }))
      .aggregate(
        reduce<Bid, HotItems>({
          initial: { counts: {}, hot: [], count: 0 },
          add: (acc, bid) => {
            const a = String(bid.auction);
            acc.counts[a] = (acc.counts[a] ?? 0) + 1;
            return hotItemsOf(acc.counts);
          },
          merge: (x, y) => {
            for (const [a, n] of Object.entries(y.counts)) x.counts[a] = (x.counts[a] ?? 0) + n;
            return hotItemsOf(x.counts);
          },
        }),
      ),
  );
