/**
 * Query 1, currency conversion: each bid with its price in euros (Flink SQL q1: `SELECT
 * auction, bidder, 0.908 * price AS price, dateTime, extra FROM bid`; Beam Query1 writes
 * `price * 89 / 100` in integer cents).
 */
import { isBid } from './model.js';
import { NEXMARK, nexmarkJob, type NexmarkJobOptions } from './settings.js';

export const q1Job = (options: NexmarkJobOptions = {}) =>
  nexmarkJob('q1', options, (events) =>
    events.filter(isBid).map((b) => ({
      auction: b.auction,
      bidder: b.bidder,
      price: NEXMARK.dollarToEuro * b.price,
      dateTime: b.dateTime,
      extra: b.extra,
    })),
  );
