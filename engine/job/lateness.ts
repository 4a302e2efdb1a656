import type { WindowSpec } from './windows.js';
import { lastWindowEndOf } from './windows.js';

/**
 * When a value is late, as Spark and Flink decide it: only when the state it would update
 * is already final, never merely because its event time is behind the watermark. The
 * watermark bounds state (a window is final, emitted in append mode and evicted, once
 * its end <= the watermark); a value is dropped only when everything it would add to is
 * final. So:
 *
 *   tumbling or sliding window   late when every window holding t ended: end <= watermark
 *                                (a sliding window's value goes to those still open)
 *   session window               late when t + gap <= watermark (its own session would
 *                                already be final)
 *   running aggregate, stateless never late: their state has no end (Spark drops nothing
 *                                without a stateful operator that uses the watermark)
 *
 * The decision is per value, in stage 1 (or the one-stage run), against the batch's
 * watermark fixed in its plan, so a re-run decides the same. withWatermark only declares
 * the event time and feeds the batch's max event time; the stateful operator applies its
 * rule. A record is counted late (and written to the job's late-records sink, when it
 * declares one) when any of its values was late.
 *
 * Other keyed operators state their own rule as a LatenessRule: a pure function of the
 * value's event time and the batch's watermark.
 */
export type LatenessRule = (eventTimeMs: number, watermarkMs: number) => boolean;

/**
 * The rule of operators whose state for a value is final once the watermark passes the
 * value's own event time (deduplication within the watermark, interval joins, process
 * functions): a value whose event time is below the batch's watermark is late. Spark's
 * rule for these operators' late rows, and Flink's for interval joins.
 */
export const behindWatermark: LatenessRule = (t, watermarkMs) => t < watermarkMs;

/** The rule of operators whose state never closes: nothing is late. */
export const neverLate: LatenessRule = () => false;

/** The rule of a windowed aggregate (Spark's StateStoreSaveExec filter on window.end <= watermark). */
export function windowLateness(window: WindowSpec | undefined): LatenessRule {
  if (window === undefined) return neverLate;
  if (window.type === 'session') return (t, watermarkMs) => t + window.gapMs <= watermarkMs;
  return (t, watermarkMs) => lastWindowEndOf(window, t) <= watermarkMs;
}

/** Applies a rule to a value that may have no event time, in a batch that may have no watermark: then never late. */
export function isLate(rule: LatenessRule, eventTimeMs: number | null, watermarkMs: number | null): boolean {
  return eventTimeMs !== null && watermarkMs !== null && rule(eventTimeMs, watermarkMs);
}
