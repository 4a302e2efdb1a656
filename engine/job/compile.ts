import { isJsonObject } from '../json.js';
import type { SinkRow } from '../ports/sink.js';
import type { SourceRecord } from '../ports/source-reader.js';
import type { Decoder } from './decode.js';
import { toJson } from './json-values.js';
import { compileExchangeStages } from './exchange-stages.js';
import { groupOf } from './group-of.js';
import { aggregationOf } from './aggregation.js';
import { groupKeyOfStateKey } from './keyed-groups.js';
import { compileLookups } from './lookup-keys.js';
import { compileOperatorStages } from './operator-stages.js';
import { applyStages, attempt, StageFailure, type Element } from './record-stages.js';
import { specError } from './spec-checks.js';
import { describePlan, type PipelinePlan } from './stream.js';
import type { CompiledPipeline, KeyedBy, LateRecord, OutputMode, PipelineInput, PipelineOutcome, RecordFailure } from './types.js';

/**
 * Compiles a pipeline's plan into the CompiledPipeline the executor runs on one
 * partition's records of one batch. Semantics, those of Spark Structured Streaming:
 *
 * - Records are processed in order. A record that fails a stage (decode, map, filter,
 *   flatMap, eventTime, keyBy, aggregate, or 'output' for a stateless value that is not
 *   JSON) is skipped as a whole (none of its values reach state or rows), reported as a
 *   RecordFailure with the stage and error, and processing continues. run() never
 *   throws for a bad record.
 * - The watermark is the plan's (`input.watermarkMs`), fixed before the batch from the
 *   batches before it; nothing inside a batch moves it, so a re-run does the same.
 *   withWatermark drops nothing: a value is late only when the state it would update is
 *   final (lateness.ts, as Spark's stateful operators filter by window end): all its
 *   windows ended at or before the watermark (a sliding window's value still goes to
 *   those open), or its session's t + gap <= watermark. Running aggregates and
 *   stateless pipelines never drop a value as late. A record with a late value is
 *   counted in lateRecords and listed in `late` (its other values still count).
 * - maxEventTimeMs: the highest event time seen at withWatermark in this batch (records
 *   that failed excluded), from which the planner derives the next watermark.
 * - Stateful output (keyed-groups.ts, sessions.ts): update mode writes every group that
 *   received a value in this batch, with its absolute value; append mode writes a window
 *   (or session) once, when the watermark passes its end and it is evicted from state.
 *   Windows whose end <= watermark are evicted in both modes; running aggregates without
 *   a window never.
 * - Stateless output: every value is a row keyed `${partition}:${offset}:${index}`.
 *
 * run() is deterministic in (records, state, watermark): no clock, no randomness, and
 * rows sorted by key (code-unit order, not locale order).
 */
