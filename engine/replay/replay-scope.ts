/**
 * Step 1 of a replay (replay-job.ts): resolve its scope. Reads the job registry and the
 * write-ahead logs, checks everything and writes nothing: the batches to replay and the
 * range ends their first runs read, the generation, batch N and the job version of the
 * checkpoint with the migration it needs, the layout of the replayed batches' state and
 * the regroup that changes it (replay-layout.ts; a regroup's state is read and checked
 * here), or the unfinished replay this run continues.
 */
import { checkJobId } from '../driver/job-control.js';
import { checkSinkClaims } from '../driver/sink-ownership.js';
import { ConflictError, InvalidArgumentError, InvariantError, NotFoundError } from '../errors.js';
import { JobState, type JobRegistry } from '../ports/job-registry.js';
import type { ReplayRecord } from '../ports/write-ahead-log.js';
import { BatchStatus, generationOf, type BatchRecord } from '../protocol/batch-records.js';
import { checkStateShape, stateMigrationFor } from '../protocol/job-versions.js';
import type { RecordedRangeEnd } from '../protocol/offsets.js';
import { readRegroup } from './regroup.js';
import { missing } from './replay-errors.js';
import { replayLayout } from './replay-layout.js';
import { replaySinkClaim } from './replay-sinks.js';
import type { ReplayBatch, ReplayContext, ReplayRequest, ReplayScope } from './replay-types.js';

/** Step 1: reads and checks; writes nothing. */
export async function resolveReplay(request: ReplayRequest, ctx: ReplayContext): Promise<ReplayScope> {
  const { wal } = ctx.ports;
  const sourceJobId = checkJobId(request.jobId);
  const from = request.fromBatchId;
  if (!Number.isSafeInteger(from) || from < 0) {
    throw new InvalidArgumentError(`the batch to replay from must be an integer >= 0, got ${from}`);
  }
  if (request.toBatchId !== undefined && (!Number.isSafeInteger(request.toBatchId) || request.toBatchId <= from)) {
    throw new InvalidArgumentError(`the last batch to replay must be an integer above ${from}, got ${request.toBatchId}`);
  }
  const into = request.intoJobId === undefined ? null : checkJobId(request.intoJobId);
  if (into === sourceJobId) throw new InvalidArgumentError(`--into names the job itself (${into}): leave it out to replay in place`);
  const targetJobId = into ?? sourceJobId;
  await checkNotRunning(targetJobId, ctx.registry);
  if (ctx.registry !== undefined) await checkSinkClaims(replaySinkClaim(request, targetJobId, ctx.job), { registry: ctx.registry });

  const replays = await wal.listReplays(targetJobId);
  const unfinished = replays.find((r) => r.finishedAt === null) ?? null;
  if (unfinished !== null && !continues(unfinished, request, sourceJobId)) {
    const to = unfinished.toBatchId;
    throw new ConflictError(
      `job ${targetJobId} has an unfinished replay (generation ${unfinished.generation}, batches ` +
        `${unfinished.fromBatchId + 1}..${to} of job ${unfinished.sourceJobId}): finish it first by running it again: ` +
        `npm run replay -- --job ${unfinished.sourceJobId} --from-batch ${unfinished.fromBatchId} --to-batch ${to}` +
        (unfinished.sourceJobId === targetJobId ? '' : ` --into ${targetJobId}`) +
        (unfinished.regroup === undefined ? '' : ' --regroup'),
      { context: { jobId: targetJobId, generation: unfinished.generation } },
    );
  }
  if (into !== null && unfinished === null) await checkNewJob(into, from, replays, ctx);

  const source = await sourceBatches(sourceJobId, from, request.toBatchId, unfinished, into !== null, replays, ctx);
  // Continuing: the interrupted run committed its batches in order, up to `lastDone`
  // (retention may have deleted the oldest of them since).
  const lastDone = unfinished === null ? from : await lastReplayed(targetJobId, unfinished.generation, from, ctx);
  const batches = source.batches.map((batch) => ({ ...batch, done: batch.original.plan.batchId <= lastDone }));
  // Batch N is needed to plan batch N+1 (in place, or to seed the new job) and to check
  // its job version; an interrupted run that got past N+1 needs it no more.
  const needBase = from > 0 && lastDone === from && !(unfinished !== null && batches.length === 0);
  const base =
    from === 0 ? null : needBase ? await requireCommitted(sourceJobId, from, ctx) : await ctx.ports.wal.getBatch(sourceJobId, from);
  const generation = unfinished?.generation ?? source.generation + 1;
  const migrateFromVersion =
    base === null || !needBase
      ? undefined
      : stateMigrationFor({
          jobId: sourceJobId,
          checkpoint: base.plan,
          codeVersion: ctx.job.version,
          migratesFrom: ctx.job.migrations.map((m) => m.fromVersion),
        });
  const mode = into === null ? 'in-place' : 'into';
  const layout = replayLayout({
    sourceJobId,
    mode,
    fromBatchId: from,
    regroup: request.regroup === true,
    base: needBase ? base : null,
    batches: batches.length,
    unfinished,
    job: ctx.job,
  });
  // A regroup is read (and checked: conflicting keys, keys of another shape) before anything is written.
  const read =
    layout.regroup !== null && needBase && base !== null
      ? (await readRegroup({ base, job: ctx.job, keyGroups: layout.regroup.keyGroups }, ctx.ports)).summary
      : null;
  // The same state shape under the same version (checkStateShape), before anything is written.
  if (base !== null && needBase) {
    checkStateShape({
      jobId: sourceJobId,
      checkpoint: base.plan,
      codeVersion: ctx.job.version,
      stateShape: ctx.job.stateShape,
      description: ctx.job.pipeline.description,
    });
  }
  return {
    mode,
    sourceJobId,
    targetJobId,
    fromBatchId: from,
    toBatchId: source.toBatchId,
    latestBatchId: source.latestBatchId,
    generation,
    previousGeneration: generation - 1,
    continuing: unfinished,
    base,
    batches,
    checkpointVersion: base?.plan.jobVersion,
    jobVersion: ctx.job.version,
    migrateFromVersion,
    keyGroups: layout.keyGroups,
    regroup: layout.regroup === null ? null : { ...layout.regroup, read },
  };
}

