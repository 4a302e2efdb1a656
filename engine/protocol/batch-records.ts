/**
 * The records of the write-ahead log of one job (the protocol that writes and reads them
 * is written at the top of planning.ts):
 *
 *   BatchPlan    the offset log entry of a batch (step 1, plan): written once, never changed
 *   BatchCommit  the commit log entry (step 3, commit): the plan's outcome and metrics
 *   BatchRecord  what the WAL holds per batch: the plan, its status, and its commit once
 *                committed. How a record is stored, and read back, is batch-record-format.ts.
 *
 * PartitionResult is what an executor returns for one partition (step 2, execute), and
 * on the two-stage path GroupResult what a stage-2 executor returns for one key group;
 * the driver builds the commit from the results (commit.ts).
 */
import type { HashKeyRange } from './lineage.js';
import type { Offset, RangeEnd, StartPosition } from './offsets.js';

export const BatchStatus = {
  PLANNED: 'PLANNED',
  COMMITTED: 'COMMITTED',
} as const;
export type BatchStatus = (typeof BatchStatus)[keyof typeof BatchStatus];

/** The first batch of a job. State version 0 is the empty state every partition starts from. */
export const FIRST_BATCH_ID = 1;
export const EMPTY_STATE_VERSION = 0;

/**
 * A key group's state between batches, on the exchange path (docs/design/key-groups.md):
 * the version holding it, its size, and when it next has work due even without input:
 * the lowest watermark (a window to evict or emit, an event-time timer, state that
 * expires behind the watermark) and the lowest processing time (a processing-time timer,
 * state whose TTL runs out), compared with a plan's `plannedAt`.
 */
export interface GroupState {
  readonly version: number;
  readonly rows: number;
  /** The group has something to evict or emit once a batch's watermark reaches this; absent: nothing due. */
  readonly dueAtWatermarkMs?: number;
  /** The group has something due once a batch is planned at or after this time (ms since the epoch); absent: nothing due. */
  readonly dueAtMs?: number;
}

/** A parent's final state a child shard's first batch builds on. */
export interface InheritedState {
  readonly partition: string;
  readonly stateVersion: number;
  /**
   * The job version the parent's final state was written in, when it is not the plan's:
   * the executor applies the job's state migration from it before dividing the state.
   */
  readonly jobVersion?: number;
}

export interface PartitionPlan {
  readonly partition: string;
  readonly start: StartPosition;
  /** The rate limit: at most this many records are read for this partition in this batch. */
  readonly maxRecords: number;
  /** The state version this batch builds on: the partition's state after its last batch that changed it. */
  readonly baseStateVersion: number;
  /** A range fixed at plan time (Kafka): the records at offsets in [start, endBefore). */
  readonly endBefore?: Offset;
  /** With endBefore: the range reaches the partition's end as it was when planned. */
  readonly endIsTail?: boolean;
  /**
   * With endBefore: the range's byte bound. It ends at the record whose data brings its
   * records to this many bytes, if that record comes before endBefore (its end then says
   * cutBefore: engine/protocol/offsets.ts), so that an executor's read of a partition of
   * large records stays within its memory and time whatever the cap. Plans written
   * without it read the whole range.
   */
  readonly maxBytes?: number;
  /** Offsets [from, to) that had aged out of the source and were skipped (the job allows data loss). */
  readonly skipped?: { readonly from: Offset; readonly to: Offset };
  /** The first plan of a child shard: the parents' final state versions its state is built from. */
  readonly inherits?: readonly InheritedState[];
  /** The partition's hash key range (Kinesis), which decides which inherited keys it owns. */
  readonly hashKeyRange?: HashKeyRange;
  /**
   * The source listed the partition as closed when this was planned (a Kinesis shard
   * after a split or merge): an empty read at the tail is not its end, so the reader
   * follows the shard until the source says it ended (readRange).
   */
  readonly closed?: true;
}

