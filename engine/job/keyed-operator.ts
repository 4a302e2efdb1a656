import type { JsonValue } from '../json.js';
import type { SinkRow } from '../ports/sink.js';
import type { KeyedState } from './types.js';

/**
 * A keyed operator that is not an aggregate: the state and the output of each key are
 * the operator's own. Keyed process functions, deduplication and interval joins are
 * keyed operators; `keyBy().aggregate()` keeps its own path (keyed-groups.ts), with a
 * combiner before the exchange.
 *
 * Where it runs (operator-stages.ts):
 *   stage 1   per partition, in record order: decode, the stateless stages, the key of
 *             each value (keyBy), its event time (withWatermark, or none), and the
 *             operator's lateness rule (`isLate`); each value that is not late travels to
 *             its key's group as `{ k, v, t, o, i, s }`.
 *   stage 2   per key group: `apply` with the group's values (partition by partition in
 *             the plan's order, each in record order), its state, the batch's watermark
 *             and the batch's time, both from the plan.
 * A job declaring `keyedBy: 'partitionKey'` runs both in one executor per partition, over
 * the partition's state: the same functions, so both paths give the same results.
 *
 * The rules an operator keeps:
 * - Deterministic: `apply` is a function of its input. It reads no clock (processing time
 *   is `timeMs`, the plan's time) and no randomness, so every attempt and every replay of
 *   a batch writes the same state and the same rows.
 * - State keys are `JSON.stringify([key])`, one entry per key (stateKeyOf(key, null)), so
 *   that a key's state can be routed to its key group (keyOfStateKey), migrated and
 *   regrouped like an aggregate's. Values are JSON.
 * - Bounded state: whatever it keeps is released by the watermark, by a timer or by a TTL.
 *   `dueAtWatermarkMs` and `dueAtMs` tell the driver when the group next has work to do
 *   without input (a timer, an expiry): the group then runs in the batch whose watermark
 *   (or plan time) reaches them, even when it receives no values.
 * - Rows are absolute and keyed deterministically: the same (partition, offset, index) or
 *   the same (key, timer) gives the same row key on every run.
 * - A value it cannot apply is a failure of that value (its record becomes a dead letter
 *   at `stage`); the values before and after it are applied. A value's effects are atomic:
 *   a failed value leaves no trace in state or rows.
 */
export interface KeyedOperator {
  /** For the pipeline's description: "process", "dropDuplicatesWithinWatermark", "intervalJoin(-5s, +10s)". */
  readonly description: string;
  /**
   * What it stores per key, for the job's state-shape fingerprint (state-shape.ts): the
   * operator's kind, and a process function's state variables with their kinds. Settings
   * that only change when state is released (a TTL, a join's bounds) are not part of it.
   * Absent: the description stands for it.
   */
  readonly stateShape?: JsonValue;
  /**
   * Whether work may fall due by processing time alone, with no input: a process
   * function's processing-time timers, a TTL's expiry. A caught-up job whose operator may
   * fire so is never skipped on the one-stage path, where no due time is recorded
   * (engine/protocol/empty-trigger.ts). Absent: false.
   */
  readonly firesByProcessingTime?: boolean;
  /** How many inputs the operator takes: 1, or 2 for a join (the values' `side` tells them apart). */
  readonly inputs: 1 | 2;
  /**
   * Whether a value arriving at the batch's watermark is late: stage 1 then drops it,
   * counts it and sends its record to the late side output. Absent: no value is late
   * (the operator sees every value, behind the watermark or not, as Flink's process
   * functions do).
   */
  readonly isLate?: (eventTimeMs: number | null, watermarkMs: number | null) => boolean;
  /** Stage 2 for one key group's values of a batch (see the rules above). */
  apply(input: KeyedOperatorInput): KeyedOperatorOutcome;
}

/** One value on its way to its key's operator. */
export interface KeyedValue {
  /** Its keyBy key (GroupKey). */
  readonly key: string | number;
  /** The value, as JSON: it crossed the exchange (or could have). */
  readonly value: JsonValue;
  /** Its event time (withWatermark), or null when the pipeline declares none. */
  readonly eventTimeMs: number | null;
  readonly partition: string;
  readonly offset: string;
  /** Its index among its record's values (a flatMap may give several): with partition and offset, a unique id. */
  readonly index: number;
  /** Which input it comes from: 0, or 1 for the second input of a join. */
  readonly side: 0 | 1;
}

export interface KeyedOperatorInput {
  /** The group's values: partition by partition in the plan's order, each partition's in record order. */
  readonly values: readonly KeyedValue[];
  readonly state: KeyedState;
  /** The batch's watermark, from its plan; null while the job has none. */
  readonly watermarkMs: number | null;
  /** The batch's processing time, from its plan (BatchPlan.plannedAt). */
  readonly timeMs: number;
}

export interface KeyedValueFailure {
  readonly value: KeyedValue;
  /** The stage its dead letter names: the operator's own ('process', 'deduplicate', 'join'...). */
  readonly stage: string;
  readonly reason: string;
}

/** A timer whose handler failed (a process function's onTimer threw): it has no record, so it is a dead letter of its own. */
export interface KeyedTimerFailure {
  readonly key: string | number;
  readonly domain: 'eventTime' | 'processingTime';
  readonly timestampMs: number;
  readonly stage: string;
  readonly reason: string;
}

export interface KeyedOperatorOutcome {
  readonly rows: SinkRow[];
  readonly failures: KeyedValueFailure[];
  /**
   * Timers whose handler failed. Each becomes a dead letter filed under the state's scope
   * (its key group, or its partition) at offset `timer:<domain>@<timestamp>:<key as JSON>`,
   * with the timer as its payload (operator-stages.ts).
   */
  readonly timerFailures?: readonly KeyedTimerFailure[];
  /** The lowest watermark at which the state next has work due without input; null when none. */
  readonly dueAtWatermarkMs: number | null;
  /** The lowest batch time at which the state next has work due without input; null when none. */
  readonly dueAtMs: number | null;
}
