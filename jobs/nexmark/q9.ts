/**
 * Query 9, winning bids (Beam Query9, which is Beam's WinningBids transform; Flink SQL
 * q9: the auctions joined with their bids in the auction's time, ROW_NUMBER() per auction
 * ordered by price DESC, dateTime ASC, the first row kept): for each auction the
 * watermark has closed, its winning bid (winning-bids.ts says which bid wins), written
 * once as `{ auction, bid }` (Beam's AuctionBid, both events as they came) under the
 * auction's id. An auction without a bid at or above its reserve writes nothing.
 *
 * A process function keyed by auction id (an auction's id, a bid's auction) keeps the
 * auction's slot: the auction and its best bid while it is open, bids that came before
 * it, and a closed mark. An event-time timer at `expires` closes it, when every bid that
 * could still win has been seen (a later one would be late); clean-up timers free the
 * rest. Beam brings each auction and its bids together in a custom merging window and
 * picks the winner when it closes; Flink SQL keeps every auction and bid for ever and
 * updates the winner as bids come (retracting the previous one), not waiting for the
 * auction to close.
 */
import { valueState, type ProcessContext } from '#sluice/job';
import { isAuction, isBid, type Auction, type Bid } from './model.js';
import { NEXMARK, nexmarkJob, timed, type NexmarkJobOptions } from './settings.js';
import { addAuction, addBid, advance, auctionIdOf, earlyBidWaitMs, emptySlot, type Slot, type Step } from './winning-bids.js';

const state = { slot: valueState<Slot<Auction, Bid>>() };

/** Keeps the step's slot and registers its timers; writes its winner under the auction id. */
function apply(ctx: ProcessContext<typeof state>, step: Step<Auction, Bid>): void {
  if (step.slot === null) ctx.state.slot.clear();
  else ctx.state.slot.set(step.slot);
  for (const t of step.timers) ctx.timers.registerEventTimeTimer(t);
  if (step.winner !== null) ctx.emit({ auction: step.winner.auction, bid: step.winner.bid }, { key: String(step.winner.auction.id) });
}

export const q9Job = (options: NexmarkJobOptions = {}) => {
  const waitMs = earlyBidWaitMs(options.eventsPerSecond ?? NEXMARK.eventsPerSecond);
  return nexmarkJob('q9', options, (events) =>
    timed(events)
      .filter((e) => auctionIdOf(e) !== null)
      .keyBy((e) => auctionIdOf(e)!)
      .process({
        state,
        onValue(e, ctx) {
          const slot = ctx.state.slot.get() ?? emptySlot<Auction, Bid>();
          if (isAuction(e)) apply(ctx, addAuction(slot, e));
          else if (isBid(e)) apply(ctx, addBid(slot, e, waitMs));
        },
        onTimer(timer, ctx) {
          const slot = ctx.state.slot.get();
          if (slot === undefined) return;
          const step = advance(slot, timer.timestampMs, waitMs);
          if (step.slot !== slot) apply(ctx, step);
        },
      }),
  );
};
