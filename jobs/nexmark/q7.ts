/**
 * Query 7, highest bid: the bid with the highest price in each 10 s tumbling window (Beam
 * Query7; Flink SQL q7 takes MAX(price) per TUMBLE window and joins it back to the bids).
 *
 * One tumbling-window aggregate under a single key keeps the best bid (`reduce` with a
 * merge). Flink writes every bid at the maximum price; here ties resolve to one bid, the
 * first by (dateTime, auction, bidder), so the result does not depend on the order values
 * arrive in. One key group does the work.
 */
import { reduce, tumbling } from '#sluice/job';
import { isBid, type Bid } from './model.js';
import { NEXMARK, nexmarkJob, timed, type NexmarkJobOptions } from './settings.js';

export type TopBid = Pick<Bid, 'auction' | 'bidder' | 'price' | 'dateTime'>;

/** The better of two bids: higher price, then earlier, then lower auction id, then lower bidder id. */
export function betterBid(a: TopBid | null, b: TopBid | null): TopBid | null {
  if (a === null || b === null) return a ?? b;
  const order = b.price - a.price || a.dateTime - b.dateTime || a.auction - b.auction || a.bidder - b.bidder;
  return order <= 0 ? a : b;
}

export const q7Job = (options: NexmarkJobOptions = {}) =>
  nexmarkJob('q7', options, (events) =>
    timed(events)
      .filter(isBid)
      .keyBy(() => 'all')
      .window(tumbling({ sizeMs: NEXMARK.windowSizeMs }))
      .aggregate(
        reduce<Bid, TopBid | null>({
          initial: null,
          add: (best, b) => betterBid(best, { auction: b.auction, bidder: b.bidder, price: b.price, dateTime: b.dateTime }),
          merge: betterBid,
        }),
      ),
  );
