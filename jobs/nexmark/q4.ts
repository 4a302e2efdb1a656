/**
 * Query 4, average closing price per category (Flink SQL q4):
 *
 *   SELECT Q.category, AVG(Q.final) FROM (
 *     SELECT MAX(B.price) AS final, A.category FROM auction A, bid B
 *     WHERE A.id = B.auction AND B.dateTime BETWEEN A.dateTime AND A.expires
 *     GROUP BY A.id, A.category) Q
 *   GROUP BY Q.category
 *
 * Two stateful stages (a join with a max per auction, then an average per category) where a
 * Sluice pipeline ends with one keyed operator: both run in one process function under a
 * single key, so one key group does all the work (Flink runs each stage in parallel). The
 * function keeps the auctions still open, the bids that came before their auction (values
 * of one batch are applied partition by partition, so a bid can precede its auction), and
 * each category's sum and count of the auctions' current maxima; it writes the category's
 * row (upserted by category) whenever that changes. An auction is dropped once the
 * watermark passes its `expires` (a later bid is late, so it cannot match), a waiting bid
 * once the watermark passes its time (its auction, if it comes later, starts after it).
 * Like Flink's continuous query and unlike Beam's Query4 (which averages closed auctions
 * only and requires price >= reserve), an auction counts from its first matching bid.
 */
import { mapState, type ProcessContext } from '#sluice/job';
import { isAuction, isBid } from './model.js';
import { nexmarkJob, timed, type NexmarkJobOptions } from './settings.js';

interface OpenAuction {
  readonly category: number;
  readonly start: number;
  readonly expires: number;
  readonly best: number | null;
}

const state = {
  auctions: mapState<OpenAuction>(),
  /** Bids whose auction is not known yet, by auction id. */
  waiting: mapState<{ price: number; t: number }[]>(),
  categories: mapState<{ sum: number; count: number }>(),
};
type Ctx = ProcessContext<typeof state>;

/** Timers at whole seconds: one per second however many auctions and bids fall due in it. */
const timerAt = (t: number) => Math.ceil((t + 1) / 1000) * 1000;

/** Raises the auction's maximum to `price` when it is a new maximum; updates and writes its category. */
function offer(ctx: Ctx, id: string, auction: OpenAuction, price: number): OpenAuction {
  if (auction.best !== null && price <= auction.best) return auction;
  const key = String(auction.category);
  const c = ctx.state.categories.get(key) ?? { sum: 0, count: 0 };
  const next = { sum: c.sum + price - (auction.best ?? 0), count: c.count + (auction.best === null ? 1 : 0) };
  ctx.state.categories.set(key, next);
  ctx.emit({ category: auction.category, average: next.sum / next.count, auctions: next.count }, { key });
  const raised = { ...auction, best: price };
  ctx.state.auctions.set(id, raised);
  return raised;
}

const matches = (a: OpenAuction, t: number) => a.start <= t && t <= a.expires;

export const q4Job = (options: NexmarkJobOptions = {}) =>
  nexmarkJob('q4', options, (events) =>
    timed(events)
      .filter((e) => isAuction(e) || isBid(e))
      .keyBy(() => 'all')
      .process({
        state,
        onValue(e, ctx) {
          if (isAuction(e)) {
            const id = String(e.id);
            let auction: OpenAuction = { category: e.category, start: e.dateTime, expires: e.expires, best: null };
            ctx.state.auctions.set(id, auction);
            for (const bid of ctx.state.waiting.get(id) ?? []) if (matches(auction, bid.t)) auction = offer(ctx, id, auction, bid.price);
            ctx.state.waiting.delete(id);
            ctx.timers.registerEventTimeTimer(timerAt(e.expires));
          } else if (isBid(e)) {
            const id = String(e.auction);
            const auction = ctx.state.auctions.get(id);
            if (auction !== undefined) {
              if (matches(auction, e.dateTime)) offer(ctx, id, auction, e.price);
              return;
            }
            ctx.state.waiting.set(id, [...(ctx.state.waiting.get(id) ?? []), { price: e.price, t: e.dateTime }]);
            ctx.timers.registerEventTimeTimer(timerAt(e.dateTime));
          }
        },
        onTimer(timer, ctx) {
          // Due: the watermark is past every auction's expires and every waiting bid's time below.
          for (const [id, a] of ctx.state.auctions.entries()) if (timerAt(a.expires) <= timer.timestampMs) ctx.state.auctions.delete(id);
          for (const [id, bids] of ctx.state.waiting.entries()) {
            const kept = bids.filter((b) => timerAt(b.t) > timer.timestampMs);
            if (kept.length === 0) ctx.state.waiting.delete(id);
            else if (kept.length < bids.length) ctx.state.waiting.set(id, kept);
          }
        },
      }),
  );
