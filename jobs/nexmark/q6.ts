/**
 * Query 6, average selling price by seller (Beam Query6): each time an auction closes
 * with a winning bid (q9's, winning-bids.ts), the average price of its seller's last 10
 * winning bids, as `{ seller, price, auction }` under the closed auction's id: one row
 * per winning bid, as Beam emits a SellerPrice per winning bid (a global window per
 * seller firing on every element) and Flink SQL q6 a row per winning bid (AVG OVER the
 * seller's 10 preceding rows and the current one; the Flink suite cannot run it). "Last"
 * and the average are Beam's MovingMeanSellingPrice: the seller's winning bids ordered by
 * (bid time, price), the latest 10 kept, the mean rounded to whole cents.
 *
 * Beam re-keys the winning bids by seller, a second keyed stage; a Sluice pipeline ends
 * with one keyed operator, and a bid does not carry its auction's seller, so no key
 * brings a bid and its seller's history together. Both stages run in one process
 * function under a single key (as q4 does): the slot of every open auction (only the
 * fields closing needs), and each seller's last 10 winning bids, kept for ever as in
 * Beam's global window. Auctions close in the order of their `expires`, then of their id
 * (one exact timer per distinct `expires`, fired in timestamp order), and each winner
 * updates its seller's average in that order. One key group does the work.
 */
import { mapState, type ProcessContext } from '#sluice/job';
import { isAuction, isBid, type Auction } from './model.js';
import { NEXMARK, nexmarkJob, timed, type NexmarkJobOptions } from './settings.js';
import {
  addAuction,
  addBid,
  advance,
  auctionIdOf,
  earlyBidWaitMs,
  emptySlot,
  type BidTerms,
  type Slot,
  type Step,
  type WinningBid,
} from './winning-bids.js';

type Terms = Pick<Auction, 'id' | 'seller' | 'reserve' | 'expires'>;

/** Beam's MovingMeanSellingPrice(10). */
export const LAST_WINNING_BIDS = 10;

const state = {
  /** Every auction id's slot (winning-bids.ts), by id. */
  slots: mapState<Slot<Terms, BidTerms>>(),
  /** Each seller's latest winning bids, by (dateTime, price), at most LAST_WINNING_BIDS. */
  sellers: mapState<BidTerms[]>(),
};
type Ctx = ProcessContext<typeof state>;

/** Keeps the step's slot, registers its timers; returns its winner. */
function apply(ctx: Ctx, id: string, step: Step<Terms, BidTerms>): WinningBid<Terms, BidTerms> | null {
  if (step.slot === null) ctx.state.slots.delete(id);
  else ctx.state.slots.set(id, step.slot);
  for (const t of step.timers) ctx.timers.registerEventTimeTimer(t);
  return step.winner;
}

/** Adds a winning bid to the seller's latest ones and writes the seller's new average. */
function sold(ctx: Ctx, { auction, bid }: WinningBid<Terms, BidTerms>): void {
  const seller = String(auction.seller);
  const latest = [...(ctx.state.sellers.get(seller) ?? []), bid]
    .sort((a, b) => a.dateTime - b.dateTime || a.price - b.price)
    .slice(-LAST_WINNING_BIDS);
  ctx.state.sellers.set(seller, latest);
  const price = Math.round(latest.reduce((s, b) => s + b.price, 0) / latest.length);
  ctx.emit({ seller: auction.seller, price, auction: auction.id }, { key: String(auction.id) });
}

export const q6Job = (options: NexmarkJobOptions = {}) => {
  const waitMs = earlyBidWaitMs(options.eventsPerSecond ?? NEXMARK.eventsPerSecond);
  return nexmarkJob('q6', options, (events) =>
    timed(events)
      .filter((e) => auctionIdOf(e) !== null)
      .keyBy(() => 'all')
      .process({
        state,
        onValue(e, ctx) {
          // Only the fields closing and averaging need are kept.
          const id = String(auctionIdOf(e));
          const slot = ctx.state.slots.get(id) ?? emptySlot();
          if (isAuction(e)) apply(ctx, id, addAuction(slot, { id: e.id, seller: e.seller, reserve: e.reserve, expires: e.expires }));
          else if (isBid(e)) apply(ctx, id, addBid(slot, { bidder: e.bidder, price: e.price, dateTime: e.dateTime }, waitMs));
        },
        onTimer(timer, ctx) {
          const winners: WinningBid<Terms, BidTerms>[] = [];
          for (const [id, slot] of ctx.state.slots.entries()) {
            const step = advance(slot, timer.timestampMs, waitMs);
            if (step.slot === slot) continue;
            const winner = apply(ctx, id, step);
            if (winner !== null) winners.push(winner);
          }
          winners.sort((x, y) => x.auction.expires - y.auction.expires || x.auction.id - y.auction.id);
          for (const winner of winners) sold(ctx, winner);
        },
      }),
  );
};