export interface BatchPlan {
  readonly jobId: string;
  readonly batchId: number;
  /** The epoch of the driver that wrote the plan. */
  readonly epoch: number;
  readonly plannedAt: number;
  /** Event-time watermark for this batch; null until the job has seen an event time. */
  readonly watermarkMs: number | null;
  /** Highest event time seen by committed batches before this one (carried forward). */
  readonly maxEventTimeMs: number | null;
  readonly partitions: readonly PartitionPlan[];
  /** The job's starting position as resolved by its first plan; partitions that appear later start there too. */
  readonly startingPosition: StartPosition;
  /** Partitions read to their end (closed shards), with their final state version (carried forward). */
  readonly finished: Readonly<Record<string, number>>;
  /**
   * Finished partitions whose children have built their first state from them, with the
   * batch whose plan did (carried forward while the partition is in `finished`). Absent
   * when there is none (the planner writes it only with entries); a record written before
   * format versions reads back with {} (batch-record-format.ts): retention keeps the state
   * of a finished partition with no hand-over recorded.
   */
  readonly handedOver?: Readonly<Record<string, number>>;
  /**
   * The job version each finished partition's final state was written in (the version of
   * the plan that finished it; carried forward while the partition is in `finished`), so
   * a child that starts under a later version migrates it. Absent when there is none; a
   * record written before format versions reads back with {}.
   */
  readonly finishedJobVersions?: Readonly<Record<string, number>>;
  /**
   * The job version (JobDefinition.version) whose code plans and runs this batch. Absent
   * in plans written before versions were recorded: no version check applies to those.
   */
  readonly jobVersion?: number;
  /**
   * The base state of this batch was written by this other job version: the executor
   * applies the job's state migration from it before the batch (the first batch under a
   * new version). Absent: the base state is already in this batch's version.
   */
  readonly migrateFromVersion?: number;
  /**
   * The fingerprint of the state shape of the code that plans and runs this batch
   * (engine/job/state-shape.ts), recorded with its `jobVersion`: the state this batch
   * writes has that shape. A later plan under the same job version must have the same
   * one (job-versions.ts checkStateShape). The plan is where the engine records
   * per-batch facts that every start reads: the next plan, a resume, a replay and a
   * start from another instance's checkpoint (which copies the plan) all read the plan
   * of the batch they build on. Absent in plans written before fingerprints (WAL format
   * 3): no shape check applies to those.
   */
  readonly stateShape?: string;
  /**
   * The job's replay generation: 0 until a replay, then the generation of the latest
   * replay (engine/replay). Sink rows carry (generation, batchId). Absent: 0 (the planner
   * always writes it; a record written before format versions reads back with 0). Not the
   * driver generation of engine/ports/job-registry.ts, which counts driver executions.
   */
  readonly generation?: number;
  /**
   * Present when the job's keyed state lives in key groups and each batch runs in two
   * stages with an exchange between them (docs/design/key-groups.md): the number of key
   * groups, fixed for the life of the checkpoint. Then partitions hold no state (their
   * base state version is 0 and they inherit nothing) and `groups` holds it. Absent:
   * keyed state lives with each partition (the fast path, stateless jobs, and every
   * record of WAL format 1).
   */
  readonly keyGroups?: number;
  /**
   * With keyGroups: each key group's state before this batch, from the previous commit
   * (carried forward). A group absent here has the empty state and nothing due.
   */
  readonly groups?: Readonly<Record<string, GroupState>>;
}

/** A plan's replay generation; plans written before generations existed count as 0. */
export function generationOf(plan: BatchPlan): number {
  return plan.generation ?? 0;
}

