import { resolveNextBatch } from '../protocol/batch.js';
import type { DriverContext } from './context.js';

export interface PlanBatchInput {
  readonly jobId: string;
  readonly epoch: number;
}

export interface PlanBatchResult {
  readonly jobId: string;
  readonly epoch: number;
  readonly batchId: number;
  /** One executor runs per partition. */
  readonly partitions: string[];
  /** True when this is a planned-but-uncommitted batch being run again after a failure. */
  readonly resumed: boolean;
  readonly watermarkMs: number | null;
}

/**
 * Step 1 of the protocol: resume the latest batch if it was planned and never committed,
 * otherwise plan the next one and write it to the WAL (fenced by epoch; a losing driver
 * gets ConcurrentDriverError).
 */
export async function planBatch(input: PlanBatchInput, ctx: DriverContext): Promise<PlanBatchResult> {
  const { jobId, epoch } = input;
  const { ports, job } = ctx;
  const latest = await ports.wal.getLatestBatch(jobId);
  const partitions =
    latest !== null && latest.status === 'PLANNED'
      ? []
      : (await ports.sources(job.source.spec).listPartitions()).map((p) => p.id);
  const next = resolveNextBatch({
    jobId,
    epoch,
    latest,
    partitions,
    settings: {
      startingPosition: job.source.startingPosition,
      maxRecordsPerPartition: job.maxRecordsPerPartition,
      allowedLatenessMs: job.pipeline.allowedLatenessMs,
    },
    nowMs: ports.clock.now(),
  });
  if (next.kind === 'plan') await ports.wal.putPlan(next.plan);
  else ports.logger.warn('resuming uncommitted batch', { jobId, batchId: next.plan.batchId, epoch });
  return {
    jobId,
    epoch,
    batchId: next.plan.batchId,
    partitions: next.plan.partitions.map((p) => p.partition),
    resumed: next.kind === 'resume',
    watermarkMs: next.plan.watermarkMs,
  };
}
