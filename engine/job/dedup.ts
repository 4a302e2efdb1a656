import { behindWatermark, isLate } from './lateness.js';
import { isJsonObject, type JsonValue } from '../json.js';
import type { SinkRow } from '../ports/sink.js';
import type { KeyedOperator, KeyedValue } from './keyed-operator.js';
import { formatMs } from './spec-checks.js';
import type { KeyedState } from './types.js';

/**
 * Deduplication, as keyed operators (keyed-operator.ts): `Stream.dropDuplicatesWithinWatermark`
 * and `Stream.dropDuplicates(keyFn, { ttlMs })` (stream.ts). The user's page is
 * docs/operators/dedup-and-joins.md.
 *
 * Both keep one state entry per key, `[key]` → the time at which the key's entry expires,
 * and let the first value of a key pass; a later value of the same key is dropped while
 * the entry lives. Values are applied in order (a key group's values partition by
 * partition in the plan's order, each partition's in record order), so duplicates within
 * a batch, across partitions and across batches are all dropped, and which value is the
 * first is the same on every attempt and every replay. Expired entries are removed before
 * the batch's values are applied. A passing value is written as a stateless job writes it
 * (a JSON object as is, anything else as `{ value }`), keyed `${partition}:${offset}:${index}`,
 * so retries and replays rewrite the same rows.
 */

/**
 * Spark's dropDuplicatesWithinWatermark (StreamingDeduplicateWithinWatermarkExec): the
 * first value of a key stores `expiresAt = its event time + allowedLatenessMs` (Spark's
 * delay threshold); the entry is removed once the batch's watermark >= expiresAt (Spark's
 * eviction rule, evictDupInfoFromState). Later values of the key are dropped while it
 * lives and do not extend it. So values of one key whose event times are less than
 * allowedLatenessMs apart are deduplicated (Spark's documented guarantee), whatever batch
 * they arrive in.
 *
 * Where it differs from Spark:
 * - Late values: event time < the batch's watermark (the job's one rule, compile.ts);
 *   Spark drops event time <= watermark.
 * - Order within a batch: Spark evicts after applying a batch's input, and relies on a
 *   no-data batch run between two batches to evict with the new watermark first; a batch
 *   that runs right away with the new watermark still sees the old entries. Here the
 *   expired entries are always removed first, which is what Spark's suite shows when that
 *   no-data batch ran (StreamingDeduplicationWithinWatermarkSuite, "deduplicate with
 *   subset of columns which event time column is not in subset": "a" -> 21 passes), and
 *   does not depend on when batches run.
 */
export function dropDuplicatesWithinWatermarkOperator(allowedLatenessMs: number): KeyedOperator {
  return Object.freeze<KeyedOperator>({
    description: 'dropDuplicatesWithinWatermark',
    stateShape: 'dropDuplicatesWithinWatermark',
    inputs: 1 as const,
    isLate: lateByWatermark,
    apply({ values, state, watermarkMs }) {
      if (watermarkMs !== null) expire(state, (expiresAt) => watermarkMs >= expiresAt);
      const rows = firstOfEachKey(values, state, (v) => v.eventTimeMs! + allowedLatenessMs);
      return { rows, failures: [], dueAtWatermarkMs: earliest(state), dueAtMs: null };
    },
  });
}

/**
 * Deduplication by processing time: the first value of a key stores `expiresAt = the
 * batch's time + ttlMs` (the time its plan recorded, so every attempt and replay of the
 * batch sees the same); the entry is removed once a batch's time >= expiresAt, and the key
 * group runs for it by `dueAtMs` even without input. Later values do not extend it, as
 * Flink's keep-first-row deduplication with a state TTL (processFirstRowOnProcTime writes
 * state for the first row only; the TTL's default update type is OnCreateAndWrite).
 * Unlike Flink's TTL, expiry is exact (Flink may keep an expired entry until its cleanup
 * runs, though it never returns it). Unlike Spark's dropDuplicates, whose state without a
 * watermark grows for ever, the state is bounded by the keys seen within ttlMs.
 * A replay runs with the replay's batch times: which values pass may differ from the first
 * run where duplicates straddle the TTL.
 */
export function dropDuplicatesWithTtlOperator(ttlMs: number): KeyedOperator {
  return Object.freeze<KeyedOperator>({
    description: `dropDuplicates(ttl ${formatMs(ttlMs)})`,
    stateShape: 'dropDuplicates',
    firesByProcessingTime: true,
    inputs: 1 as const,
    apply({ values, state, timeMs }) {
      expire(state, (expiresAt) => timeMs >= expiresAt);
      const rows = firstOfEachKey(values, state, () => timeMs + ttlMs);
      return { rows, failures: [], dueAtWatermarkMs: null, dueAtMs: earliest(state) };
    },
  });
}

/** The rule of the job's watermark (lateness.ts): a value whose event time is below the batch's watermark is late. */
export function lateByWatermark(eventTimeMs: number | null, watermarkMs: number | null): boolean {
  return isLate(behindWatermark, eventTimeMs, watermarkMs);
}

/** A keyed operator's state key: `[key]`, the layout of keyed-groups.ts's stateKeyOf(key, null). */
export function operatorStateKey(key: string | number): string {
  return JSON.stringify([key]);
}

/** A value as a stateless job writes it: a JSON object as is, else `{ value }`, keyed by its id. */
export function valueRow(value: KeyedValue): SinkRow {
  return { key: valueId(value), value: isJsonObject(value.value) ? value.value : { value: value.value } };
}

/** `${partition}:${offset}:${index}`: the same value has the same id on every run. */
export function valueId(value: KeyedValue): string {
  return `${value.partition}:${value.offset}:${value.index}`;
}

function firstOfEachKey(values: readonly KeyedValue[], state: KeyedState, expiresAt: (value: KeyedValue) => number): SinkRow[] {
  const rows: SinkRow[] = [];
  for (const value of values) {
    const key = operatorStateKey(value.key);
    if (state.get(key) !== undefined) continue;
    state.put(key, expiresAt(value));
    rows.push(valueRow(value));
  }
  return rows;
}

function expire(state: KeyedState, expired: (expiresAt: number) => boolean): void {
  for (const [key, expiresAt] of [...state.entries()]) if (expired(expiresAt as number)) state.delete(key);
}

/** The lowest expiry among the entries: when the group next has work due; null when it holds none. */
function earliest(state: KeyedState): number | null {
  let min: number | null = null;
  for (const [, expiresAt] of state.entries()) min = Math.min(min ?? Infinity, expiresAt as JsonValue as number);
  return min;
}
