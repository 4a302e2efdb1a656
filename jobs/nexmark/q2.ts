/**
 * Query 2, selection: bids on every 123rd auction (Beam Query2 with auctionSkip 123: `auction
 * % 123 == 0`; Flink SQL q2: `WHERE MOD(auction, 123) = 0`).
 */
import { isBid } from './model.js';
import { NEXMARK, nexmarkJob, type NexmarkJobOptions } from './settings.js';

export const q2Job = (options: NexmarkJobOptions = {}) =>
  nexmarkJob('q2', options, (events) =>
    events
      .filter(isBid)
      .filter((b) => b.auction % NEXMARK.auctionSkip === 0)
      .map((b) => ({ auction: b.auction, price: b.price })),
  );
