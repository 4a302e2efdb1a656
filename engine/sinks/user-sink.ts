/**
 * The user sink (userSink in engine/job/connectors.ts): the job's rows handed to the
 * user's own function, one call per (generation, batch, partition), as Spark's
 * foreachBatch hands each micro-batch to a function. The function may be async: it is
 * I/O at the end of the batch, on rows the batch already computed, not a pipeline
 * function (engine/job/synchronous.ts).
 *
 * The contract the function must keep: be idempotent on (generation, batchId, partition).
 * A retry of the batch, a zombie executor still running it, or a replay of it (a higher
 * generation) calls it again with the same rows, in the same order. Rows are absolute
 * values (the count so far, not "+1"), so writing them twice is harmless when the
 * destination upserts by row key or dedupes by (jobId, generation, batchId, partition).
 *
 * Errors: a SinkRejectedError (sink-rejected-error.ts) refuses rows for good: they become
 * dead letters and the batch goes on. Any other error is a transient failure of the batch:
 * it is retried with the same rows (a function that fails on every call fails the driver
 * after its retries, like a sink table that is gone; rows are never skipped).
 *
 * (Spark's foreachBatch gets a whole micro-batch once, on the driver, and is at-least-once:
 * "you can use the batchId provided to the function as way to deduplicate the output",
 * Spark's Structured Streaming guide. Here each partition of a batch is a call of its own,
 * so the partition is part of the key; Sluice's partitions are fixed in the batch's plan,
 * so (generation, batchId, partition) names the same rows on every run, which Spark's
 * (partitionId, epochId) of ForeachWriter does not, SPARK-28650.)
 */
import { TransientError } from '../errors.js';
import type { RejectedRow, Sink, SinkWrite, SinkWriteResult, StoredRow, UserSinkBatch, UserSinkSpec } from '../ports/sink.js';
import { isSinkRejected } from './sink-rejected-error.js';

/** What one call of the user's function did. */
export type UserSinkOutcome = 'written' | 'rejected' | 'failed';

export class UserSink implements Sink {
  constructor(
    private readonly spec: UserSinkSpec,
    /** Told of every call and its outcome (the memory twin records them). */
    private readonly onCall?: (batch: UserSinkBatch, outcome: UserSinkOutcome, rejected: readonly RejectedRow[]) => void,
  ) {}

  async write(request: SinkWrite): Promise<SinkWriteResult> {
    if (request.rows.length === 0) return { written: 0, skipped: 0 };
    const batch: UserSinkBatch = Object.freeze({
      jobId: request.jobId,
      generation: request.generation,
      batchId: request.batchId,
      partition: request.partition,
      rows: Object.freeze(request.rows.map((row) => Object.freeze({ key: row.key, value: row.value }))),
    });
    try {
      await this.spec.write(batch);
    } catch (error) {
      if (isSinkRejected(error)) {
        const keys = error.keys === undefined ? null : new Set(error.keys);
        const refused = new Set(request.rows.filter((row) => keys === null || keys.has(row.key)).map((row) => row.key));
        const rejected = [...refused].map((key) => ({ key, reason: `user sink ${this.spec.name} refused it: ${error.message}` }));
        this.onCall?.(batch, 'rejected', rejected);
        const refusedRows = request.rows.filter((row) => refused.has(row.key)).length;
        return { written: request.rows.length - refusedRows, skipped: 0, ...(rejected.length > 0 ? { rejected } : {}) };
      }
      this.onCall?.(batch, 'failed', []);
      throw new TransientError(
        `user sink ${this.spec.name} failed for batch ${request.batchId} (generation ${request.generation}) of partition ${request.partition}: ${
          error instanceof Error ? error.message : String(error)
        }`,
        { cause: error, context: { jobId: request.jobId, batchId: request.batchId, partition: request.partition } },
      );
    }
    this.onCall?.(batch, 'written', []);
    return { written: request.rows.length, skipped: 0 };
  }

  /** The destination is the user's: the deployed sink cannot read it back. */
  async get(): Promise<StoredRow | null> {
    return null;
  }

  /** The destination is the user's: the deployed sink cannot read it back (the memory twin can). */
  async scan(): Promise<StoredRow[]> {
    return [];
  }
}
