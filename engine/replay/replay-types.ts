/**
 * The replay's request, context, progress, scope and outcome: what previewReplay and
 * replayJob (replay-job.ts, where the replay's protocol is described) take and return.
 */
import type { JobDefinition } from '../job/types.js';
import type { EnginePorts } from '../ports/index.js';
import type { JobRegistry } from '../ports/job-registry.js';
import type { ReplayRecord } from '../ports/write-ahead-log.js';
import type { BatchRecord } from '../protocol/batch-records.js';
import type { RangeEnd } from '../protocol/offsets.js';

export interface ReplayRequest {
  /** The job instance to replay (its WAL id). */
  readonly jobId: string;
  /** Replay from the state after this batch (0: from the empty state, every batch kept). */
  readonly fromBatchId: number;
  /** The last batch to replay (default: the latest committed batch). */
  readonly toBatchId?: number;
  /** Replay into a new job instance with this id instead of in place. */
  readonly intoJobId?: string;
}

export interface ReplayContext {
  readonly ports: EnginePorts;
  /** The job definition in code now: the replayed batches run its logic. */
  readonly job: JobDefinition;
  /** When given, a job the registry says is RUNNING or STOPPING is refused. */
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
  readonly rangeEnds: Readonly<Record<string, RangeEnd>>;
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
}
