import type { JsonValue } from '../json.js';
import type { SinkRow, SinkSpec } from '../ports/sink.js';
import type { SourceRecord, SourceSpec } from '../ports/source-reader.js';
import type { StartingPosition } from '../protocol/offsets.js';
import type { LookupPlan, LookupValues } from './lookup.js';

/**
 * When batches run.
 * - interval: a batch starts every `intervalMs` (or at once when the last one took longer).
 * - availableNow: process what the source holds, then stop once every partition is caught up
 *   (after one more batch that reads nothing when the last one advanced the watermark, so
 *   that the windows it closes are emitted: engine/protocol/no-data-batch.ts).
 */
export type Trigger = { readonly type: 'interval'; readonly intervalMs: number } | { readonly type: 'availableNow' };

/**
 * update: every batch writes the current value of each window/key it changed.
 * append: a window is written once, when the watermark passes its end, and never again.
 */
/** How a keyed job's keys relate to the source's partitioning (JobSpec.keyedBy). */
export type KeyedBy = 'partitionKey';

export type OutputMode = 'update' | 'append';

export interface CheckpointSettings {
  /** Write a full snapshot of a partition's state after this many deltas (default 10). */
  readonly snapshotEvery: number;
  /** Keep WAL records and state versions of the last this many committed batches (default 100). */
  readonly retainBatches: number;
}

/**
 * The keyed state of one partition during one batch. Reads see this batch's own writes.
 * Values must be JSON. The executor persists the changes as the next state version.
 */
export interface KeyedState {
  get(key: string): JsonValue | undefined;
  put(key: string, value: JsonValue): void;
  delete(key: string): void;
  /** Every (key, value) as the batch sees it now. */
  entries(): IterableIterator<[string, JsonValue]>;
  readonly size: number;
}

/** A record the pipeline could not process: it goes to the dead-letter table. */
export interface RecordFailure {
  readonly record: SourceRecord;
  readonly stage: string;
  readonly reason: string;
}

export interface PipelineInput {
  readonly records: readonly SourceRecord[];
  readonly state: KeyedState;
  /** The batch's watermark from its plan; null while the job has none. */
  readonly watermarkMs: number | null;
  /**
   * The batch's processing time: when its plan was made (BatchPlan.plannedAt), the same on
   * every attempt. Processing-time timers and state TTLs compare with it, never with a clock.
   */
  readonly timeMs: number;
  readonly batchId: number;
  readonly partition: string;
  /** The values of the pipeline's lookup stages for these records (engine/executor/resolve-lookups.ts). */
  readonly lookups?: LookupValues;
}

/**
 * A record with a value too late for the state it would update (engine/job/lateness.ts):
 * its late values were dropped, and `eventTimeMs` is the first late value's event time.
 */
export interface LateRecord {
  readonly record: SourceRecord;
  readonly eventTimeMs: number;
}

export interface PipelineOutcome {
  readonly rows: SinkRow[];
  readonly failures: RecordFailure[];
  /** Records with a value too late for its state (lateness.ts): late.length. */
  readonly lateRecords: number;
  /** Those records, in record order, for the job's late-records sink. */
  readonly late: readonly LateRecord[];
  /** Highest event time among this batch's accepted records; null when none carried one. */
  readonly maxEventTimeMs: number | null;
}

/**
 * A job's pipeline, compiled: applies it to one partition's records of one batch.
 * It must be deterministic in its input (records, state, watermark): no clock, no
 * randomness, so that a re-run of a batch writes exactly the same state and rows.
 */
export interface CompiledPipeline {
  run(input: PipelineInput): PipelineOutcome;
  /** Allowed lateness of the event-time watermark, or null when the pipeline declares none. */
  readonly allowedLatenessMs: number | null;
  /** A short description of the operators, for logs and docs ("decode > map > window(60s) > count"). */
  readonly description: string;
  /** Its keyed operator may have work due by processing time alone (KeyedOperator.firesByProcessingTime). Absent: false. */
  readonly firesByProcessingTime?: boolean;
  /**
   * The group key (as a string) a state key belongs to, or null when the state key is not
   * one of this pipeline's. Used to divide keyed state when a Kinesis shard splits.
   */
  groupKeyOf(stateKey: string): string | null;
  /**
   * The pipeline in two stages, present when it groups by key through the exchange (a
   * keyed aggregate whose keys are not declared to be the partition keys).
   */
  readonly exchange?: ExchangeStages;
  /** The pipeline's lookup stages, present when it has some: the executor resolves their keys before it runs. */
  readonly lookups?: LookupPlan;
}

/** A value stage 2 could not apply (exchange-stages.ts): it becomes a dead letter of its record. */
export interface ValueFailure {
  readonly partition: string;
  readonly offset: string;
  readonly stage: string;
  readonly reason: string;
  /** The exchange row that failed, as JSON. */
  readonly value: JsonValue;
}

/** Stage 1's input: one partition's records of a batch. */
export interface StageOneInput {
  readonly records: readonly SourceRecord[];
  readonly watermarkMs: number | null;
  readonly keyGroups: number;
  /** The values of the pipeline's lookup stages for these records. */
  readonly lookups?: LookupValues;
}

/** Stage 2's input: one key group's rows from every partition, in plan order, and its state. */
export interface StageTwoInput {
  readonly inputs: readonly { readonly partition: string; readonly rows: readonly JsonValue[] }[];
  readonly state: KeyedState;
  readonly watermarkMs: number | null;
  /** As PipelineInput.timeMs: the batch plan's time. */
  readonly timeMs: number;
  /** The state's scope (`keygroup-0003`), under which failures without a record (a timer's) are filed. */
  readonly scope?: string;
}