/** What an executor returns for one partition of one batch: small and serialisable. */
export interface PartitionResult {
  readonly partition: string;
  readonly end: RangeEnd;
  /** The state version holding this partition's state after the batch (the batch id, or the base when unchanged). */
  readonly stateVersion: number;
  readonly records: number;
  readonly outputRows: number;
  readonly deadLetters: number;
  readonly lateRecords: number;
  readonly maxEventTimeMs: number | null;
  readonly stateRows: number;
  readonly stateBytesWritten: number;
  /** Milliseconds the reader was behind the tail of the partition after reading, if known. */
  readonly lagMs: number | null;
  /** The reader reached the tail of the partition: there was nothing more to read right now. */
  readonly caughtUp: boolean;
  /** Offsets of a fixed range that aged out between its plan and its read (data loss allowed). */
  readonly skippedOffsets?: number;
  /** Stage 1 of a two-stage batch: the partition's rows for the key groups (absent on the one-stage path). */
  readonly exchange?: ExchangeOutput;
  /** Its first dead letter, in one short line (`partition@offset stage: reason`); absent when it wrote none. */
  readonly firstDeadLetter?: string;
}

/**
 * A partition's result when its executor read nothing: where the partition's range ended
 * and its state version (a batch committed already, whose results a retried executor
 * returns again; a batch planted by a benchmark), every count 0.
 */
export function nothingReadResult(
  partition: string,
  at: { readonly end: RangeEnd; readonly stateVersion: number; readonly caughtUp: boolean; readonly lagMs: number | null },
): PartitionResult {
  return {
    partition,
    end: at.end,
    stateVersion: at.stateVersion,
    records: 0,
    outputRows: 0,
    deadLetters: 0,
    lateRecords: 0,
    maxEventTimeMs: null,
    stateRows: 0,
    stateBytesWritten: 0,
    lagMs: at.lagMs,
    caughtUp: at.caughtUp,
  };
}

/**
 * What stage 1 wrote for one partition of a batch (engine/protocol/exchange-format.ts):
 * the byte range of each key group's rows, and the rows themselves, inline when small
 * or in the checkpoint bucket under `objectKey`. Neither when the partition had no rows.
 */
export interface ExchangeOutput {
  readonly index: Readonly<Record<string, readonly [number, number]>>;
  readonly inline?: string;
  readonly objectKey?: string;
}

/** What a stage-2 executor returns for one key group of one batch: small and serialisable. */
export interface GroupResult {
  readonly group: number;
  /** The state version holding the group's state after the batch (the batch id, or the base when unchanged). */
  readonly stateVersion: number;
  readonly outputRows: number;
  readonly deadLetters: number;
  readonly stateRows: number;
  readonly stateBytesWritten: number;
  /** As GroupState.dueAtWatermarkMs, after the batch; null when nothing is due. */
  readonly dueAtWatermarkMs: number | null;
  /** As GroupState.dueAtMs, after the batch; null (or absent, from executors before it existed) when nothing is due. */
  readonly dueAtMs?: number | null;
  /** Its first dead letter, in one short line (`partition@offset stage: reason`); absent when it wrote none. */
  readonly firstDeadLetter?: string;
}

export interface BatchMetrics {
  readonly records: number;
  /** Offsets skipped because they had aged out of the source (only when the job allows data loss). */
  readonly skippedOffsets: number;
  readonly outputRows: number;
  readonly deadLetters: number;
  readonly lateRecords: number;
  readonly stateRows: number;
  readonly stateBytesWritten: number;
  readonly durationMs: number;
  readonly lagMs: number | null;
}

export interface PartitionCommit {
  readonly end: RangeEnd;
  readonly nextStart: StartPosition;
  readonly stateVersion: number;
  readonly caughtUp: boolean;
  readonly lagMs: number | null;
}

export interface BatchCommit {
  readonly batchId: number;
  readonly epoch: number;
  readonly committedAt: number;
  /** Highest event time seen up to and including this batch. */
  readonly maxEventTimeMs: number | null;
  readonly partitions: Readonly<Record<string, PartitionCommit>>;
  /** With a plan's keyGroups: every key group's state after the batch (the plan's, updated by the groups that ran). */
  readonly groups?: Readonly<Record<string, GroupState>>;
  readonly metrics: BatchMetrics;
}

export interface BatchRecord {
  readonly plan: BatchPlan;
  readonly status: BatchStatus;
  readonly commit?: BatchCommit;
}
