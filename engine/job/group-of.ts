import type { SourceRecord } from '../ports/source-reader.js';
import type { GroupKey } from './keyed-groups.js';
import { attempt, StageFailure, type Element } from './record-stages.js';
import { show } from './spec-checks.js';
import type { PipelinePlan } from './stream.js';
import { windowStartOf } from './windows.js';

/**
 * The group a value of a keyed pipeline belongs to: its keyBy key and, when windowed, its
 * window's start. Throws StageFailure ('keyBy', 'eventTime') for a value that has none.
 * With `keyIsPartitionKey` (keyedBy: 'partitionKey'), a key that is not the record's
 * partition key fails at 'keyBy'.
 */
export function groupOf(
  plan: PipelinePlan,
  record: SourceRecord,
  element: Element,
  keyIsPartitionKey: boolean,
): { key: GroupKey; windowStart: number | null } {
  const keyFn = plan.keyBy as (value: unknown) => unknown;
  const key = attempt('keyBy', () => keyFn(element.value));
  if (typeof key !== 'string' && (typeof key !== 'number' || !Number.isFinite(key))) {
    throw new StageFailure('keyBy', `keyBy() must return a string or a finite number, got ${show(key)}`);
  }
  if (keyIsPartitionKey && String(key) !== record.key) {
    // The declaration is what lets this key's state live in this partition: a record that
    // breaks it would update a state another partition may hold too. It is refused, never
    // aggregated into the wrong place.
    throw new StageFailure(
      'keyBy',
      `keyBy() gave ${show(key)}, but the record's partition key is ${show(record.key)}: the job declares ` +
        "keyedBy: 'partitionKey', so every record's key must be its partition key",
    );
  }
  let windowStart: number | null = null;
  if (plan.window !== undefined) {
    // Without withWatermark a window groups by the record's arrival time at the source.
    const time = element.eventTimeMs ?? record.arrivalTimeMs;
    if (!Number.isFinite(time)) {
      throw new StageFailure('eventTime', `the record's arrival time ${show(time)} is not a finite number`);
    }
    windowStart = windowStartOf(plan.window, time);
  }
  return { key, windowStart };
}
