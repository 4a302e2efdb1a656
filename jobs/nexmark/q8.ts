/**
 * Query 8, new users: persons who opened an auction in the same 10 s tumbling window in
 * which they registered (Beam Query8; Flink SQL q8 joins persons grouped by (id, name,
 * window) with auctions grouped by (seller, window) on id = seller and the same window).
 *
 * Sluice has no window join: a process function keyed by person id (a person's id, an
 * auction's seller) keeps, per window, the person's name and whether an auction was seen,
 * and writes `{ id, name, starttime }` once both are there (under `<id>@<window start>`,
 * so each pair is one row), as soon as the second arrives rather than when the window
 * ends. An event-time timer at the window's end frees it: later values of the window are
 * late by then.
 */
import { mapState } from '#sluice/job';
import { isAuction, isPerson, type NexmarkEvent } from './model.js';
import { NEXMARK, nexmarkJob, timed, type NexmarkJobOptions } from './settings.js';

const windowOf = (t: number) => Math.floor(t / NEXMARK.windowSizeMs) * NEXMARK.windowSizeMs;

export const q8Job = (options: NexmarkJobOptions = {}) =>
  nexmarkJob('q8', options, (events) =>
    timed(events)
      .filter((e: NexmarkEvent) => isPerson(e) || isAuction(e))
      .keyBy((e) => (isPerson(e) ? e.id : isAuction(e) ? e.seller : -1))
      .process({
        state: { windows: mapState<{ name: string | null; sold: boolean }>() },
        onValue(e, ctx) {
          const start = windowOf(e.dateTime);
          const w = ctx.state.windows.get(String(start)) ?? { name: null, sold: false };
          const next = { name: isPerson(e) ? e.name : w.name, sold: w.sold || isAuction(e) };
          if (next.name !== null && next.sold && !(w.name !== null && w.sold)) {
            ctx.emit({ id: ctx.key, name: next.name, starttime: start }, { key: `${ctx.key}@${start}` });
          }
          ctx.state.windows.set(String(start), next);
          ctx.timers.registerEventTimeTimer(start + NEXMARK.windowSizeMs);
        },
        onTimer(timer, ctx) {
          for (const start of ctx.state.windows.keys()) {
            if (Number(start) + NEXMARK.windowSizeMs <= timer.timestampMs) ctx.state.windows.delete(start);
          }
        },
      }),
  );
