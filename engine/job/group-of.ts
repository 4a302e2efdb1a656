import type { SourceRecord } from '../ports/source-reader.js';
import type { GroupKey } from './keyed-groups.js';
import { keyOf } from './key-of.js';
import { StageFailure, type Element } from './record-stages.js';
import { show } from './spec-checks.js';
import type { PipelinePlan } from './stream.js';
import { isLate, windowLateness } from './lateness.js';
import { windowStartsOf } from './windows.js';

/** Where a value of a keyed pipeline goes. */
export interface ValueGroups {
  readonly key: GroupKey;
  /**
   * The value's windows still open at the batch's watermark (lateness.ts): [null] without
   * a window; the starts of its tumbling or sliding windows whose end > watermark; for a
   * session window, [t], the session the value opens. Empty: the value is late.
   */
  readonly windowStarts: readonly (number | null)[];
  /** The time windows use (the event time, else the arrival time); null without a window. */
  readonly timeMs: number | null;
}

/**
 * The groups a value of a keyed pipeline belongs to: its keyBy key and, when windowed,
 * the windows of its event time that the watermark has not closed. Throws StageFailure
 * ('keyBy', 'eventTime') for a value that has none. With `keyIsPartitionKey` (keyedBy:
 * 'partitionKey'), a key that is not the record's partition key fails at 'keyBy'.
 */
export function groupOf(
  plan: PipelinePlan,
  record: SourceRecord,
  element: Element,
  keyIsPartitionKey: boolean,
  watermarkMs: number | null,
): ValueGroups {
  const key = keyOf(plan.keyBy!, element.value, record, keyIsPartitionKey);
  const window = plan.window;
  if (window === undefined) return { key, windowStarts: [null], timeMs: null };
  // Without withWatermark a window groups by the record's arrival time at the source.
  const time = element.eventTimeMs ?? record.arrivalTimeMs;
  if (!Number.isFinite(time)) {
    throw new StageFailure('eventTime', `the record's arrival time ${show(time)} is not a finite number`);
  }
  if (isLate(windowLateness(window), element.eventTimeMs, watermarkMs)) return { key, windowStarts: [], timeMs: time };
  if (window.type === 'session') return { key, windowStarts: [time], timeMs: time };
  const starts = windowStartsOf(window, time);
  // A sliding window's value still goes to its windows the watermark has not closed.
  const open = element.eventTimeMs === null || watermarkMs === null ? starts : starts.filter((s) => s + window.sizeMs > watermarkMs);
  return { key, windowStarts: open, timeMs: time };
}
