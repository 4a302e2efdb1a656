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

/**
 * A sliding (hopping) event-time window: windows of `sizeMs` starting every `slideMs`
 * (on the grid offsetMs + k * slideMs), so a value belongs to every window
 * [start, start + sizeMs) that contains its event time: ceil(size / slide) of them when
 * size is a multiple of slide, and floor or ceil of size / slide otherwise. Spark's
 * `window(col, size, slide, startTime)` and Flink's SlidingEventTimeWindows. As in Spark,
 * slideMs <= sizeMs (Flink also allows slide > size, windows with gaps between them) and
 * size need not be a multiple of slide; offsetMs is in [0, slideMs). A value may fall in
 * at most MAX_WINDOWS_PER_VALUE windows (a guard Spark and Flink do not have: a 1-day
 * window sliding by 1 ms would make 86.4 million state updates per value).
 */
export interface SlidingWindow {
  readonly type: 'sliding';
  readonly sizeMs: number;
  readonly slideMs: number;
  readonly offsetMs: number;
}

/**
 * A session window per key (Spark's `session_window(col, gap)`, Flink's
 * EventTimeSessionWindows.withGap): a value at event time t opens [t, t + gapMs); sessions
 * of a key that overlap or touch merge into one, [first event, last event + gap). A value
 * that bridges two sessions merges them. Sessions are kept and merged by sessions.ts.
 */
export interface SessionWindow {
  readonly type: 'session';
  readonly gapMs: number;
}

/** The windows with fixed bounds, known from a value's event time alone. */
export type FixedWindow = TumblingWindow | SlidingWindow;

export type WindowSpec = TumblingWindow | SlidingWindow | SessionWindow;

/** The most windows one value may fall in (sliding windows: ceil(sizeMs / slideMs)). */
export const MAX_WINDOWS_PER_VALUE = 1000;

export function tumbling(options: { readonly sizeMs: number; readonly offsetMs?: number }): TumblingWindow {
  requireObject('tumbling()', options);
  return checkWindow({ type: 'tumbling', sizeMs: options.sizeMs, offsetMs: options.offsetMs ?? 0 }, 'tumbling()') as TumblingWindow;
}

export function sliding(options: { readonly sizeMs: number; readonly slideMs: number; readonly offsetMs?: number }): SlidingWindow {
  requireObject('sliding()', options);
  const window = { type: 'sliding', sizeMs: options.sizeMs, slideMs: options.slideMs, offsetMs: options.offsetMs ?? 0 };
  return checkWindow(window, 'sliding()') as SlidingWindow;
}

export function session(options: { readonly gapMs: number }): SessionWindow {
  requireObject('session()', options);
  return checkWindow({ type: 'session', gapMs: options.gapMs }, 'session()') as SessionWindow;
}

function requireMs(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw specError(field, `must be a positive integer number of milliseconds, got ${show(value)}`);
  }
  return value;
}

/** Validates a window spec (also one built by hand) and returns a frozen copy. */
export function checkWindow(window: unknown, field: string): WindowSpec {
  const w = requireObject(field, window);
  if (w.type === 'session') return Object.freeze({ type: 'session', gapMs: requireMs(`${field}.gapMs`, w.gapMs) });
  if (w.type !== 'tumbling' && w.type !== 'sliding') {
    throw specError(`${field}.type`, `must be 'tumbling', 'sliding' or 'session', got ${show(w.type)}`);
  }
  const sizeMs = requireMs(`${field}.sizeMs`, w.sizeMs);
  const slideMs = w.type === 'tumbling' ? sizeMs : requireMs(`${field}.slideMs`, w.slideMs);
  if (slideMs > sizeMs) {
    throw specError(`${field}.slideMs`, `must be <= sizeMs = ${sizeMs} (as Spark requires), got ${slideMs}`);
  }
  if (Math.ceil(sizeMs / slideMs) > MAX_WINDOWS_PER_VALUE) {
    throw specError(
      `${field}.slideMs`,
      `gives each value ${Math.ceil(sizeMs / slideMs)} windows (sizeMs / slideMs), more than the ${MAX_WINDOWS_PER_VALUE} allowed: use a larger slide`,
    );
  }
  const { offsetMs } = w;
  const grid = w.type === 'tumbling' ? 'sizeMs' : 'slideMs';
  if (typeof offsetMs !== 'number' || !Number.isSafeInteger(offsetMs) || offsetMs < 0 || offsetMs >= slideMs) {
    throw specError(`${field}.offsetMs`, `must be an integer in [0, ${grid} = ${slideMs}), got ${show(offsetMs)}`);
  }
  if (w.type === 'tumbling') return Object.freeze({ type: 'tumbling', sizeMs, offsetMs });
  return Object.freeze({ type: 'sliding', sizeMs, slideMs, offsetMs });
}

function slideOf(window: FixedWindow): number {
  return window.type === 'tumbling' ? window.sizeMs : window.slideMs;
}

/** The start of the latest window holding event time `t`: the grid point at or before t. */
export function windowStartOf(window: FixedWindow, t: number): number {
  const { offsetMs } = window;
  const step = slideOf(window);
  const start = Math.floor((t - offsetMs) / step) * step + offsetMs;
  // For fractional event times the division may round across a boundary: step back.
  if (start > t) return start - step;
  if (start + step <= t) return start + step;
  return start;
}

/** The starts of every window holding event time `t`, oldest first (one for a tumbling window). */
export function windowStartsOf(window: FixedWindow, t: number): number[] {
  const step = slideOf(window);
  const starts: number[] = [];
  for (let start = windowStartOf(window, t); start + window.sizeMs > t; start -= step) starts.push(start);
  return starts.reverse();
}

/** The end of the latest window holding event time `t`: after it, no window of t is open. */
export function lastWindowEndOf(window: FixedWindow, t: number): number {
  return windowStartOf(window, t) + window.sizeMs;
}

export function describeWindow(window: WindowSpec): string {
  if (window.type === 'session') return `window(session gap ${formatMs(window.gapMs)})`;
  const offset = window.offsetMs === 0 ? '' : `, offset ${formatMs(window.offsetMs)}`;
  if (window.type === 'sliding') return `window(sliding ${formatMs(window.sizeMs)} every ${formatMs(window.slideMs)}${offset})`;
  return `window(tumbling ${formatMs(window.sizeMs)}${offset})`;
}
