/**
 * A keyed pipeline split in the two stages of a batch on the exchange path
 * (engine/protocol/stage-two.ts has the protocol, docs/design/key-groups.md the design).
 *
 * Stage 1, on one partition's records, in record order: decode, the stateless stages,
 * then each value's key and open windows (group-of.ts), the lateness rule (lateness.ts:
 * a value is late when every window it falls in has ended at the batch's watermark, or
 * its session's t + gap has; decided here, once, so stage 2 never sees a late value) and
 * its key group (keyGroupOf), exactly as the one-stage path (compile.ts). Its rows:
 *   - with a combiner (the aggregate has a merge: count, sum, min, max, reduce with
 *     merge, and named aggregates made of those), one row per (key, window) the
 *     partition touched, `{ k, w, a, o }`: the partition's accumulator, built from the
 *     initial one, and the offset of the last record that added to it; for a session
 *     window, one row per session the partition's values make once merged among
 *     themselves, `{ k, w: start, e: end, a, o }` (session windows always combine:
 *     they need a merge). A record that fails at any stage leaves no trace, as on the
 *     one-stage path (the groups stage each record's values and drop them all when one
 *     fails);
 *   - without, one row per value and window (a sliding window's value, once per open
 *     window), `{ k, w, v, o }`: the value as JSON (a value that is not JSON fails its
 *     record at stage 'aggregate' here, before it travels).
 *
 * Stage 2, for one key group: the group's rows from every partition, partition by
 * partition in the plan's order, merged (`a`) or added (`v`) to the group's state (a
 * session merged with the key's stored sessions and the other partitions'); then
 * the output and eviction rules of the one-stage path (KeyedGroups.finish) over the
 * group's state. A row that fails (its aggregate throws) becomes a failure of its
 * partition and offset. Without a combiner, a record's values in one key group stand or
 * fail together (its consecutive `v` rows of one offset), but its values in other key
 * groups stand: a record's values are atomic within a key group only. And stage 1 already
 * counted its event time towards the batch's max event time (and its late values), which
 * the one-stage path leaves out for a failed record: a record whose value fails here
 * still moves the watermark.
 *
 * Both are deterministic in their inputs, as the one-stage path is: no clock, no
 * randomness, rows in record order, sink rows sorted by key.
 */
import type { JsonValue } from '../json.js';
import type { SinkRow } from '../ports/sink.js';
import { keyGroupOf } from '../protocol/key-groups.js';
import type { Decoder } from './decode.js';
import { groupOf } from './group-of.js';
import { cloneJson, toJson } from './json-values.js';
import { KeyedGroups, stateKeyOf, type GroupKey } from './keyed-groups.js';
import { SessionGroups } from './sessions.js';
import { applyStages, attempt, StageFailure } from './record-stages.js';
import type { PipelinePlan } from './stream.js';
import type { FixedWindow } from './windows.js';
import type {
  ExchangeStages,
  KeyedState,
  LateRecord,
  OutputMode,
  RecordFailure,
  StageOneInput,
  StageOneOutcome,
  StageTwoInput,
  StageTwoOutcome,
  ValueFailure,
} from './types.js';

/** A row of the exchange, as stage 1 writes it and stage 2 reads it. */
type ExchangeValue =
  | { readonly k: GroupKey; readonly w: number | null; readonly e?: number; readonly a: JsonValue; readonly o: string }
  | { readonly k: GroupKey; readonly w: number | null; readonly v: JsonValue; readonly o: string };

/** A KeyedState with nothing in it, which stage 1 combines over. */
const NO_STATE: KeyedState = {
  get: () => undefined,
  put: () => {},
  delete: () => {},
  entries: () => new Map<string, JsonValue>().entries(),
  size: 0,
};

