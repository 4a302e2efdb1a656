/**
 * Replay from a checkpoint: re-run a job's committed batches N+1..M with the job
 * definition in code now (after fixing a bug in it, say), from the state after batch N,
 * each batch reading exactly the records its first run read.
 *
 *   in place     the job's own WAL, state and sink. The job must not be running (the
 *                replay takes the WAL lease, so a driver that still runs is fenced, but
 *                stop it first). Batches N+1..L (L: the latest) are superseded: moved to
 *                the WAL's archive of the new generation, as they were; the replayed
 *                batches are written under the same ids, their state versions under the
 *                same numbers, their sink rows with the new generation, which replaces
 *                the superseded batches' rows (engine/ports/sink.ts). After batch M the
 *                driver can resume the job and plans normally from there.
 *   into J2      a new job instance J2, whose WAL starts with a copy of the source's
 *                batch N and whose state starts as a copy of the source's state after N
 *                (same version numbers); batches N+1..M are replayed under J2 into the
 *                sink the job definition names. The source job is only read.
 *
 * Step by step (replayJob), each step safe to repeat:
 *
 *   1. resolve    read and check everything, write nothing (previewReplay stops here):
 *                 the batches to replay and their recorded ranges, the generation, the
 *                 job version of the checkpoint and the migration it needs.
 *   2. begin      take the target job's WAL epoch; (into) seed J2; record the replay in
 *                 the WAL, which raises the job's generation: from then on a driver
 *                 planning from the old generation is refused until the replay is done.
 *   3. supersede  (in place) archive and remove batches N+1..L.
 *   4. replay     per batch: record the first run's range ends, put the replayed plan
 *                 (engine/replay/replay-plan.ts), run every partition (runPartition),
 *                 commit (commitBatch): the protocol's own steps.
 *   5. finish     mark the replay finished.
 *
 * A replay that dies anywhere is finished by running it again with the same arguments:
 * the unfinished replay recorded in the WAL is continued (same generation, same batches),
 * committed batches are skipped and a planned one is resumed with its plan.
 */
import { copyCheckpoint } from './copy-checkpoint.js';
import { checkJobId } from '../driver/job-control.js';
import { commitBatch } from '../driver/commit-batch.js';
import { ConflictError, InvalidArgumentError, InvariantError, NotFoundError, RangeMismatchError } from '../errors.js';
import { runPartition } from '../executor/run-partition.js';
import { StateCache } from '../executor/state-cache.js';
import type { JobDefinition } from '../job/types.js';
import type { EnginePorts } from '../ports/index.js';
import { JobState, type JobRegistry } from '../ports/job-registry.js';
import type { ReplayRecord } from '../ports/write-ahead-log.js';
import { BatchStatus, generationOf, type BatchRecord, type PartitionResult } from '../protocol/batch-records.js';
import { stateMigrationFor } from '../protocol/job-versions.js';
import { sameRangeEnd, type RangeEnd } from '../protocol/offsets.js';
import { retry } from '../retry.js';
import { continuesFrom, readsSameRanges, replayPlanOf, type ReplayJobSettings } from './replay-plan.js';

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
  /** A driver ran during the unfinished replay and took the job over from this batch on (see replayJob). */
  readonly overtakenAt: number | null;
}

/** Step 1 alone: what a replay would read and write, with every check. Writes nothing. */
export async function previewReplay(request: ReplayRequest, ctx: ReplayContext): Promise<ReplayScope> {
  return resolveReplay(request, ctx);
}

