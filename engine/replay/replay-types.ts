/**
 * The replay's request, context, progress, scope and outcome: what previewReplay and
 * replayJob (replay-job.ts, where the replay's protocol is described) take and return.
 */
import type { SinkTakeover } from '../driver/sink-ownership.js';
import type { JobDefinition } from '../job/types.js';
import type { EnginePorts } from '../ports/index.js';
import type { JobRegistry } from '../ports/job-registry.js';
import type { ReplayRecord, ReplayRegroup } from '../ports/write-ahead-log.js';
import type { BatchRecord } from '../protocol/batch-records.js';
import type { RecordedRangeEnd } from '../protocol/offsets.js';

export interface ReplayRequest {
  /** The job instance to replay (its WAL id). */
  readonly jobId: string;
  /** Replay from the state after this batch (0: from the empty state, every batch kept). */
  readonly fromBatchId: number;
  /** The last batch to replay (default: the latest committed batch). */
  readonly toBatchId?: number;
  /** Replay into a new job instance with this id instead of in place. */
  readonly intoJobId?: string;
  /**
   * Re-slice the state after batch N into the key groups the job's code declares
   * (--regroup, regroup.ts): the only way to change the layout of a checkpoint's state.
   */
  readonly regroup?: boolean;
  /**
   * Take the job's sinks over from the stopped or failed instance that owns them
   * (replay-sinks.ts); without it, a sink another instance owns is refused.
   */
  readonly force?: boolean;
}

export interface ReplayContext {
  readonly ports: EnginePorts;
  /** The job definition in code now: the replayed batches run its logic. */
  readonly job: JobDefinition;
  /**
   * When given, a job the registry says is RUNNING or STOPPING is refused, and the target
   * job claims the job's sinks there (replay-sinks.ts).
   */
  readonly registry?: JobRegistry;
  readonly onProgress?: (progress: ReplayProgress) => void;
  /** Attempts per executor for retryable errors (default 4). */
  readonly executorAttempts?: number;
}

export interface ReplayProgress {
  /** 1-based position of the batch in the replay, of `total`. */
  readonly index: number;
  readonly total: number;
  readonly batchId: number;
  readonly records: number;
  readonly outputRows: number;
  /** The batch was committed by an earlier, interrupted run of this replay. */
  readonly skipped: boolean;
}

/** A batch to replay: its first run, and the range end each recorded partition read. */
export interface ReplayBatch {
  readonly original: BatchRecord;
  /** Per partition without a fixed range: the end its first run read (from its commit). */
  readonly rangeEnds: Readonly<Record<string, RecordedRangeEnd>>;
  /** The replay committed it already (a replay continued after a crash). */
  readonly done: boolean;
}

/** Everything a replay does, resolved before it writes anything. */
export interface ReplayScope {
  readonly mode: 'in-place' | 'into';
  readonly sourceJobId: string;
  readonly targetJobId: string;
  readonly fromBatchId: number;
  readonly toBatchId: number;
  /** The source's latest committed batch when the replay began. */
  readonly latestBatchId: number;
  /** The replay's generation, and the one the job had before. */
  readonly generation: number;
  readonly previousGeneration: number;
  /** The unfinished replay this run continues, or null for a new one. */
  readonly continuing: ReplayRecord | null;
  /** Batch N, committed; null when replaying from the empty state. */
  readonly base: BatchRecord | null;
  readonly batches: readonly ReplayBatch[];
  /** The job version that wrote the state after N (absent: not recorded), the code's, and the migration between. */
  readonly checkpointVersion: number | undefined;
  readonly jobVersion: number;
  readonly migrateFromVersion: number | undefined;
  /** The layout of the replayed batches' state: their number of key groups; undefined: state per partition (or none). */
  readonly keyGroups: number | undefined;
  /** The regroup the replay does (--regroup), or null when it keeps the checkpoint's layout. */
  readonly regroup: RegroupScope | null;
}

/** What a regroup re-slices (replay-layout.ts, regroup.ts). */
export interface RegroupScope extends ReplayRegroup {
  /**
   * What it read at the base, with every check done (conflicting keys, keys of another
   * shape); null when this run does not read it: the regroup is done (a continued replay
   * past batch N+1, or a new job already seeded).
   */
  readonly read: RegroupSummary | null;
}

export interface RegroupSummary {
  /** Every scope of the checkpoint (partition or key group) with state, in name order: its version and entries. */
  readonly scopes: readonly { readonly scope: string; readonly version: number; readonly rows: number }[];
  /** Entries after the regroup, the key groups holding some, and the most one holds. */
  readonly rows: number;
  readonly groups: number;
  readonly largestGroupRows: number;
  /** Keys held by more than one scope, merged with the aggregate's merge. */
  readonly mergedKeys: number;
}

export interface ReplayOutcome {
  readonly scope: ReplayScope;
  /** Batches run now (not counting those an interrupted run committed). */
  readonly replayed: number;
  readonly records: number;
  readonly outputRows: number;
  /** Batches moved to the WAL's archive by this run (in place). */
  readonly superseded: number;
  /** A driver ran during the unfinished replay and took the job over from this batch on (see replayJob, replay-job.ts). */
  readonly overtakenAt: number | null;
  /** The sinks the replay took over from another (stopped or failed) instance, because it forced. */
  readonly sinksTakenOver?: readonly SinkTakeover[];
}
