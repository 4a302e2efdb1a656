import { ConcurrentDriverError, InvariantError } from '../errors.js';
import { withFixedRanges } from '../protocol/fixed-ranges.js';
import { RANGE_READ_BUDGET } from '../executor/read-range.js';
import { resolveNextBatch, type PlanningSettings } from '../protocol/planning.js';
import type { JobDefinition } from '../job/types.js';
import { dueGroups, groupRowsOf } from '../protocol/stage-two.js';
import { reasonToPlan } from '../protocol/empty-trigger.js';
import { checkPartitionsUnchanged } from '../protocol/key-groups.js';
import type { PartitionInfo } from '../ports/source-reader.js';
import { commitSinks } from './commit-batch.js';
import type { DriverContext } from './context.js';
import { partitionWithRecords } from './source-probe.js';

export interface PlanBatchInput {
  readonly jobId: string;
  readonly epoch: number;
}

export interface PlanBatchResult {
  readonly jobId: string;
  readonly epoch: number;
  readonly batchId: number;
  /** One executor runs per partition (stage 1 on the two-stage path). */
  readonly partitions: string[];
  /** The batch runs in two stages: stage 2 runs per active key group after stage 1 (engine/protocol/stage-two.ts). */
  readonly twoStage: boolean;
  /** On the two-stage path: the number of key groups, and the groups that run whatever stage 1 finds (dueGroups). */
  readonly keyGroups?: number;
  readonly dueGroups?: number[];
  /** On the two-stage path: each key group's state rows (the plan's group table), for stage 2's slots (stageTwoSlots). */
  readonly groupRows?: Record<string, number>;
  /** True when this is a planned-but-uncommitted batch being run again after a failure. */
  readonly resumed: boolean;
  readonly watermarkMs: number | null;
}

/** What the planner needs of a job definition. */
export function planningSettingsOf(job: JobDefinition): PlanningSettings {
  return {
    startingPosition: job.source.startingPosition,
    maxRecordsPerPartition: job.maxRecordsPerPartition,
    allowedLatenessMs: job.pipeline.allowedLatenessMs,
    jobVersion: job.version,
    migratesFrom: job.migrations.map((m) => m.fromVersion),
    stateShape: job.stateShape,
    pipelineDescription: job.pipeline.description,
    ...(job.keyGroups === undefined ? {} : { keyGroups: job.keyGroups }),
  };
}

/**
 * Step 1 of the protocol: resume the latest batch if it was planned and never committed,
 * otherwise plan the next one and write it to the WAL (fenced by epoch; a losing driver
 * gets ConcurrentDriverError).
 *
 * A twin of this driver, holding the same epoch (an Express child delivered twice, a
 * retried task racing its first attempt), may put the same plan first. That is not a
 * second driver: the batch it planned is then resumed, exactly as after a crash.
 */
export async function planBatch(input: PlanBatchInput, ctx: DriverContext): Promise<PlanBatchResult> {
  const planned = await planOrSkip(input, ctx, { skipEmpty: false });
  if (planned.idle) throw new InvariantError(`job ${input.jobId}: a plan that may not skip was skipped`);
  const { idle: _, ...plan } = planned;
  return plan;
}

/** A trigger that planned nothing: the job is caught up and nothing is due (engine/protocol/empty-trigger.ts). */
export interface IdleTrigger {
  readonly idle: true;
  readonly jobId: string;
  readonly epoch: number;
  /** The latest batch, committed: the position the job stays at. */
  readonly committedBatchId: number;
}

/**
 * planBatch, or, when `skipEmpty` is set and the batch it would plan would read nothing and
 * have nothing due (reasonToPlan, then the source's probe), nothing at all: the trigger is
 * skipped and the WAL is left as it was (engine/protocol/empty-trigger.ts has the rules).
 */
export async function planOrSkip(
  input: PlanBatchInput & { readonly stopRequested?: boolean },
  ctx: DriverContext,
  options: { readonly skipEmpty: boolean },
): Promise<(PlanBatchResult & { readonly idle: false }) | IdleTrigger> {
  const { jobId, epoch } = input;
  const { ports, job } = ctx;
  const source = ports.sources(job.source.spec);
  // The partitions are listed while the latest batch is read (one round trip, not two).
  // Only a new plan uses the listing: a resumed batch ignores it, and its failure.
  const listing = source.listPartitions();
  listing.catch(() => {});
  const latest = await ports.wal.getLatestBatch(jobId);
  // A crash between the WAL commit and a sink's commit (commit-batch.ts) is repaired here, before N+1.
  if (latest !== null && latest.status === 'COMMITTED') await commitSinks(latest, ctx);
  const partitions: PartitionInfo[] = latest !== null && latest.status === 'PLANNED' ? [] : await listing;
  if (job.keyedBy === 'partitionKey' && job.source.spec.type === 'kafka' && latest !== null && latest.status === 'COMMITTED') {
    checkPartitionsUnchanged({
      jobId,
      topic: job.source.spec.topic,
      planned: latest.plan.partitions.map((p) => p.partition),
      listed: partitions.map((p) => p.id),
    });
  }
  const nowMs = ports.clock.now();
  let next = resolveNextBatch({ jobId, epoch, latest, partitions, settings: planningSettingsOf(job), nowMs });
  if (options.skipEmpty && latest !== null && next.kind === 'plan') {
    const reason = reasonToPlan({
      latest,
      nextPartitions: next.plan.partitions.map((p) => p.partition),
      allowedLatenessMs: job.pipeline.allowedLatenessMs,
      firesByProcessingTime: job.pipeline.firesByProcessingTime === true,
      migrationDue: next.plan.migrateFromVersion !== undefined,
      nowMs,
      stopRequested: input.stopRequested ?? false,
    });
    if (reason === null && (await partitionWithRecords(source, next.plan.partitions)) === null) {
      return { idle: true, jobId, epoch, committedBatchId: latest.plan.batchId };
    }
  }
  if (next.kind === 'plan' && source.fixRanges !== undefined) {
    const fixed = await source.fixRanges(
      next.plan.partitions.map(({ partition, start, maxRecords }) => ({ partition, start, maxRecords })),
      { failOnDataLoss: job.source.failOnDataLoss ?? true },
    );
    next = { kind: 'plan', plan: withFixedRanges(next.plan, fixed, (ctx.readBudget ?? RANGE_READ_BUDGET).maxBytes) };
  }
  if (next.kind === 'plan') {
    try {
      await ports.wal.putPlan(next.plan);
    } catch (error) {
      if (error instanceof ConcurrentDriverError && (await ports.wal.currentEpoch(jobId)) === epoch) {
        ports.logger.info('batch planned by a twin of this driver: resuming it', { jobId, batchId: next.plan.batchId, epoch });
        return planOrSkip(input, ctx, { skipEmpty: false });
      }
      throw error;
    }
  } else ports.logger.warn('resuming uncommitted batch', { jobId, batchId: next.plan.batchId, epoch });
  return {
    idle: false,
    jobId,
    epoch,
    batchId: next.plan.batchId,
    partitions: next.plan.partitions.map((p) => p.partition),
    twoStage: next.plan.keyGroups !== undefined,
    ...(next.plan.keyGroups === undefined
      ? {}
      : { keyGroups: next.plan.keyGroups, dueGroups: dueGroups(next.plan), groupRows: groupRowsOf(next.plan) }),
    resumed: next.kind === 'resume',
    watermarkMs: next.plan.watermarkMs,
  };
}
