import { ConflictError } from '../errors.js';
import { generationOf, type BatchCommit, type BatchPlan, type BatchRecord } from '../protocol/batch-records.js';
import type { RecordedRangeEnd } from '../protocol/offsets.js';

/**
 * A replay of a job's committed batches (engine/replay), recorded in the WAL of the job
 * it writes: written when the replay begins, marked finished when it ends. An unfinished
 * one is continued by running the replay again.
 */
export interface ReplayRecord {
  /** The job whose WAL holds the replay: the job itself (in place) or the new job (`--into`). */
  readonly jobId: string;
  /** The replay's generation: above every generation the job (and its source) had. */
  readonly generation: number;
  /** The job whose recorded batches are replayed (the same as jobId in place). */
  readonly sourceJobId: string;
  /** The replay starts from the state after this batch (0: from the empty state). */
  readonly fromBatchId: number;
  /** The last batch it replays, fixed when it begins. */
  readonly toBatchId: number;
  /** In place: the latest batch when it began; batches fromBatchId+1 up to this one were superseded. Null into a new job. */
  readonly supersededUpTo: number | null;
  /** The job version whose code runs the replayed batches. */
  readonly jobVersion: number;
  /**
   * The replay regroups the state after `fromBatchId` (--regroup, engine/replay/regroup.ts):
   * from the checkpoint's layout (its number of key groups, null when it kept state per
   * partition) into the key groups the code declares. Absent: the layout is kept.
   */
  readonly regroup?: ReplayRegroup;
  /** The WAL epoch the replay took when it began. */
  readonly epoch: number;
  readonly startedAt: number;
  readonly finishedAt: number | null;
}

/** A regroup's layouts (ReplayRecord.regroup). */
export interface ReplayRegroup {
  /** The checkpoint's key groups; null: its state was kept per source partition. */
  readonly fromKeyGroups: number | null;
  /** The key groups the state is re-sliced into: the code's. */
  readonly keyGroups: number;
}

/** A batch a replay superseded, as it was: its record and the range ends recorded for it. */
export interface SupersededBatch {
  readonly record: BatchRecord;
  readonly rangeEnds: Readonly<Record<string, RecordedRangeEnd>>;
}

/**
 * The write-ahead log of a job: the offset log (plans), the recorded range ends, and the
 * commit log, plus the driver lease that fences a second driver. The protocol that uses
 * it is written at the top of engine/protocol/planning.ts; the rules each method must keep
 * are below and are checked by test/contract/write-ahead-log.contract.ts against every
 * adapter.
 *
 * Batch records are stored in the format of engine/protocol/batch-record-format.ts: every
 * record written carries its format version, and every method that returns batch records
 * decodes them with decodeBatchRecord, so a record written before format versions reads
 * back in the current format, and one of a newer format or malformed makes the read throw
 * StateCorruptionError.
 */
export interface WriteAheadLog {
  /**
   * Takes the next epoch of the job's driver lease (1 for a new job) and returns it.
   * From then on plans and commits carrying an older epoch are rejected.
   */
  acquireEpoch(jobId: string): Promise<number>;

  /** The current epoch, or null when no driver ever started for the job. */
  currentEpoch(jobId: string): Promise<number | null>;

  /**
   * Writes a new PLANNED batch. Succeeds only when no record exists for the batch and
   * `plan.epoch` is the job's current epoch; otherwise throws ConcurrentDriverError
   * (another driver planned it, or holds a newer epoch). Never overwrites. Also throws
   * ConflictError when a replay raised the job's generation above the plan's
   * (`beginReplay`): a driver that plans from a job whose replay is unfinished.
   */
  putPlan(plan: BatchPlan): Promise<void>;

  getBatch(jobId: string, batchId: number): Promise<BatchRecord | null>;

  /** The batch with the highest id, committed or not; null when the job has none. */
  getLatestBatch(jobId: string): Promise<BatchRecord | null>;

  /** Batches in id order from `fromBatchId` (inclusive), at most `limit`. */
  listBatches(jobId: string, options?: { fromBatchId?: number; limit?: number }): Promise<BatchRecord[]>;

  /**
   * Records where a partition's range of a batch ends, unless one is recorded already.
   * Returns the recorded end: the argument when this call won, the earlier one otherwise.
   * Executors call it before any output of the range is visible.
   */
  recordRangeEnd(jobId: string, batchId: number, partition: string, end: RecordedRangeEnd): Promise<RecordedRangeEnd>;

  getRangeEnd(jobId: string, batchId: number, partition: string): Promise<RecordedRangeEnd | null>;

  /**
   * Commits a PLANNED batch, conditional on `commit.epoch` being the current epoch.
   * Returns 'committed', or 'already-committed' when the batch was committed before
   * (a retried commit). Throws ConcurrentDriverError when the epoch is stale, and
   * NotFoundError when the batch was never planned.
   */
  commitBatch(jobId: string, commit: BatchCommit): Promise<'committed' | 'already-committed'>;

  /** Deletes batch records and range ends with ids below `batchId`. Returns how many batches went. */
  deleteBatchesBelow(jobId: string, batchId: number): Promise<number>;

  // ── Replays (engine/replay) ─────────────────────────────────────────────────────────

  /**
   * Records a replay and raises the job's generation to `record.generation`, from then on
   * refusing plans of a lower generation (putPlan). Succeeds only when `record.epoch` is
   * the job's current epoch, the generation is above the job's, and no replay of that
   * generation exists; otherwise throws ConcurrentDriverError.
   */
  beginReplay(record: ReplayRecord): Promise<void>;

  /** Marks a replay finished (idempotent). Throws NotFoundError when there is no such replay. */
  finishReplay(jobId: string, generation: number, finishedAt: number): Promise<void>;

  /** The job's replays, oldest first. */
  listReplays(jobId: string): Promise<ReplayRecord[]>;

  /**
   * Moves every batch record with an id above `batchId` whose plan is of a generation
   * below `generation`, with its range ends, out of the log into the archive of
   * `generation` (listSupersededBatches), so the replay can write its own batches under
   * the same ids. Batches of `generation` or above are left alone, so calling it again
   * at any point of the replay is harmless, and a call cut short is finished by the next.
   * Returns how many batches it moved.
   */
  supersedeBatchesAbove(jobId: string, batchId: number, generation: number): Promise<number>;

  /** The batches the replay of `generation` superseded, in id order, as they were. */
  listSupersededBatches(jobId: string, generation: number): Promise<SupersededBatch[]>;
}

/** What putPlan throws for a plan below the job's generation: a driver planning while a replay is unfinished. */
export function replayUnfinishedError(plan: BatchPlan, jobGeneration: number): ConflictError {
  return new ConflictError(
    `job ${plan.jobId} is being replayed (generation ${jobGeneration}): batch ${plan.batchId} of generation ` +
      `${generationOf(plan)} cannot be planned. Finish the replay first (run the same npm run replay command ` +
      `again; npm run checkpoints -- list --job ${plan.jobId} shows it), then start the job`,
    { context: { jobId: plan.jobId, batchId: plan.batchId, generation: generationOf(plan), jobGeneration } },
  );
}