/** Replays (see the top of this file). Run it again with the same request after any failure. */
export async function replayJob(request: ReplayRequest, ctx: ReplayContext): Promise<ReplayOutcome> {
  const scope = await resolveReplay(request, ctx);
  const { ports } = ctx;
  const { wal } = ports;
  const target = scope.targetJobId;
  if (scope.mode === 'in-place' && scope.continuing === null && scope.batches.length === 0) {
    return { scope, replayed: 0, records: 0, outputRows: 0, superseded: 0, overtakenAt: null };
  }

  // 2. begin: the lease fences any driver of the target; then the replay is recorded.
  const epoch = await wal.acquireEpoch(target);
  if (scope.continuing === null) {
    if (scope.mode === 'into') await seed(scope, epoch, ctx);
    await wal.beginReplay({
      jobId: target,
      generation: scope.generation,
      sourceJobId: scope.sourceJobId,
      fromBatchId: scope.fromBatchId,
      toBatchId: scope.toBatchId,
      supersededUpTo: scope.mode === 'in-place' ? scope.latestBatchId : null,
      jobVersion: ctx.job.version,
      epoch,
      startedAt: ports.clock.now(),
      finishedAt: null,
    });
    ports.logger.info('replay begun', { jobId: target, generation: scope.generation, from: scope.fromBatchId, to: scope.toBatchId });
  }

  // 3. supersede (in place): harmless again when continuing, and finishes a cut-short one.
  const superseded = scope.mode === 'in-place' ? await wal.supersedeBatchesAbove(target, scope.fromBatchId, scope.generation) : 0;

  // 4. replay, batch by batch.
  const settings: ReplayJobSettings = {
    version: ctx.job.version,
    allowedLatenessMs: ctx.job.pipeline.allowedLatenessMs,
    migratesFrom: ctx.job.migrations.map((m) => m.fromVersion),
  };
  const cache = new StateCache();
  let replayed = 0;
  let records = 0;
  let outputRows = 0;
  for (const [i, batch] of scope.batches.entries()) {
    const batchId = batch.original.plan.batchId;
    if (batch.done) {
      // Committed by the interrupted run (and maybe deleted by retention since).
      ctx.onProgress?.({ index: i + 1, total: scope.batches.length, batchId, records: 0, outputRows: 0, skipped: true });
      continue;
    }
    let record = await wal.getBatch(target, batchId);
    if (record !== null && generationOf(record.plan) !== scope.generation) {
      throw new ConflictError(
        `job ${target}: batch ${batchId} in the write-ahead log is of generation ${generationOf(record.plan)}, not the replay's ${scope.generation}`,
        { context: { jobId: target, batchId } },
      );
    }
    if (record !== null && !(await readsAsFirstRun(target, record, batch, wal))) return overtaken(batchId);
    if (record === null) {
      const previous = batchId - 1 > 0 ? await wal.getBatch(target, batchId - 1) : null;
      if (batchId - 1 > 0 && previous === null) throw missing(target, batchId - 1, 'not in the write-ahead log: the replay cannot go on');
      if (!continuesFrom(previous, batch.original.plan)) return overtaken(batchId);
      const plan = replayPlanOf({
        original: batch.original.plan,
        previous,
        jobId: target,
        epoch,
        generation: scope.generation,
        nowMs: ports.clock.now(),
        job: settings,
      });
      // The first run's range ends, recorded before the plan exists: every executor of the
      // replayed batch (and any retry) reads exactly those records.
      for (const [partition, end] of Object.entries(batch.rangeEnds)) {
        const recorded = await wal.recordRangeEnd(target, batchId, partition, end);
        if (!sameRangeEnd(recorded, end)) throw rangeMismatch(target, batchId, partition, end, recorded);
      }
      await wal.putPlan(plan);
      record = { plan, status: BatchStatus.PLANNED };
    }
    const skipped = record.status === BatchStatus.COMMITTED;
    if (!skipped) {
      const results = await runExecutors(target, record, ctx, cache);
      for (const result of results) {
        const first = batch.original.commit!.partitions[result.partition]?.end;
        if (first !== undefined && !sameRangeEnd(first, result.end))
          throw rangeMismatch(target, batchId, result.partition, first, result.end);
      }
      const commit = await commitBatch({ jobId: target, epoch, batchId, results }, { ports, job: ctx.job });
      replayed += 1;
      records += commit.metrics.records;
      outputRows += commit.metrics.outputRows;
    }
    const metrics = (await wal.getBatch(target, batchId))?.commit?.metrics;
    ctx.onProgress?.({
      index: i + 1,
      total: scope.batches.length,
      batchId,
      records: metrics?.records ?? 0,
      outputRows: metrics?.outputRows ?? 0,
      skipped,
    });
  }

  // 5. finish.
  await wal.finishReplay(target, scope.generation, ports.clock.now());
  ports.logger.info('replay finished', { jobId: target, generation: scope.generation, replayed, records });
  return { scope, replayed, records, outputRows, superseded, overtakenAt: null };

  /**
   * A driver ran during the unfinished replay (at the replay's generation, the only one
   * the WAL lets it plan) and read other ranges from `batchId` on: the job already runs
   * the new logic from there, consistently. The replay has nothing left to do.
   */
  async function overtaken(batchId: number): Promise<ReplayOutcome> {
    ports.logger.warn('a driver took the job over during the replay: the replay ends', { jobId: target, batchId });
    await wal.finishReplay(target, scope.generation, ports.clock.now());
    return { scope, replayed, records, outputRows, superseded, overtakenAt: batchId };
  }
}

