/**
 * Query 11, user sessions: bids per bidder per session, a session ending after 10 s without
 * a bid (Beam Query11; Flink SQL q11: `SELECT bidder, COUNT(*), SESSION_START(...),
 * SESSION_END(...) FROM bid GROUP BY bidder, SESSION(dateTime, INTERVAL '10' SECOND)`).
 * A row per (bidder, session): `key` the bidder, `windowStart` the first bid, `windowEnd`
 * the last bid + 10 s, `value` the count.
 */
import { count, session } from '#sluice/job';
import { isBid } from './model.js';
import { NEXMARK, nexmarkJob, timed, type NexmarkJobOptions } from './settings.js';

export const q11Job = (options: NexmarkJobOptions = {}) =>
  nexmarkJob('q11', options, (events) =>
    timed(events)
      .filter(isBid)
      .keyBy((b) => b.bidder)
      .window(session({ gapMs: NEXMARK.windowSizeMs }))
      .aggregate(count()),
  );
