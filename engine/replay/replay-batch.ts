/**
 * One replayed batch (step 4 of replayJob, replay-job.ts): whether a batch the write-ahead
 * log holds at the replay's generation reads as its first run, and running its executors.
 */
import { runPartition } from '../executor/run-partition.js';
import type { StateCache } from '../executor/state-cache.js';
import type { EnginePorts } from '../ports/index.js';
import type { BatchRecord, PartitionResult } from '../protocol/batch-records.js';
import { sameRangeEnd } from '../protocol/offsets.js';
import { retry } from '../retry.js';
import { readsSameRanges } from './replay-plan.js';
import type { ReplayBatch, ReplayContext } from './replay-types.js';

/**
 * True when a batch of the replay's generation found in the WAL reads the records its
 * first run read: the replay planned it (or a driver planned the same): it is resumed or,
 * committed, kept. Its committed ends, or the range ends recorded so far, must match.
 */
export async function readsAsFirstRun(jobId: string, record: BatchRecord, batch: ReplayBatch, wal: EnginePorts['wal']): Promise<boolean> {
  if (!readsSameRanges(record.plan, batch.original.plan)) return false;
  for (const [partition, end] of Object.entries(batch.rangeEnds)) {
    const read = record.commit?.partitions[partition]?.end ?? (await wal.getRangeEnd(jobId, record.plan.batchId, partition));
    if (read !== null && read !== undefined && !sameRangeEnd(read, end)) return false;
  }
  return true;
}

/** Runs every partition of the batch (runPartition), retrying retryable errors. */
export async function runExecutors(jobId: string, record: BatchRecord, ctx: ReplayContext, cache: StateCache): Promise<PartitionResult[]> {
  const { ports, job } = ctx;
  const batchId = record.plan.batchId;
  return Promise.all(
    record.plan.partitions.map(({ partition }) =>
      retry(() => runPartition({ jobId, batchId, partition }, { ports, job, cache }), {
        attempts: ctx.executorAttempts ?? 4,
        baseDelayMs: 200,
        clock: ports.clock,
        onRetry: (error, attempt) =>
          ports.logger.warn('replay executor failed, retrying', { jobId, batchId, partition, attempt, error: String(error) }),
      }),
    ),
  );
}
