import { InvariantError } from '../errors.js';
import type { JsonValue } from '../json.js';

/**
 * The control record of each job instance: what should be running, which driver
 * generation is current, its restarts and its last error. The driver's tasks, the
 * supervisor and (later) the HTTP API read and change it; the transitions themselves are
 * in engine/driver/job-control.ts, over the three primitives below, so every adapter
 * keeps the same rules. Checked by test/contract/job-registry.contract.ts.
 */
export const JobState = {
  /** The job should run: a driver execution is live, or the supervisor starts one. */
  RUNNING: 'RUNNING',
  /** A stop was requested: the driver finishes the batch in flight, commits, and ends. */
  STOPPING: 'STOPPING',
  /** Ended on request, or an available-now job caught up (see `reason`). */
  STOPPED: 'STOPPED',
  /** Ended by an error that a restart cannot fix, or by too many restarts (see `reason`). */
  FAILED: 'FAILED',
} as const;
export type JobState = (typeof JobState)[keyof typeof JobState];

/** A trigger as a job instance sets it; the driver resolves it (engine/driver/next-step.ts). */
export type TriggerSettings =
  | { readonly type: 'interval'; readonly intervalMs: number; readonly maxIdleIntervalMs?: number }
  | { readonly type: 'availableNow' };

export interface RestartRecord {
  readonly at: number;
  readonly generation: number;
  readonly reason: string;
}

export interface JobError {
  readonly at: number;
  readonly generation: number;
  readonly error: string;
  readonly cause: string;
}

/**
 * The start that last made an instance RUNNING (engine/driver/job-control.ts startJob;
 * the jobs API, engine/api/). A retried start request that carries the same token
 * starts nothing new: it gets this instance back.
 */
export interface StartRecord {
  /** The start request's idempotency token; null when it gave none. */
  readonly token: string | null;
  /** The driver generation that start launched: execution `<jobId>-<generation>`. */
  readonly generation: number;
  readonly at: number;
  /** The instance began from this committed batch of another instance (its state and offsets after it). */
  readonly fromCheckpoint: { readonly jobId: string; readonly batchId: number } | null;
  /**
   * The fingerprint of the request that started it (engine/api/request-hash.ts): the same
   * token with another fingerprint is a different request (409). Absent on older records.
   */
  readonly requestHash?: string | null;
}

export interface JobInstance {
  /** The instance's id: the WAL's job id, and the prefix of its driver executions' names. */
  readonly jobId: string;
  /** The job in the catalog (jobs/catalog.ts) this instance runs. */
  readonly jobName: string;
  /** The catalog entry's parameters (small JSON). */
  readonly parameters: Readonly<Record<string, JsonValue>>;
  /** The instance's trigger; null: the job definition's own. */
  readonly trigger: TriggerSettings | null;
  readonly state: JobState;
  /** Why the job is STOPPED or FAILED; null otherwise. */
  readonly reason: string | null;
  /** The newest driver generation that started (execution `<jobId>-<generation>`); 0 before the first. */
  readonly generation: number;
  /** That generation's WAL epoch, once it took one. */
  readonly epoch: number | null;
  /** Restarts by the supervisor within the restart window, oldest first. */
  readonly restarts: readonly RestartRecord[];
  readonly lastError: JobError | null;
  readonly stopRequestedAt: number | null;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** Bumped by every write: the optimistic concurrency check of `put`. */
  readonly revision: number;
  /** The start that last made the instance RUNNING; absent in records written before starts were recorded. */
  readonly start?: StartRecord | null;
  /**
   * A RUNNING job whose driver parked after an idle spell (engine/driver/parking.ts): no
   * execution runs; the supervisor's scheduled check starts the next generation when the
   * source has data or a timer is due. Null or absent: not parked.
   */
  readonly parked?: ParkedRecord | null;
}

/** Where and when a driver parked. */
export interface ParkedRecord {
  readonly at: number;
  /** The generation that parked; the wake-up starts the next one. */
  readonly generation: number;
  /** The last committed batch when it parked. */
  readonly batchId: number;
}

export interface JobRegistry {
  get(jobId: string): Promise<JobInstance | null>;

  /** Every job instance, in jobId order (the supervisor's reconciler walks them). */
  list(): Promise<JobInstance[]>;

  /**
   * Stores `next` if the stored record's revision is `expectedRevision` (null: no record
   * may exist yet). `next.revision` must be `expectedRevision + 1` (1 for a new record).
   * Returns false, writing nothing, when the condition fails: another writer got there first.
   */
  put(next: JobInstance, expectedRevision: number | null): Promise<boolean>;

  /** The instance that owns a sink target (SinkOwner), or null when none has claimed it. */
  getSinkOwner(target: string): Promise<SinkOwner | null>;

  /**
   * Stores `next` as its target's owner if the stored owner is the instance
   * `expectedOwner` (null: no owner may be stored yet). Returns false, writing nothing,
   * when the condition fails: another claim got there first. The rules of who may claim
   * (idempotent for the owner, forced from a stopped one) are engine/driver/sink-ownership.ts's.
   */
  claimSink(next: SinkOwner, expectedOwner: string | null): Promise<boolean>;
}

/**
 * Which job instance owns a sink target (engine/job/sink-targets.ts names targets): the
 * one whose rows the target holds. Kept after the instance stops or fails (its rows are
 * still there); it passes to another instance only by a forced claim.
 */
export interface SinkOwner {
  /** The target's id (sinkTargetOf): `dynamodb:order-totals`. */
  readonly target: string;
  /** The owning instance. */
  readonly jobId: string;
  /** When it claimed the target. */
  readonly since: number;
  /** The instance a forced claim took the target from; null when it was free. */
  readonly takenFrom: string | null;
}

/**
 * The revision rule every JobRegistry adapter enforces before its conditional write: a put
 * expecting revision r (null: no record yet) carries revision r + 1. A put that breaks it is
 * a bug in the caller, not a lost race.
 */
export function checkRevision(next: JobInstance, expectedRevision: number | null): void {
  if (next.revision !== (expectedRevision ?? 0) + 1) {
    throw new InvariantError(
      `job ${next.jobId}: a write expecting revision ${expectedRevision ?? 'none'} must carry revision ${(expectedRevision ?? 0) + 1}, not ${next.revision}`,
    );
  }
}