export interface StageOneOutcome {
  /** The partition's rows, each routed to its key group, in record order. */
  readonly rows: { readonly group: number; readonly row: JsonValue }[];
  readonly failures: RecordFailure[];
  readonly lateRecords: number;
  /** The records counted in lateRecords, in record order (stage 1 decides lateness). */
  readonly late: readonly LateRecord[];
  readonly maxEventTimeMs: number | null;
}

export interface StageTwoOutcome {
  readonly rows: SinkRow[];
  readonly failures: ValueFailure[];
  /** The lowest watermark at which the group's state next has work due (a window to evict, an event-time timer); null when none. */
  readonly dueAtWatermarkMs: number | null;
  /** The lowest batch time at which the group's state next has work due (a processing-time timer, a TTL); null or absent when none. */
  readonly dueAtMs?: number | null;
}

/**
 * A keyed pipeline in the two stages of a batch on the exchange path (exchange-stages.ts):
 * stage 1 on one partition's records, stage 2 on one key group's rows and state.
 * Deterministic in their inputs, as CompiledPipeline.run is.
 */
export interface ExchangeStages {
  /** Stage 1 combines each partition's values per (key, window) before the exchange (the aggregate has a merge). */
  readonly combines: boolean;
  stageOne(input: StageOneInput): StageOneOutcome;
  stageTwo(input: StageTwoInput): StageTwoOutcome;
}

export interface JobSource {
  readonly spec: SourceSpec;
  readonly startingPosition: StartingPosition;
  /**
   * Spark's failOnDataLoss: when records the job still has to read have aged out of the
   * source, stop with DataLossError (true, the default) or skip to the earliest records
   * still held and record what was skipped in the WAL and the metrics (false).
   */
  readonly failOnDataLoss?: boolean;
  /**
   * Kinesis: how the producers route a group (keyBy) key to a shard, as its 128-bit hash
   * key. A reshard divides a parent's state by it (engine/protocol/lineage.ts). Absent:
   * MD5 of the key, Kinesis's routing when the key is the records' partition key.
   */
  readonly hashKeyOf?: (groupKey: string) => bigint;
}

/**
 * How a job version converts the keyed state an older version wrote (JobSpec.migrations).
 * `state` is called once per state entry of every partition, in key order, by the first
 * batch that runs under the new version (and by a replay that starts from an older
 * version's checkpoint); it returns the entry to keep, possibly with another key or
 * value, or null to drop it. It must be deterministic (no clock, no randomness): a re-run
 * of that batch migrates again and must write the same state.
 */
export interface StateMigration {
  /** The version whose state this converts: any version other than the job's own. */
  readonly fromVersion: number;
  readonly state: (key: string, value: JsonValue) => { readonly key: string; readonly value: JsonValue } | null;
}

/** The late-records side output: every late record as a row of this sink (engine/executor/late-rows.ts). */
export interface LateRecordsOutput {
  readonly sink: SinkSpec;
}

/**
 * The dead-letter ratio guard (JobSpec.deadLetterLimit): a batch of at least `minRecords`
 * records that dead-letters more than `maxRatio` of them fails the job, with the reason
 * (engine/driver/dead-letter-limit.ts).
 */
export interface DeadLetterLimit {
  /** The largest share of a batch's records that may be dead-lettered, in (0, 1]. */
  readonly maxRatio: number;
  /** Batches with fewer records are not judged: a few bad records in a small batch are no pattern. */
  readonly minRecords: number;
}

/** A job, as `defineJob` returns it: validated, with defaults filled in. */
export interface JobDefinition {
  readonly name: string;
  readonly version: number;
  readonly source: JobSource;
  /** The job's first sink (the one the demo, the CLI and the harness read). */
  readonly sink: SinkSpec;
  /** Every sink the job's rows go to, `sink` first (engine/job/outputs.ts). */
  readonly sinks: readonly SinkSpec[];
  /** Named side outputs and their sinks (rows a process function emits with `{ output }`). */
  readonly outputs: Readonly<Record<string, readonly SinkSpec[]>>;
  /** A copy of every dead letter as a row of this sink, besides the dead-letter table. */
  readonly deadLetters?: { readonly sink: SinkSpec };
  /** The dead-letter ratio guard; null when the job turned it off (deadLetterLimit: false). */
  readonly deadLetterLimit: DeadLetterLimit | null;
  readonly pipeline: CompiledPipeline;
  /**
   * The fingerprint of the shape of the job's keyed state (engine/job/state-shape.ts):
   * recorded in every batch plan, and compared with the checkpoint's under the same version.
   */
  readonly stateShape: string;
  readonly trigger: Trigger;
  readonly outputMode: OutputMode;
  /** The rate limit: the most records one batch reads from one partition. */
  readonly maxRecordsPerPartition: number;
  /**
   * Set when neither the job nor its instance set maxRecordsPerPartition: it is then the
   * default for the trigger the instance runs with (engine/job/rate-limit.ts).
   */
  readonly rateLimitFromTrigger?: true;
  readonly checkpoint: CheckpointSettings;
  /** State migrations from older versions (none by default). */
  readonly migrations: readonly StateMigration[];
  /** Set when the job declares its keys are the source's partition keys (checked per record). */
  readonly keyedBy?: KeyedBy;
  /** Where late records are written (JobSpec.lateRecords); absent: they are dropped and counted. */
  readonly lateRecords?: LateRecordsOutput;
  /**
   * Set when the job's keyed state lives in key groups and its batches run in two
   * stages with an exchange (pipeline.exchange is then present): their number.
   */
  readonly keyGroups?: number;
}
