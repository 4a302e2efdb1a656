/**
 * Starting a new job instance from another instance's committed batch N ("starting
 * position: a checkpoint"): the new instance's write-ahead log begins with a copy of
 * batch N, committed, and its state with a copy of the state after N (each partition's,
 * or each key group's, version as a snapshot, under the same version numbers), so its driver plans batch N+1
 * from where N ended, with N's watermark, exactly as the source instance would have.
 * The source instance is only read (it may keep running).
 *
 * This is the seeding step of `npm run replay -- --into` (engine/replay/replay-job.ts)
 * without the replay: no batch is re-run, and nothing is recorded as a replay, so the
 * new instance's plans keep batch N's replay generation and its driver can plan at once.
 *
 * Each step is idempotent: a start that dies half way is finished by the same request
 * again (the copies are deterministic, and a committed seed is left alone).
 */
import { resolveJob, type JobCatalog } from '../driver/catalog.js';
import { ConcurrentDriverError, JobSpecError } from '../errors.js';
import type { JobDefinition } from '../job/types.js';
import type { JobRegistry } from '../ports/job-registry.js';
import { sourceNameOf } from '../ports/source-reader.js';
import type { StateStore } from '../ports/state-store.js';
import type { WriteAheadLog } from '../ports/write-ahead-log.js';
import { copyCheckpoint } from '../replay/copy-checkpoint.js';
import { BatchStatus, generationOf, type BatchRecord } from '../protocol/batch-records.js';
import { stateMigrationFor } from '../protocol/job-versions.js';
import { checkStateLayoutUnchanged } from '../protocol/key-groups.js';
import { BadRequestError, ConflictError } from './errors.js';
import { refuseChangedStateShape } from './state-shape-check.js';

export interface CheckpointStartContext {
  readonly wal: WriteAheadLog;
  readonly state: StateStore;
  readonly registry: JobRegistry;
  readonly catalog: JobCatalog;
}

/**
 * Checks that `targetJobId` (running `job`) can start from batch `batchId` (null: the
 * latest committed) of `sourceJobId`, and returns that batch. Writes nothing.
 */
export async function resolveCheckpoint(
  args: { readonly targetJobId: string; readonly sourceJobId: string; readonly batchId: number | null; readonly job: JobDefinition },
  ctx: CheckpointStartContext,
): Promise<BatchRecord> {
  const { targetJobId, sourceJobId, job } = args;
  const field = (name: string, message: string) => BadRequestError.of([{ field: `startingPosition.${name}`, message }]);
  if (sourceJobId === targetJobId)
    throw field('jobId', `names the job being started (${targetJobId}): a checkpoint start begins a new instance from another one`);
  const latest = await ctx.wal.getLatestBatch(sourceJobId);
  if (latest === null) throw field('jobId', `names job ${sourceJobId}, which has no batches in the write-ahead log`);
  const latestCommitted = latest.status === BatchStatus.COMMITTED ? latest.plan.batchId : latest.plan.batchId - 1;
  const batchId = args.batchId ?? latestCommitted;
  if (batchId < 1) throw field('jobId', `names job ${sourceJobId}, which has no committed batch yet`);
  if (batchId > latestCommitted)
    throw field('batchId', `must be a committed batch of job ${sourceJobId} (the latest committed is ${latestCommitted}), got ${batchId}`);
  const base = batchId === latest.plan.batchId ? latest : await ctx.wal.getBatch(sourceJobId, batchId);
  if (base === null || base.commit === undefined || base.status !== BatchStatus.COMMITTED) {
    throw field(
      'batchId',
      `names batch ${batchId} of job ${sourceJobId}, which is no longer in its write-ahead log (retention keeps the last checkpoint.retainBatches batches)`,
    );
  }

  // The offsets after batch N are offsets of the source job's input: the new job must read the same.
  const source = await ctx.registry.get(sourceJobId);
  if (source !== null) {
    let sourceJob: JobDefinition | null = null;
    try {
      sourceJob = resolveJob(ctx.catalog, source.jobName, source.parameters);
    } catch (error) {
      if (!(error instanceof JobSpecError)) throw error;
    }
    const theirs = sourceJob === null ? null : sourceNameOf(sourceJob.source.spec);
    const ours = sourceNameOf(job.source.spec);
    if (theirs !== null && theirs !== ours) {
      throw field(
        'jobId',
        `names job ${sourceJobId}, which reads ${theirs}; job ${targetJobId} would read ${ours}: offsets of one source mean nothing in another`,
      );
    }
  }
  // The checkpoint's state must be readable by this code: the same version (or a declared
  // migration), and the same layout (a start never regroups: a replay --regroup --into does).
  try {
    stateMigrationFor({
      jobId: targetJobId,
      checkpoint: base.plan,
      codeVersion: job.version,
      migratesFrom: job.migrations.map((m) => m.fromVersion),
    });
    checkStateLayoutUnchanged({ jobId: targetJobId, checkpointed: base.plan.keyGroups, declared: job.keyGroups });
  } catch (error) {
    if (error instanceof JobSpecError) throw new ConflictError(error.message);
    throw error;
  }
  refuseChangedStateShape('jobName', { jobId: sourceJobId, checkpoint: base.plan, job });
  await checkNewJob(targetJobId, batchId, ctx.wal);
  return base;
}

/** Writes the seed: the state after batch N and batch N itself, committed, under the new job id. */
export async function seedFromCheckpoint(targetJobId: string, base: BatchRecord, ctx: CheckpointStartContext): Promise<void> {
  const { wal, state } = ctx;
  const existing = await wal.getBatch(targetJobId, base.plan.batchId);
  if (existing?.status === BatchStatus.COMMITTED) return;
  const epoch = await wal.acquireEpoch(targetJobId);
  try {
    // At N's own generation: nothing is replayed, so the new job's plans keep it.
    await copyCheckpoint({ base, targetJobId, epoch, generation: generationOf(base.plan) }, { wal, state });
  } catch (error) {
    if (error instanceof ConcurrentDriverError) {
      throw new ConflictError(`job ${targetJobId} is being started by another request at the same time: send the request again`);
    }
    throw error;
  }
}

/** The new job must be new: nothing in its write-ahead log but, after a start that died half way, the seed. */
async function checkNewJob(jobId: string, batchId: number, wal: WriteAheadLog): Promise<void> {
  if ((await wal.listReplays(jobId)).length > 0) {
    throw new ConflictError(`job ${jobId} has a write-ahead log already (it was replayed into): choose another jobId`);
  }
  const batches = await wal.listBatches(jobId, { limit: 2 });
  const onlySeed = batches.length === 1 && batches[0]!.plan.batchId === batchId;
  if (batches.length > 0 && !onlySeed) {
    throw new ConflictError(`job ${jobId} has batches in its write-ahead log already: a checkpoint start needs a new jobId`);
  }
}
