import type { BatchCommit, BatchPlan, BatchRecord } from '../protocol/batch.js';
import type { RangeEnd } from '../protocol/offsets.js';

/**
 * The write-ahead log of a job: the offset log (plans), the recorded range ends, and the
 * commit log, plus the driver lease that fences a second driver. The protocol that uses
 * it is written at the top of engine/protocol/batch.ts; the rules each method must keep
 * are below and are checked by test/contract/write-ahead-log.contract.ts against every
 * adapter.
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
   * (another driver planned it, or holds a newer epoch). Never overwrites.
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
  recordRangeEnd(jobId: string, batchId: number, partition: string, end: RangeEnd): Promise<RangeEnd>;

  getRangeEnd(jobId: string, batchId: number, partition: string): Promise<RangeEnd | null>;

  /**
   * Commits a PLANNED batch, conditional on `commit.epoch` being the current epoch.
   * Returns 'committed', or 'already-committed' when the batch was committed before
   * (a retried commit). Throws ConcurrentDriverError when the epoch is stale, and
   * InvalidArgumentError when the batch was never planned.
   */
  commitBatch(jobId: string, commit: BatchCommit): Promise<'committed' | 'already-committed'>;

  /** Deletes batch records and range ends with ids below `batchId`. Returns how many batches went. */
  deleteBatchesBelow(jobId: string, batchId: number): Promise<number>;
}