/** The last batch an unfinished replay of `generation` committed (`from` when none). */
async function lastReplayed(jobId: string, generation: number, from: number, ctx: ReplayContext): Promise<number> {
  const latest = await ctx.ports.wal.getLatestBatch(jobId);
  if (latest === null || generationOf(latest.plan) !== generation || latest.plan.batchId <= from) return from;
  return latest.status === BatchStatus.COMMITTED ? latest.plan.batchId : latest.plan.batchId - 1;
}

/**
 * A request continues an unfinished replay when it replays the same job from the same
 * batch, not to an earlier one, and regroups when it did (and only then).
 */
function continues(unfinished: ReplayRecord, request: ReplayRequest, sourceJobId: string): boolean {
  return (
    unfinished.sourceJobId === sourceJobId &&
    unfinished.fromBatchId === request.fromBatchId &&
    (request.toBatchId === undefined || request.toBatchId >= unfinished.toBatchId) &&
    (unfinished.regroup !== undefined) === (request.regroup === true)
  );
}

async function checkNotRunning(jobId: string, registry: JobRegistry | undefined): Promise<void> {
  const instance = registry === undefined ? null : await registry.get(jobId);
  if (instance !== null && (instance.state === JobState.RUNNING || instance.state === JobState.STOPPING)) {
    throw new ConflictError(
      `job ${jobId} is ${instance.state} in the job registry: stop it and wait until it is STOPPED (its driver ` +
        `finishes the batch in flight), then replay`,
      { context: { jobId, state: instance.state } },
    );
  }
}

/** The new job of `--into` must be new: nothing in its WAL but, after a crash, the seed. */
async function checkNewJob(into: string, from: number, replays: readonly ReplayRecord[], ctx: ReplayContext): Promise<void> {
  if (replays.length > 0) {
    const last = replays[replays.length - 1]!;
    throw new ConflictError(
      `job ${into} exists already (replayed from job ${last.sourceJobId} after batch ${last.fromBatchId}): choose another job id`,
      { context: { jobId: into } },
    );
  }
  const batches = await ctx.ports.wal.listBatches(into, { limit: 2 });
  const onlySeed = batches.length === 1 && batches[0]!.plan.batchId === from;
  if (batches.length > 0 && !onlySeed) {
    throw new ConflictError(`job ${into} exists already (it has batches): choose another job id`, { context: { jobId: into } });
  }
}

interface SourceBatches {
  readonly batches: ReplayBatch[];
  readonly toBatchId: number;
  readonly latestBatchId: number;
  /** The generation the job had before the replay: above every generation its rows may carry. */
  readonly generation: number;
}

