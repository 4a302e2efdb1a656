/**
 * A keyed operator (keyed-operator.ts) in the stages of a batch: stage 1 on one
 * partition's records, stage 2 on one key group's values, and both in one executor for a
 * job whose keys are its partition keys (`run`).
 *
 * Stage 1, per record in order: decode once; for each input of the operator (one, or two
 * for a join, each with its own stages and keyBy over the same decoded value), the
 * stateless stages and the event time exactly as on the other paths (record-stages.ts),
 * then each value's key and the operator's lateness rule. A record that fails anywhere
 * (decode, a stage, its key, a value that is not JSON) leaves no value behind and becomes
 * a dead letter; its late values are counted only when it succeeds. Each surviving value
 * travels as `{ k, v, t, o, i, s }`: key, value, event time, offset, index among the
 * record's values, input (0 or 1).
 *
 * Stage 2: the group's values (the exchange keeps partition order and record order),
 * applied by the operator to the group's state; its failures become dead letters of
 * their partition and offset.
 *
 * Deterministic in their inputs: no clock, no randomness, sink rows sorted by key.
 */
import type { JsonValue } from '../json.js';
import type { SinkRow } from '../ports/sink.js';
import type { SourceRecord } from '../ports/source-reader.js';
import { keyGroupOf } from '../protocol/key-groups.js';
import type { Decoder } from './decode.js';
import { toJson } from './json-values.js';
import type { GroupKey } from './keyed-groups.js';
import { keyOf } from './key-of.js';
import type { KeyedOperator, KeyedTimerFailure, KeyedValue } from './keyed-operator.js';
import type { LookupValues } from './lookup.js';
import { applyStages, attempt, StageFailure } from './record-stages.js';
import type { PipelinePlan } from './stream.js';
import type {
  ExchangeStages,
  LateRecord,
  PipelineInput,
  PipelineOutcome,
  RecordFailure,
  StageOneInput,
  StageOneOutcome,
  StageTwoInput,
  StageTwoOutcome,
  ValueFailure,
} from './types.js';

/** A value in the exchange, as stage 1 writes it and stage 2 reads it. */
interface OperatorRow {
  readonly k: GroupKey;
  readonly v: JsonValue;
  readonly t: number | null;
  readonly o: string;
  readonly i: number;
  readonly s: 0 | 1;
}

interface StageOneValues {
  readonly values: { readonly record: SourceRecord; readonly row: OperatorRow }[];
  readonly failures: RecordFailure[];
  readonly late: LateRecord[];
  readonly maxEventTimeMs: number | null;
}

