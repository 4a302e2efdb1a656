import type { SourceRecord } from '../ports/source-reader.js';
import type { GroupKey } from './keyed-groups.js';
import { attempt, StageFailure } from './record-stages.js';
import { show } from './spec-checks.js';

/**
 * A value's keyBy key: a string or a finite number, or StageFailure('keyBy'). With
 * `keyIsPartitionKey` (the job declares keyedBy: 'partitionKey'), a key that is not the
 * record's partition key fails at 'keyBy' too: the declaration is what lets this key's
 * state live in this partition, and a record that breaks it would update a state another
 * partition may hold as well. It is refused, never applied in the wrong place.
 */
export function keyOf(keyBy: (value: unknown) => unknown, value: unknown, record: SourceRecord, keyIsPartitionKey: boolean): GroupKey {
  const key = attempt('keyBy', () => keyBy(value));
  if (typeof key !== 'string' && (typeof key !== 'number' || !Number.isFinite(key))) {
    throw new StageFailure('keyBy', `keyBy() must return a string or a finite number, got ${show(key)}`);
  }
  if (keyIsPartitionKey && String(key) !== record.key) {
    throw new StageFailure(
      'keyBy',
      `keyBy() gave ${show(key)}, but the record's partition key is ${show(record.key)}: the job declares ` +
        "keyedBy: 'partitionKey', so every record's key must be its partition key",
    );
  }
  return key;
}