/** Batches N+1..T of the source, as their first run committed them. */
async function sourceBatches(
  jobId: string,
  from: number,
  to: number | undefined,
  unfinished: ReplayRecord | null,
  into: boolean,
  targetReplays: readonly ReplayRecord[],
  ctx: ReplayContext,
): Promise<SourceBatches> {
  const { wal } = ctx.ports;
  const latest = await wal.getLatestBatch(jobId);
  const replays = into ? await wal.listReplays(jobId) : targetReplays;
  const generation = Math.max(0, ...replays.map((r) => r.generation), latest === null ? 0 : generationOf(latest.plan));

  if (unfinished !== null && !into) {
    // Continuing in place: the first runs are in the archive (or, when superseding was
    // cut short, still in the log, below the replay's generation).
    const archived = new Map((await wal.listSupersededBatches(jobId, unfinished.generation)).map((b) => [b.record.plan.batchId, b.record]));
    const batches: ReplayBatch[] = [];
    for (let id = from + 1; id <= unfinished.toBatchId; id += 1) {
      const current = archived.has(id) ? null : await wal.getBatch(jobId, id);
      const original = archived.get(id) ?? (current !== null && generationOf(current.plan) < unfinished.generation ? current : null);
      if (original === null) throw missing(jobId, id, 'neither in the write-ahead log nor in the archive of the replay');
      batches.push(replayBatchOf(original));
    }
    return { batches, toBatchId: unfinished.toBatchId, latestBatchId: unfinished.supersededUpTo ?? unfinished.toBatchId, generation };
  }

  if (latest === null) throw new NotFoundError(`job ${jobId} has no batches in the write-ahead log`, { context: { jobId } });
  let latestCommitted = latest.plan.batchId;
  if (latest.status !== BatchStatus.COMMITTED) {
    if (!into) {
      throw new ConflictError(
        `job ${jobId}: batch ${latest.plan.batchId} is planned but not committed: a driver is running, or stopped in ` +
          `the middle of a batch. Stop the driver (it commits the batch in flight) or let it run until batch ` +
          `${latest.plan.batchId} commits, then replay; or replay into a new job (--into), which leaves job ${jobId} as it is`,
        { context: { jobId, batchId: latest.plan.batchId } },
      );
    }
    latestCommitted -= 1;
  }
  const toBatchId = unfinished?.toBatchId ?? Math.min(to ?? latestCommitted, latestCommitted);
  if (from > latestCommitted || toBatchId > latestCommitted) {
    throw new InvalidArgumentError(
      `job ${jobId}: batch ${Math.max(from, toBatchId)} is not committed (the latest committed batch is ${latestCommitted})`,
      {
        context: { jobId, batchId: from },
      },
    );
  }
  const records = toBatchId > from ? await wal.listBatches(jobId, { fromBatchId: from + 1, limit: toBatchId - from }) : [];
  const batches = records.map((record, i) => {
    if (record.plan.batchId !== from + 1 + i) throw missing(jobId, from + 1 + i, 'not in the write-ahead log');
    return replayBatchOf(record);
  });
  if (batches.length !== toBatchId - from) throw missing(jobId, from + 1 + batches.length, 'not in the write-ahead log');
  return { batches, toBatchId, latestBatchId: latestCommitted, generation };
}

async function requireCommitted(jobId: string, batchId: number, ctx: ReplayContext): Promise<BatchRecord> {
  const record = await ctx.ports.wal.getBatch(jobId, batchId);
  if (record === null)
    throw missing(jobId, batchId, 'no longer in the write-ahead log (retention keeps the last checkpoint.retainBatches batches)');
  if (record.status !== BatchStatus.COMMITTED || record.commit === undefined) {
    // Below the latest committed batch (resolveReplay checked): every batch there is committed.
    throw new InvariantError(`job ${jobId}: batch ${batchId} is not committed`, { context: { jobId, batchId } });
  }
  return record;
}

function replayBatchOf(original: BatchRecord): ReplayBatch {
  const { commit } = original;
  if (original.status !== BatchStatus.COMMITTED || commit === undefined) {
    throw new InvariantError(
      `batch ${original.plan.batchId} of job ${original.plan.jobId} is not committed: only committed batches are replayed`,
    );
  }
  // A committed batch's end per partition is the range its executors read (readRange).
  // One that stopped short of its cap without reaching the tail (its read budget) is
  // recorded with `more`, so the replayed batch is not caught up where the first run was not.
  const rangeEnds: Record<string, RecordedRangeEnd> = {};
  for (const p of original.plan.partitions) {
    const done = commit.partitions[p.partition];
    if (p.endBefore !== undefined || done === undefined) continue;
    const short = !done.caughtUp && done.end.count < p.maxRecords && done.end.closed !== true;
    rangeEnds[p.partition] = short ? { ...done.end, more: true } : done.end;
  }
  return { original, rangeEnds, done: false };
}