export function compileOperatorStages(
  plan: PipelinePlan,
  decode: Decoder,
  options: { readonly keyIsPartitionKey: boolean },
): ExchangeStages & { run(input: PipelineInput): PipelineOutcome } {
  const operator: KeyedOperator = plan.operator!;
  const inputs = [{ stages: plan.stages, keyBy: plan.keyBy! }, ...(plan.other === undefined ? [] : [plan.other])];

  function valuesOf(
    records: readonly SourceRecord[],
    watermarkMs: number | null,
    keyIsPartitionKey: boolean,
    lookups: LookupValues | undefined,
  ): StageOneValues {
    const values: { record: SourceRecord; row: OperatorRow }[] = [];
    const failures: RecordFailure[] = [];
    const late: LateRecord[] = [];
    let maxEventTimeMs: number | null = null;
    for (const record of records) {
      try {
        const decoded = attempt('decode', () => decode.fn(record));
        const own: OperatorRow[] = [];
        let firstLateMs: number | null = null;
        let index = 0;
        let recordMax: number | null = null;
        inputs.forEach(({ stages, keyBy }, side) => {
          const result = applyStages(decoded, stages, lookups && { values: lookups });
          if (result.maxEventTimeMs !== null) recordMax = Math.max(recordMax ?? -Infinity, result.maxEventTimeMs);
          for (const element of result.elements) {
            const k = keyOf(keyBy, element.value, record, keyIsPartitionKey);
            if (operator.isLate?.(element.eventTimeMs, watermarkMs) === true) {
              firstLateMs ??= element.eventTimeMs;
              continue;
            }
            const v = attempt('output', () => toJson(element.value, 'the value sent to its key'));
            own.push({ k, v, t: element.eventTimeMs, o: record.offset, i: index++, s: side as 0 | 1 });
          }
        });
        for (const row of own) values.push({ record, row });
        if (firstLateMs !== null) late.push({ record, eventTimeMs: firstLateMs });
        if (recordMax !== null) maxEventTimeMs = Math.max(maxEventTimeMs ?? -Infinity, recordMax);
      } catch (error) {
        if (!(error instanceof StageFailure)) throw error;
        failures.push({ record, stage: error.stage, reason: error.reason });
      }
    }
    return { values, failures, late, maxEventTimeMs };
  }

  function stageOne(input: StageOneInput): StageOneOutcome {
    const { values, failures, late, maxEventTimeMs } = valuesOf(input.records, input.watermarkMs, false, input.lookups);
    const rows = values.map(({ row }) => ({ group: keyGroupOf(row.k, input.keyGroups), row: row as unknown as JsonValue }));
    return { rows, failures, lateRecords: late.length, late, maxEventTimeMs };
  }

  function stageTwo(input: StageTwoInput): StageTwoOutcome {
    const values: KeyedValue[] = [];
    const rowOf = new Map<KeyedValue, JsonValue>();
    for (const { partition, rows } of input.inputs) {
      for (const json of rows) {
        const row = json as unknown as OperatorRow;
        const value = keyedValueOf(row, partition);
        values.push(value);
        rowOf.set(value, json);
      }
    }
    const outcome = operator.apply({ values, state: input.state, watermarkMs: input.watermarkMs, timeMs: input.timeMs });
    const failures: ValueFailure[] = outcome.failures.map((f) => ({
      partition: f.value.partition,
      offset: f.value.offset,
      stage: f.stage,
      reason: f.reason,
      value: rowOf.get(f.value) ?? null,
    }));
    for (const t of outcome.timerFailures ?? []) {
      const { partition, offset, payload } = timerLetter(t, input.scope ?? 'timers');
      failures.push({ partition, offset, stage: t.stage, reason: t.reason, value: payload });
    }
    return { rows: sortedRows(outcome.rows), failures, dueAtWatermarkMs: outcome.dueAtWatermarkMs, dueAtMs: outcome.dueAtMs };
  }

  /** Both stages in one executor, over the partition's own state (keyedBy: 'partitionKey'). */
  function run(input: PipelineInput): PipelineOutcome {
    const one = valuesOf(input.records, input.watermarkMs, options.keyIsPartitionKey, input.lookups);
    const values = one.values.map(({ row }) => keyedValueOf(row, input.partition));
    const recordOf = new Map(one.values.map(({ record }) => [record.offset, record]));
    const outcome = operator.apply({ values, state: input.state, watermarkMs: input.watermarkMs, timeMs: input.timeMs });
    const failures: RecordFailure[] = [...one.failures];
    const failed = new Set<string>();
    for (const f of outcome.failures) {
      if (failed.has(f.value.offset)) continue; // a record is one dead letter, however many of its values failed
      failed.add(f.value.offset);
      failures.push({ record: recordOf.get(f.value.offset)!, stage: f.stage, reason: f.reason });
    }
    for (const t of outcome.timerFailures ?? []) {
      const { partition, offset, payload } = timerLetter(t, input.partition);
      const data = new TextEncoder().encode(JSON.stringify(payload));
      failures.push({
        record: { partition, offset, key: String(t.key), data, arrivalTimeMs: input.timeMs },
        stage: t.stage,
        reason: t.reason,
      });
    }
    return { rows: sortedRows(outcome.rows), failures, lateRecords: one.late.length, late: one.late, maxEventTimeMs: one.maxEventTimeMs };
  }

  return Object.freeze({ combines: false, stageOne, stageTwo, run });
}

/** An exchange row of `partition` as the operator's value. */
function keyedValueOf(row: OperatorRow, partition: string): KeyedValue {
  return { key: row.k, value: row.v, eventTimeMs: row.t, partition, offset: row.o, index: row.i, side: row.s };
}

/** Where a failed timer's dead letter is filed: its state's scope, an offset naming the timer and its key, the timer as payload. */
function timerLetter(t: KeyedTimerFailure, scope: string): { partition: string; offset: string; payload: JsonValue } {
  return {
    partition: scope,
    offset: `timer:${t.domain}@${t.timestampMs}:${JSON.stringify(t.key)}`,
    payload: { key: t.key, domain: t.domain, timestampMs: t.timestampMs },
  };
}

/** Sink rows in code-unit order of their keys: the order never depends on the operator's. */
function sortedRows(rows: readonly SinkRow[]): SinkRow[] {
  return [...rows].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
