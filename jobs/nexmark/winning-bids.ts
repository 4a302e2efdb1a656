/**
 * The winning-bids core of q9 and q6, after Beam's WinningBids: when an auction closes
 * (the watermark reaches its `expires`), its winning bid is the highest bid on it with
 * `price >= reserve` placed before `expires` (`dateTime < expires`); at equal prices the
 * earliest wins (Beam's Bid.PRICE_THEN_DESCENDING_TIME), then the lower bidder id (Beam
 * keeps whichever it met first). An auction without such a bid has no winner.
 *
 * Pure functions over what a process function knows of one auction id (a `Slot`), so q9
 * (one key per auction) and q6 (every auction under one key) close auctions the same way:
 *
 * - A bid can come before its auction: the generator bids on auctions up to 10 ids ahead
 *   (Beam's AUCTION_ID_LEAD), and a batch applies its values partition by partition. Like
 *   Beam, which gives such a bid a window of twice the expected auction duration and
 *   merges it into its auction's window if the auction comes in time, the slot keeps it
 *   (`early`) until the watermark passes its time + `earlyBidWaitMs`. Beam does not ask
 *   that a bid come after the auction opened, so neither does this (Flink SQL q9 does:
 *   `B.dateTime BETWEEN A.dateTime AND A.expires`).
 * - Once closed, the slot keeps only `closedAt` for as long again: a later bid on the
 *   auction is not late, so its time is at or after the watermark that closed it, so it
 *   cannot win, and it is dropped instead of waiting for an auction that came already.
 *
 * Every step returns the timers the caller registers: an auction's close at exactly
 * `expires` (the close order is the output's order for q6), and clean-ups, which only
 * free state, at whole seconds (one timer per second for q6's single key).
 */
import { isAuction, isBid, type Auction, type Bid, type NexmarkEvent } from './model.js';

/** What closing an auction needs of it (q6 keeps just this, q9 the whole auction). */
export type AuctionTerms = Pick<Auction, 'id' | 'reserve' | 'expires'>;
/** What choosing the winner needs of a bid. */
export type BidTerms = Pick<Bid, 'bidder' | 'price' | 'dateTime'>;

/** One auction id's state: JSON, so no undefined fields. */
export interface Slot<A extends AuctionTerms, B extends BidTerms> {
  /** The auction while it is open. */
  readonly auction: A | null;
  /** Its best valid bid so far. */
  readonly best: B | null;
  /** Bids that came before the auction. */
  readonly early: B[];
  /** The `expires` of the auction once it closed. */
  readonly closedAt: number | null;
}

export interface WinningBid<A, B> {
  readonly auction: A;
  readonly bid: B;
}

export interface Step<A extends AuctionTerms, B extends BidTerms> {
  /** The slot's new state; null when nothing is left to keep. */
  readonly slot: Slot<A, B> | null;
  /** The closed auction and its winning bid, when this step closed one that had a valid bid. */
  readonly winner: WinningBid<A, B> | null;
  /** Event-time timers to register (the step to run when the watermark reaches them is `advance`). */
  readonly timers: number[];
}

export const emptySlot = <A extends AuctionTerms, B extends BidTerms>(): Slot<A, B> => ({
  auction: null,
  best: null,
  early: [],
  closedAt: null,
});

/** Every 50 generated events hold 3 auctions (Beam's PROPORTION_DENOMINATOR and AUCTION_PROPORTION). */
const EVENTS = 50;
const AUCTIONS = 3;
/** Beam's numInFlightAuctions default. */
const IN_FLIGHT_AUCTIONS = 100;

/**
 * How long an early bid waits for its auction: twice Beam's expected auction duration
 * (the time `numInFlightAuctions` auctions take to come at the given rate), its bid
 * window, in ms of event time.
 */
export function earlyBidWaitMs(eventsPerSecond: number): number {
  const interEventUs = Math.round(1_000_000 / eventsPerSecond);
  const expectedMs = Math.ceil((Math.floor((interEventUs * EVENTS) / AUCTIONS) * IN_FLIGHT_AUCTIONS) / 1000);
  return 2 * expectedMs;
}

/** The auction an event is about: an auction's id, a bid's auction; null for a person. */
export const auctionIdOf = (e: NexmarkEvent): number | null => (isAuction(e) ? e.id : isBid(e) ? e.auction : null);

/** Clean-up timers at the whole second at or after `t`. */
const cleanupAt = (t: number) => Math.ceil(t / 1000) * 1000;

/** Whether `bid` beats `best`: higher price, then earlier, then lower bidder id. */
export function beats(bid: BidTerms, best: BidTerms | null): boolean {
  if (best === null) return true;
  return (bid.price - best.price || best.dateTime - bid.dateTime || best.bidder - bid.bidder) > 0;
}

/** The slot's best bid after `bid`, when `bid` is valid for `auction` (before it expires, at or above the reserve). */
function offer<A extends AuctionTerms, B extends BidTerms>(auction: A, best: B | null, bid: B): B | null {
  const valid = bid.dateTime < auction.expires && bid.price >= auction.reserve;
  return valid && beats(bid, best) ? bid : best;
}

/** The auction arrives: the bids that came before it count now. */
export function addAuction<A extends AuctionTerms, B extends BidTerms>(slot: Slot<A, B>, auction: A): Step<A, B> {
  const best = slot.early.reduce<B | null>((b, bid) => offer(auction, b, bid), slot.best);
  return { slot: { auction, best, early: [], closedAt: null }, winner: null, timers: [auction.expires] };
}

/** A bid arrives: it competes if its auction is open, waits if the auction is not known yet, is dropped if it closed. */
export function addBid<A extends AuctionTerms, B extends BidTerms>(slot: Slot<A, B>, bid: B, earlyWaitMs: number): Step<A, B> {
  if (slot.auction !== null) return { slot: { ...slot, best: offer(slot.auction, slot.best, bid) }, winner: null, timers: [] };
  if (slot.closedAt !== null) return { slot, winner: null, timers: [] };
  return { slot: { ...slot, early: [...slot.early, bid] }, winner: null, timers: [cleanupAt(bid.dateTime + earlyWaitMs)] };
}

/**
 * The watermark reached `t` (a timer at `t` fired): closes the auction if it expired,
 * giving its winner; drops early bids and the closed mark whose wait is over. The same
 * slot object when nothing was due.
 */
export function advance<A extends AuctionTerms, B extends BidTerms>(slot: Slot<A, B>, t: number, earlyWaitMs: number): Step<A, B> {
  let { auction, best, early, closedAt } = slot;
  let winner: WinningBid<A, B> | null = null;
  const timers: number[] = [];
  if (auction !== null && auction.expires <= t) {
    if (best !== null) winner = { auction, bid: best };
    closedAt = auction.expires;
    timers.push(cleanupAt(closedAt + earlyWaitMs));
    auction = null;
    best = null;
  }
  const waiting = early.filter((b) => b.dateTime + earlyWaitMs > t);
  if (waiting.length < early.length) early = waiting;
  if (closedAt !== null && closedAt + earlyWaitMs <= t) closedAt = null;
  if (auction === slot.auction && early === slot.early && closedAt === slot.closedAt) return { slot, winner, timers };
  const kept = auction !== null || early.length > 0 || closedAt !== null;
  return { slot: kept ? { auction, best, early, closedAt } : null, winner, timers };
}