export function compilePipeline(
  plan: PipelinePlan,
  decode: Decoder,
  outputMode: OutputMode,
  options: { readonly keyedBy?: KeyedBy } = {},
): CompiledPipeline {
  const keyIsPartitionKey = options.keyedBy === 'partitionKey';
  const watermarkStage = plan.stages.find((s) => s.kind === 'withWatermark');
  const allowedLatenessMs = watermarkStage?.kind === 'withWatermark' ? watermarkStage.allowedLatenessMs : null;
  checkOutputMode(plan, outputMode, allowedLatenessMs !== null);
  const description = [`decode(${decode.name})`, describePlan(plan)].filter((s) => s !== '').join(' > ');

  const lookups = compileLookups(plan, decode);
  const withLookups = lookups === undefined ? {} : { lookups };

  if (plan.operator !== undefined) {
    // A keyed operator other than an aggregate (keyed-operator.ts): its own stages, through
    // the exchange unless the keys are the partition keys. Its state keys are `[key]`.
    const { run, combines, stageOne, stageTwo } = compileOperatorStages(plan, decode, { keyIsPartitionKey });
    const groupKeyOf = (stateKey: string): string | null => groupKeyOfStateKey(stateKey, false);
    const exchange = keyIsPartitionKey ? {} : { exchange: Object.freeze({ combines, stageOne, stageTwo }) };
    const firesByProcessingTime = plan.operator.firesByProcessingTime === true;
    return Object.freeze({ run, allowedLatenessMs, description, firesByProcessingTime, groupKeyOf, ...exchange, ...withLookups });
  }

  function run(input: PipelineInput): PipelineOutcome {
    const { records, state, watermarkMs } = input;
    const failures: RecordFailure[] = [];
    const rows: SinkRow[] = [];
    const groups = plan.aggregate ? aggregationOf(plan, state) : undefined;
    const late: LateRecord[] = [];
    let maxEventTimeMs: number | null = null;

    for (const record of records) {
      try {
        const decoded = attempt('decode', () => decode.fn(record));
        const result = applyStages(decoded, plan.stages, input.lookups && { values: input.lookups });
        let lateAt: number | null = null;
        if (groups !== undefined) {
          for (const element of result.elements) {
            const valueGroups = groupOf(plan, record, element, keyIsPartitionKey, watermarkMs);
            if (valueGroups.windowStarts.length === 0) lateAt ??= element.eventTimeMs;
            else groups.add(valueGroups, element.value);
          }
          groups.commitRecord();
        } else {
          for (const row of statelessRows(record, result.elements)) rows.push(row);
        }
        if (lateAt !== null) late.push({ record, eventTimeMs: lateAt });
        if (result.maxEventTimeMs !== null) {
          maxEventTimeMs = Math.max(maxEventTimeMs ?? -Infinity, result.maxEventTimeMs);
        }
      } catch (error) {
        if (!(error instanceof StageFailure)) throw error;
        groups?.discardRecord();
        failures.push({ record, stage: error.stage, reason: error.reason });
      }
    }

    // (A loop, not push(...rows): an append batch may close more windows than a call takes arguments.)
    if (groups !== undefined) for (const row of groups.finish(outputMode, watermarkMs)) rows.push(row);
    rows.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return { rows, failures, lateRecords: late.length, late, maxEventTimeMs };
  }

  // Only a keyed aggregation keeps state; its state keys name their group.
  // (A session window keeps one entry per key, the running aggregate's layout: sessions.ts.)
  const windowed = plan.window !== undefined && plan.window.type !== 'session';
  const groupKeyOf = (stateKey: string): string | null => (plan.aggregate === undefined ? null : groupKeyOfStateKey(stateKey, windowed));

  // A keyed job whose keys are not declared to be its partition keys groups through the
  // exchange (exchange-stages.ts); `run` stays the one-stage path of the others.
  const exchange = plan.aggregate !== undefined && !keyIsPartitionKey ? compileExchangeStages(plan, decode, outputMode) : undefined;
  return Object.freeze({
    run,
    allowedLatenessMs,
    description,
    groupKeyOf,
    ...(exchange === undefined ? {} : { exchange }),
    ...withLookups,
  });
}

/** Spark's output-mode rules for streaming aggregations. */
function checkOutputMode(plan: PipelinePlan, outputMode: OutputMode, hasWatermark: boolean): void {
  if (plan.aggregate === undefined) return; // stateless: every value is written once, either mode
  if (outputMode === 'append' && plan.window === undefined) {
    throw specError(
      'outputMode',
      "'append' needs a windowed aggregation: a running aggregate per key (keyBy().aggregate()) never closes, " +
        "so it only supports 'update'",
    );
  }
  if (outputMode === 'append' && !hasWatermark) {
    throw specError(
      'outputMode',
      "'append' with a windowed aggregation needs an event-time watermark to know when a window is complete: " +
        'add .withWatermark(eventTimeFn, { allowedLatenessMs }) before keyBy()',
    );
  }
}

/**
 * A stateless job writes each value as a row: a JSON object as it is, anything else as
 * `{ value }`. The key `${partition}:${offset}:${index}` (index among the record's
 * values) is the same on every re-run of the batch, so rewrites replace the same rows.
 */
function statelessRows(record: SourceRecord, elements: readonly Element[]): SinkRow[] {
  return elements.map((element, index) => {
    const json = attempt('output', () => toJson(element.value));
    return {
      key: `${record.partition}:${record.offset}:${index}`,
      value: isJsonObject(json) ? json : { value: json },
    };
  });
}
