/**
 * Query 14, calculation: bids priced between 1,000,000 and 50,000,000 in euros, each with
 * its time of day and the number of 'c's in its `extra` (Flink SQL q14: `SELECT auction,
 * bidder, 0.908 * price AS price, CASE WHEN HOUR(dateTime) >= 8 AND HOUR(dateTime) <= 18
 * THEN 'dayTime' WHEN HOUR(dateTime) <= 6 OR HOUR(dateTime) >= 20 THEN 'nightTime' ELSE
 * 'otherTime' END AS bidTimeType, dateTime, extra, count_char(extra, 'c') AS c_counts FROM
 * bid WHERE 0.908 * price > 1000000 AND 0.908 * price < 50000000`, count_char a Java
 * scalar UDF; not in Beam, whose Query14 is a reshuffle).
 *
 * A filter and a map: the UDF is a plain function. The hour is UTC's (Flink's HOUR of a
 * TIMESTAMP(3), which has no time zone).
 */
import { isBid, type Bid } from './model.js';
import { NEXMARK, nexmarkJob, type NexmarkJobOptions } from './settings.js';

/** Flink's count_char: how many times the character `c` occurs in `s`. */
function countChar(s: string, c: string): number {
  let n = 0;
  for (const ch of s) if (ch === c) n += 1;
  return n;
}

function bidTimeType(dateTime: number): 'dayTime' | 'nightTime' | 'otherTime' {
  const hour = new Date(dateTime).getUTCHours();
  if (hour >= 8 && hour <= 18) return 'dayTime';
  if (hour <= 6 || hour >= 20) return 'nightTime';
  return 'otherTime';
}

const euros = (b: Bid) => NEXMARK.dollarToEuro * b.price;

export const q14Job = (options: NexmarkJobOptions = {}) =>
  nexmarkJob('q14', options, (events) =>
    events
      .filter(isBid)
      .filter((b) => euros(b) > 1_000_000 && euros(b) < 50_000_000)
      .map((b) => ({
        auction: b.auction,
        bidder: b.bidder,
        price: euros(b),
        bidTimeType: bidTimeType(b.dateTime),
        dateTime: b.dateTime,
        extra: b.extra,
        c_counts: countChar(b.extra, 'c'),
      })),
  );
