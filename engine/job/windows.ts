import { formatMs, requireObject, show, specError } from './spec-checks.js';

/**
 * A tumbling event-time window: fixed-size, non-overlapping, contiguous intervals.
 * The window of event time t is [start, start + sizeMs) with
 *
 *   start = floor((t - offsetMs) / sizeMs) * sizeMs + offsetMs
 *
 * (Spark's `window(col, "1 minute", "1 minute", startTime)`): every event time falls in
 * exactly one window, the start is inclusive and the end exclusive. `offsetMs` shifts the
 * grid, e.g. sizeMs = 1 day and offsetMs = 2 hours gives days starting at 02:00 UTC.
 */
export interface TumblingWindow {
  readonly type: 'tumbling';
  readonly sizeMs: number;
  readonly offsetMs: number;
}

export type WindowSpec = TumblingWindow;

export function tumbling(options: { readonly sizeMs: number; readonly offsetMs?: number }): TumblingWindow {
  requireObject('tumbling()', options);
  return checkWindow({ type: 'tumbling', sizeMs: options.sizeMs, offsetMs: options.offsetMs ?? 0 }, 'tumbling()');
}

/** Validates a window spec (also one built by hand) and returns a frozen copy. */
export function checkWindow(window: unknown, field: string): TumblingWindow {
  const w = requireObject(field, window);
  if (w.type !== 'tumbling') throw specError(`${field}.type`, `must be 'tumbling', got ${show(w.type)}`);
  const { sizeMs, offsetMs } = w;
  if (typeof sizeMs !== 'number' || !Number.isSafeInteger(sizeMs) || sizeMs < 1) {
    throw specError(`${field}.sizeMs`, `must be a positive integer number of milliseconds, got ${show(sizeMs)}`);
  }
  if (typeof offsetMs !== 'number' || !Number.isSafeInteger(offsetMs) || offsetMs < 0 || offsetMs >= sizeMs) {
    throw specError(`${field}.offsetMs`, `must be an integer in [0, sizeMs = ${sizeMs}), got ${show(offsetMs)}`);
  }
  return Object.freeze({ type: 'tumbling', sizeMs, offsetMs });
}

/** The start of the window holding event time `t` (see the formula above). */
export function windowStartOf(window: TumblingWindow, t: number): number {
  const { sizeMs, offsetMs } = window;
  const start = Math.floor((t - offsetMs) / sizeMs) * sizeMs + offsetMs;
  // For fractional event times the division may round across a boundary: step back.
  if (start > t) return start - sizeMs;
  if (start + sizeMs <= t) return start + sizeMs;
  return start;
}

export function describeWindow(window: TumblingWindow): string {
  const offset = window.offsetMs === 0 ? '' : `, offset ${formatMs(window.offsetMs)}`;
  return `window(tumbling ${formatMs(window.sizeMs)}${offset})`;
}
