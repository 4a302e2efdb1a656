/**
 * Query 12, processing-time windows: bids per bidder per 10 s tumbling window of
 * processing time (Flink SQL q12: `SELECT bidder, count(*), window_start, window_end FROM
 * TABLE(TUMBLE(TABLE B, DESCRIPTOR(p_time), INTERVAL '10' SECOND))` over `PROCTIME()`;
 * Beam Query12 counts per bidder in the global window, firing 10 s of processing time
 * after a pane's first element).
 *
 * Sluice's processing time is the batch's: the time its plan was made (`ctx.timeMs`),
 * the same on every attempt and replay of the batch, so a bid's window is the one its
 * batch was planned in and the result does not change when a batch runs again. A
 * process function keyed by bidder counts per window start and writes `{ bidder,
 * bid_count, starttime, endtime }` under `<bidder>@<starttime>` on every bid (an upsert:
 * the sink holds each window's count so far, final once the window is over), where
 * Flink writes each window once, when it ends. A processing-time timer at the window's
 * end frees its count.
 *
 * Which window a bid lands in depends on when batches run, so only the totals are
 * deterministic: the counts of a bidder over all windows add up to its bids.
 */
import { mapState } from '#sluice/job';
import { isBid } from './model.js';
import { NEXMARK, nexmarkJob, type NexmarkJobOptions } from './settings.js';

const W = NEXMARK.windowSizeMs;

export const q12Job = (options: NexmarkJobOptions = {}) =>
  nexmarkJob('q12', options, (events) =>
    events
      .filter(isBid)
      .keyBy((b) => b.bidder)
      .process({
        state: { counts: mapState<number>() },
        onValue(_bid, ctx) {
          const start = Math.floor(ctx.timeMs / W) * W;
          const n = (ctx.state.counts.get(String(start)) ?? 0) + 1;
          ctx.state.counts.set(String(start), n);
          ctx.emit({ bidder: ctx.key, bid_count: n, starttime: start, endtime: start + W }, { key: `${ctx.key}@${start}` });
          ctx.timers.registerProcessingTimeTimer(start + W);
        },
        onTimer(timer, ctx) {
          ctx.state.counts.delete(String(timer.timestampMs - W));
        },
      }),
  );