export function compileExchangeStages(plan: PipelinePlan, decode: Decoder, outputMode: OutputMode): ExchangeStages {
  const aggregator = plan.aggregate!;
  const combines = aggregator.merge !== undefined;

  const sessionWindow = plan.window?.type === 'session' ? plan.window : undefined;

  function stageOne(input: StageOneInput): StageOneOutcome {
    const { records, watermarkMs, keyGroups } = input;
    const failures: RecordFailure[] = [];
    const rows: { group: number; row: JsonValue }[] = [];
    const sessions = sessionWindow === undefined ? undefined : new SessionGroups(NO_STATE, aggregator, sessionWindow);
    const combiner = combines && sessions === undefined ? new KeyedGroups(NO_STATE, aggregator, plan.window as FixedWindow) : undefined;
    const lastOffsets = new Map<string, string>();
    const late: LateRecord[] = [];
    let maxEventTimeMs: number | null = null;
    for (const record of records) {
      const pending: { group: number; row: JsonValue }[] = [];
      const touched: string[] = [];
      let lateAt: number | null = null;
      try {
        const decoded = attempt('decode', () => decode.fn(record));
        const result = applyStages(decoded, plan.stages, input.lookups && { values: input.lookups });
        for (const element of result.elements) {
          const { key, windowStarts, timeMs } = groupOf(plan, record, element, false, watermarkMs);
          if (windowStarts.length === 0) lateAt ??= element.eventTimeMs;
          if (sessions !== undefined && windowStarts.length > 0) {
            sessions.add(key, timeMs!, element.value);
            touched.push(JSON.stringify([key]));
          }
          for (const windowStart of sessions === undefined ? windowStarts : []) {
            if (combiner !== undefined) {
              touched.push(combiner.add(key, windowStart, element.value));
            } else {
              const v = attempt('aggregate', () => toJson(element.value, 'the value sent to its key group'));
              pending.push({ group: keyGroupOf(key, keyGroups), row: { k: key, w: windowStart, v, o: record.offset } });
            }
          }
        }
        combiner?.commitRecord();
        sessions?.commitRecord();
        for (const t of touched) lastOffsets.set(t, record.offset);
        for (const row of pending) rows.push(row);
        if (lateAt !== null) late.push({ record, eventTimeMs: lateAt });
        if (result.maxEventTimeMs !== null) maxEventTimeMs = Math.max(maxEventTimeMs ?? -Infinity, result.maxEventTimeMs);
      } catch (error) {
        if (!(error instanceof StageFailure)) throw error;
        combiner?.discardRecord();
        sessions?.discardRecord();
        failures.push({ record, stage: error.stage, reason: error.reason });
      }
    }
    for (const { key, windowStart, acc } of combiner?.partials() ?? []) {
      const o = lastOffsets.get(stateKeyOf(key, windowStart))!;
      rows.push({ group: keyGroupOf(key, keyGroups), row: { k: key, w: windowStart, a: acc, o } });
    }
    for (const { key, start, end, acc } of sessions?.partials() ?? []) {
      const o = lastOffsets.get(JSON.stringify([key]))!;
      rows.push({ group: keyGroupOf(key, keyGroups), row: { k: key, w: start, e: end, a: acc, o } });
    }
    return { rows, failures, lateRecords: late.length, late, maxEventTimeMs };
  }

  function stageTwo(input: StageTwoInput): StageTwoOutcome {
    const sessions = sessionWindow === undefined ? undefined : new SessionGroups(input.state, aggregator, sessionWindow);
    const groups = sessions === undefined ? new KeyedGroups(input.state, aggregator, plan.window as FixedWindow) : undefined;
    const failures: ValueFailure[] = [];
    for (const { partition, rows } of input.inputs) {
      // A record's values in this group are consecutive rows (stage 1 writes them together
      // and the exchange keeps its order): they are applied as one, as on the one-stage path.
      let failedOffset: string | null = null;
      rows.forEach((json, i) => {
        const row = json as ExchangeValue;
        if ('v' in row && row.o === failedOffset) return; // its record failed on an earlier value
        try {
          if (sessions !== undefined) {
            if ('a' in row && row.w === null && row.e === undefined) {
              // A key's stored sessions, as a regroup merges the shares partitions kept.
              sessions.mergeStored(row.k, row.a);
              sessions.commitRecord();
              return;
            }
            if (!('a' in row) || typeof row.w !== 'number' || typeof row.e !== 'number') {
              throw new StageFailure('aggregate', 'a session window takes combined sessions { k, w, e, a } from stage 1');
            }
            sessions.merge(row.k, row.w, row.e, row.a);
            sessions.commitRecord();
            return;
          }
          if ('a' in row) groups!.merge(row.k, row.w, row.a);
          else groups!.add(row.k, row.w, cloneJson(row.v));
          if ('a' in row || !sameRecord(row, rows[i + 1])) groups!.commitRecord();
        } catch (error) {
          if (!(error instanceof StageFailure)) throw error;
          groups?.discardRecord();
          sessions?.discardRecord();
          failedOffset = row.o;
          failures.push({ partition, offset: row.o, stage: error.stage, reason: error.reason, value: json });
        }
      });
    }
    const state = sessions ?? groups!;
    const rows: SinkRow[] = state.finish(outputMode, input.watermarkMs);
    rows.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return { rows, failures, dueAtWatermarkMs: state.nextDueAtWatermark() };
  }

  return Object.freeze({ combines, stageOne, stageTwo });
}

/** Whether the next row of a slice is another value of the same record. */
function sameRecord(row: ExchangeValue, next: JsonValue | undefined): boolean {
  return next !== undefined && 'v' in (next as ExchangeValue) && (next as ExchangeValue).o === row.o;
}
