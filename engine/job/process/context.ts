/**
 * What a process function's handlers receive: `ctx`, scoped to one key (Flink's
 * KeyedProcessFunction.Context / OnTimerContext with its TimerService and keyed state;
 * Spark's StatefulProcessorHandle, TimerValues and the grouping key).
 *
 * Emission (`ctx.emit(row, { key? })`, Flink's Collector.collect, Spark's returned rows):
 * a row is a JSON object, written as it is; any other JSON value is written as
 * `{ value }`, as a stateless job writes it. Its sink key:
 * - in onValue, `${partition}:${offset}:${index}:${n}`: the value's record and index
 *   among the record's values (as a stateless row's key) and n, the emit's number for
 *   that value (0, 1, ...);
 * - in onTimer, `${key}#${domain}@${timestampMs}:${n}` (domain 'eventTime' or
 *   'processingTime');
 * - with `{ key }`, the user's key: it must be a function of the input and state only
 *   (never of a clock or randomness), so that every attempt and every replay writes the
 *   same rows; a row written again under the same key replaces the earlier one.
 * Both defaults are the same on every attempt and replay of the batch.
 */
import { isJsonObject, type JsonObject } from '../../json.js';
import type { SinkRow } from '../../ports/sink.js';
import { toJson } from '../json-values.js';
import { type KeyData, stateHandles } from './key-state.js';
import type { StateDescriptors, StateOf, StateVariable } from './state-descriptors.js';
import { type TimerService, timerService } from './timers.js';

export interface EmitOptions {
  /** The row's sink key (default: derived from the value or the timer, see above). */
  readonly key?: string;
  /**
   * The job's named side output the row goes to (JobSpec.outputs) instead of the job's
   * sinks. A row for an output the job does not declare becomes a dead letter (stage 'sink').
   */
  readonly output?: string;
}

export interface ProcessContext<S extends StateDescriptors> {
  /** The current key (keyBy's). */
  readonly key: string | number;
  /**
   * onValue: the value's event time (withWatermark), or null when the pipeline declares
   * none. onTimer: the timer's timestamp for an event-time timer, null for a
   * processing-time one (Flink's ctx.timestamp()).
   */
  readonly eventTimeMs: number | null;
  /** The batch's watermark, fixed in its plan; null while the job has none (Flink's currentWatermark()). */
  readonly watermarkMs: number | null;
  /** The batch's processing time: its plan's time, the same on every attempt (Spark's getCurrentProcessingTimeInMs). */
  readonly timeMs: number;
  /** The key's state variables. */
  readonly state: StateOf<S>;
  readonly timers: TimerService;
  /** Writes a row to the sink (see the key rules above). */
  emit(row: unknown, options?: EmitOptions): void;
}

export interface ContextInput {
  readonly key: string | number;
  readonly eventTimeMs: number | null;
  readonly watermarkMs: number | null;
  readonly timeMs: number;
  readonly data: KeyData;
  readonly variables: readonly StateVariable[];
  /** The default key of the n-th row: `${defaultKeyPrefix}:${n}`. */
  readonly defaultKeyPrefix: string;
  /** Where emitted rows go (kept only when the handler succeeds). */
  readonly rows: SinkRow[];
}

export function contextOf<S extends StateDescriptors>(input: ContextInput): ProcessContext<S> {
  let n = 0;
  return Object.freeze({
    key: input.key,
    eventTimeMs: input.eventTimeMs,
    watermarkMs: input.watermarkMs,
    timeMs: input.timeMs,
    state: stateHandles(input.data, input.variables, input.timeMs) as StateOf<S>,
    timers: timerService(input.data),
    emit(row: unknown, options?: EmitOptions): void {
      const json = toJson(row, 'the emitted row');
      const value: JsonObject = isJsonObject(json) ? json : { value: json };
      const output = outputOf(options);
      input.rows.push({ key: rowKey(options, () => `${input.defaultKeyPrefix}:${n}`), value, ...(output === undefined ? {} : { output }) });
      n += 1;
    },
  });
}

function outputOf(options: EmitOptions | undefined): string | undefined {
  const output = options?.output;
  if (output === undefined) return undefined;
  if (typeof output !== 'string' || output === '') {
    throw new TypeError(`emit() output must be the name of one of the job's outputs, got ${JSON.stringify(output) ?? typeof output}`);
  }
  return output;
}

function rowKey(options: EmitOptions | undefined, byDefault: () => string): string {
  if (options === undefined) return byDefault();
  if (typeof options !== 'object' || options === null) throw new TypeError('emit() options must be an object: { key }');
  for (const field of Object.keys(options)) {
    if (field !== 'key' && field !== 'output') throw new TypeError(`emit() has no option '${field}' (its options are 'key' and 'output')`);
  }
  if (options.key === undefined) return byDefault();
  if (typeof options.key !== 'string' || options.key === '') {
    throw new TypeError(`emit() key must be a non-empty string, got ${JSON.stringify(options.key) ?? typeof options.key}`);
  }
  return options.key;
}
