/**
 * q9 (winning bids) and q6 (average selling price by seller) computed directly over the
 * generated event array, from their definitions in Beam's WinningBids and Query6 and not
 * from the jobs' code: a join of every auction with every bid on it, then a choice per
 * auction, then a running window per seller.
 *
 * - Closed auctions: a streaming job never sees the input end, so an auction is closed
 *   when the job's last watermark has reached its `expires`: that watermark is the
 *   highest event time less the allowed lateness (the last batch, which reads nothing,
 *   runs with it), as `A.expires < CURRENT_TIME` in Beam's CQL.
 * - The winner of a closed auction: among all bids on it placed before `expires` at or
 *   above the reserve (whenever placed, as Beam's WinningBids), the highest price, then
 *   the earliest, then the lowest bidder id, then the first in the input.
 * - q6: the winners in the order their auctions close (by `expires`, then id); after
 *   each, the seller's winners so far ordered by (bid time, price), the last 10 averaged
 *   and rounded (Beam's MovingMeanSellingPrice).
 */
import { NEXMARK } from '../../jobs/nexmark/settings.js';
import type { Auction, Bid, NexmarkEvent } from '../../jobs/nexmark/model.js';

type Row = Record<string, unknown>;

/** The watermark of the job's last batch over these events. */
export function finalWatermark(events: readonly NexmarkEvent[]): number {
  return events.reduce((max, e) => Math.max(max, e.dateTime), -Infinity) - NEXMARK.allowedLatenessMs;
}

/** Each closed auction with a valid bid and its winning bid, in closing order. */
export function winningBids(events: readonly NexmarkEvent[]): { auction: Auction; bid: Bid }[] {
  const watermark = finalWatermark(events);
  const bidsOn = new Map<number, Bid[]>();
  for (const e of events) if (e.type === 'bid') bidsOn.set(e.auction, [...(bidsOn.get(e.auction) ?? []), e]);
  const closed = events
    .filter((e): e is Auction => e.type === 'auction' && e.expires <= watermark)
    .sort((x, y) => x.expires - y.expires || x.id - y.id);
  const winners: { auction: Auction; bid: Bid }[] = [];
  for (const auction of closed) {
    const valid = (bidsOn.get(auction.id) ?? []).filter((b) => b.dateTime < auction.expires && b.price >= auction.reserve);
    // A stable sort: full ties stay in input order.
    const [best] = valid.sort((x, y) => y.price - x.price || x.dateTime - y.dateTime || x.bidder - y.bidder);
    if (best !== undefined) winners.push({ auction, bid: best });
  }
  return winners;
}

export const WINNING_REFERENCE = {
  q6: (events: readonly NexmarkEvent[]): Row[] => {
    const history = new Map<number, Bid[]>();
    return winningBids(events).map(({ auction, bid }) => {
      const sofar = [...(history.get(auction.seller) ?? []), bid];
      history.set(auction.seller, sofar);
      const last = [...sofar].sort((x, y) => x.dateTime - y.dateTime || x.price - y.price).slice(-10);
      const price = Math.round(last.reduce((s, b) => s + b.price, 0) / last.length);
      return { seller: auction.seller, price, auction: auction.id };
    });
  },
  q9: (events: readonly NexmarkEvent[]): Row[] => winningBids(events).map(({ auction, bid }) => ({ auction, bid })),
};