/**
 * True when a batch of the replay's generation found in the WAL reads the records its
 * first run read: the replay planned it (or a driver planned the same): it is resumed or,
 * committed, kept. Its committed ends, or the range ends recorded so far, must match.
 */
async function readsAsFirstRun(jobId: string, record: BatchRecord, batch: ReplayBatch, wal: EnginePorts['wal']): Promise<boolean> {
  if (!readsSameRanges(record.plan, batch.original.plan)) return false;
  for (const [partition, end] of Object.entries(batch.rangeEnds)) {
    const read = record.commit?.partitions[partition]?.end ?? (await wal.getRangeEnd(jobId, record.plan.batchId, partition));
    if (read !== null && read !== undefined && !sameRangeEnd(read, end)) return false;
  }
  return true;
}

async function runExecutors(jobId: string, record: BatchRecord, ctx: ReplayContext, cache: StateCache): Promise<PartitionResult[]> {
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

/** Into a new job: the new job starts from batch N of the source, at the replay's generation. */
async function seed(scope: ReplayScope, epoch: number, ctx: ReplayContext): Promise<void> {
  if (scope.base === null) return;
  // At the replay's generation: every later plan of the new job follows the seed at it,
  // even when there is nothing to replay (N = the source's latest batch).
  await copyCheckpoint({ base: scope.base, targetJobId: scope.targetJobId, epoch, generation: scope.generation }, ctx.ports);
}

/** Step 1: reads and checks; writes nothing. */
async function resolveReplay(request: ReplayRequest, ctx: ReplayContext): Promise<ReplayScope> {
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

  const replays = await wal.listReplays(targetJobId);
  const unfinished = replays.find((r) => r.finishedAt === null) ?? null;
  if (unfinished !== null && !continues(unfinished, request, sourceJobId)) {
    const to = unfinished.toBatchId;
    throw new ConflictError(
      `job ${targetJobId} has an unfinished replay (generation ${unfinished.generation}, batches ` +
        `${unfinished.fromBatchId + 1}..${to} of job ${unfinished.sourceJobId}): finish it first by running it again: ` +
        `npm run replay -- --job ${unfinished.sourceJobId} --from-batch ${unfinished.fromBatchId} --to-batch ${to}` +
        (unfinished.sourceJobId === targetJobId ? '' : ` --into ${targetJobId}`),
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
  return {
    mode: into === null ? 'in-place' : 'into',
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
    migrateFromVersion:
      base === null || !needBase
        ? undefined
        : stateMigrationFor({
            jobId: sourceJobId,
            checkpoint: base.plan,
            codeVersion: ctx.job.version,
            migratesFrom: ctx.job.migrations.map((m) => m.fromVersion),
          }),
  };
}

/** The last batch an unfinished replay of `generation` committed (`from` when none). */
async function lastReplayed(jobId: string, generation: number, from: number, ctx: ReplayContext): Promise<number> {
  const latest = await ctx.ports.wal.getLatestBatch(jobId);
  if (latest === null || generationOf(latest.plan) !== generation || latest.plan.batchId <= from) return from;
  return latest.status === BatchStatus.COMMITTED ? latest.plan.batchId : latest.plan.batchId - 1;
}

/** A request continues an unfinished replay when it replays the same job from the same batch, not to an earlier one. */
function continues(unfinished: ReplayRecord, request: ReplayRequest, sourceJobId: string): boolean {
  return (
    unfinished.sourceJobId === sourceJobId &&
    unfinished.fromBatchId === request.fromBatchId &&
    (request.toBatchId === undefined || request.toBatchId >= unfinished.toBatchId)
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
  const rangeEnds: Record<string, RangeEnd> = {};
  for (const p of original.plan.partitions) {
    const end = commit.partitions[p.partition]?.end;
    if (p.endBefore === undefined && end !== undefined) rangeEnds[p.partition] = end;
  }
  return { original, rangeEnds, done: false };
}

function missing(jobId: string, batchId: number, why: string): NotFoundError {
  return new NotFoundError(`job ${jobId}: batch ${batchId} is ${why}`, { context: { jobId, batchId } });
}

function rangeMismatch(jobId: string, batchId: number, partition: string, expected: RangeEnd, got: RangeEnd): RangeMismatchError {
  return new RangeMismatchError(
    `job ${jobId}, batch ${batchId}, partition ${partition}: the replay read ${got.count} records up to ` +
      `${got.lastOffset ?? 'nothing'}, its first run ${expected.count} up to ${expected.lastOffset ?? 'nothing'}: ` +
      `the source no longer holds the same records`,
    { context: { jobId, batchId, partition } },
  );
}
