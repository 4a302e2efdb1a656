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
 *                (same version numbers: each partition's, or each key group's);
 *                batches N+1..M are replayed under J2 into the sink the job definition
 *                names. The source job is only read.
 *
 * Layouts (replay-layout.ts): the replayed batches keep the layout of the state after N
 * (its number of key groups, or state per partition), and code that declares another is
 * refused before anything is written, unless the replay regroups (--regroup, regroup.ts):
 * the state after N is then re-sliced into the key groups the code declares, written as
 * version N of each key group, and the replayed batches (and the driver's after them)
 * plan with the new layout. In place the first replayed plan records it; into J2, J2's
 * copy of batch N is the regrouped checkpoint. A replayed batch with key groups runs in
 * two stages, as the driver runs it (replay-batch.ts): stage 1 per partition on exactly
 * the first run's ranges, stage 2 per active key group, and commits the groups' states.
 *
 * Step by step (replayJob), each step safe to repeat:
 *
 *   1. resolve    read and check everything, write nothing (previewReplay stops here):
 *                 the batches to replay and their recorded ranges, the generation, the
 *                 job version of the checkpoint and the migration it needs, the layout,
 *                 and a regroup's state, read and re-sliced in memory (every refusal of
 *                 a regroup happens here: a key held by two scopes that the aggregate
 *                 cannot merge, a key of another shape).
 *   2. begin      claim the job's sinks for the target job (replay-sinks.ts: refused when
 *                 another instance owns one, unless --force takes it from a stopped one);
 *                 take the target job's WAL epoch; (into) seed J2 (with --regroup: the
 *                 regrouped state as version N of each key group, then J2's batch N in
 *                 the new layout); record the replay in the WAL (with the regroup's
 *                 layouts), which raises the job's generation: from then on a driver
 *                 planning from the old generation is refused until the replay is done.
 *   3. supersede  (in place) archive and remove batches N+1..L.
 *   4. replay     per batch: record the first run's range ends, put the replayed plan
 *                 (engine/replay/replay-plan.ts), run every partition (runPartition) and,
 *                 with key groups, stage 2 per active key group (runKeyGroups), commit
 *                 (commitBatch): the protocol's own steps. In place with --regroup, the
 *                 state after N is regrouped just before batch N+1 is planned (written as
 *                 version N of the key groups), and batch N+1's plan names it.
 *   5. finish     mark the replay finished.
 *
 * A replay that dies anywhere is finished by running it again with the same arguments
 * (--regroup included: the replay record says whether it regroups, and a run that says
 * otherwise is refused with the command that finishes it): the unfinished replay recorded
 * in the WAL is continued (same generation, same batches), committed batches are skipped
 * and a planned one is resumed with its plan. A regroup cut short is done again from the
 * start: it reads only the checkpoint, which nothing it writes overwrites, and writes the
 * same bytes; once batch N+1 is planned (in place) or J2's batch N committed (into), the
 * regroup is recorded and never done again.
 *
 * This file runs the steps. The rest of the replay, in this folder: replay-scope.ts
 * resolves its scope (step 1, with every check; replay-layout.ts the layout's),
 * replay-batch.ts checks a batch found in the WAL and runs a replayed batch's executors,
 * replay-plan.ts plans a replayed batch, copy-checkpoint.ts seeds a new job, regroup.ts
 * (with regroup-entries.ts) regroups the state after N; the request, context and outcome
 * types are in replay-types.ts and the errors more than one step builds in replay-errors.ts.
 */
import { copyCheckpoint } from './copy-checkpoint.js';
import { commitBatch, commitSinks } from '../driver/commit-batch.js';
import { claimSinks } from '../driver/sink-ownership.js';
import { ConflictError, InvariantError } from '../errors.js';
import { StateCache } from '../executor/state-cache.js';
import { BatchStatus, generationOf } from '../protocol/batch-records.js';
import { sameRangeEnd } from '../protocol/offsets.js';
import { readRegroup, seedRegrouped, writeRegroup } from './regroup.js';
import { readsAsFirstRun, runReplayedBatch } from './replay-batch.js';
import { missing, rangeMismatch } from './replay-errors.js';
import { continuesFrom, replayPlanOf, type RegroupedLayout, type ReplayJobSettings } from './replay-plan.js';
import { resolveReplay } from './replay-scope.js';
import { replaySinkClaim } from './replay-sinks.js';
import type { ReplayContext, ReplayOutcome, ReplayRequest, ReplayScope } from './replay-types.js';

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

  // 2. begin: the sinks are the target's; the lease fences any driver of the target; then the replay is recorded.
  const sinksTakenOver =
    ctx.registry === undefined
      ? []
      : await claimSinks(replaySinkClaim(request, target, ctx.job), { registry: ctx.registry, clock: ports.clock });
  for (const t of sinksTakenOver) ports.logger.warn('sink taken over', { jobId: target, target: t.target, fromJobId: t.fromJobId });
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
      ...(scope.regroup === null ? {} : { regroup: { fromKeyGroups: scope.regroup.fromKeyGroups, keyGroups: scope.regroup.keyGroups } }),
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
    stateShape: ctx.job.stateShape,
    ...(ctx.job.keyGroups === undefined ? {} : { keyGroups: ctx.job.keyGroups }),
  };
  const cache = new StateCache();
  let replayed = 0;
  let records = 0;
  let outputRows = 0;
  for (const [i, batch] of scope.batches.entries()) {
    const batchId = batch.original.plan.batchId;
    if (batch.done) {
      // Committed by the interrupted run (and maybe deleted by retention since). A crash
      // between its WAL commit and its sinks' commit (a file sink's log entry) is repaired here.
      const committed = await wal.getBatch(target, batchId);
      if (committed?.status === BatchStatus.COMMITTED) await commitSinks(committed, { ports, job: ctx.job });
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
      // In place, a regroup's state is written just before the plan that names it.
      const regrouped =
        scope.regroup !== null && scope.mode === 'in-place' && batchId === scope.fromBatchId + 1 ? await regroupInPlace() : undefined;
      const plan = replayPlanOf({
        original: batch.original.plan,
        previous,
        jobId: target,
        epoch,
        generation: scope.generation,
        nowMs: ports.clock.now(),
        job: settings,
        ...(regrouped === undefined ? {} : { regrouped }),
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
      const outputs = await runReplayedBatch(target, record, batch, ctx, cache);
      const commit = await commitBatch({ jobId: target, epoch, batchId, ...outputs }, { ports, job: ctx.job });
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
  return { scope, replayed, records, outputRows, superseded, overtakenAt: null, sinksTakenOver };

  /** The state after N (the source's batch N: in place, the job's own), regrouped and written as version N. */
  async function regroupInPlace(): Promise<RegroupedLayout> {
    const base = scope.base;
    if (base === null || scope.regroup === null) throw new InvariantError(`job ${target}: a regroup needs batch ${scope.fromBatchId}`);
    const { keyGroups } = scope.regroup;
    const { regrouped } = await readRegroup({ base, job: ctx.job, keyGroups }, ports);
    const groups = await writeRegroup({ regrouped, targetJobId: target, version: scope.fromBatchId, generation: scope.generation }, ports);
    ports.logger.info('state regrouped', { jobId: target, batchId: scope.fromBatchId, keyGroups, groups: regrouped.groups.size });
    return { keyGroups, groups };
  }

  /**
   * A driver ran during the unfinished replay (at the replay's generation, the only one
   * the WAL lets it plan) and read other ranges from `batchId` on: the job already runs
   * the new logic from there, consistently. The replay has nothing left to do.
   */
  async function overtaken(batchId: number): Promise<ReplayOutcome> {
    ports.logger.warn('a driver took the job over during the replay: the replay ends', { jobId: target, batchId });
    await wal.finishReplay(target, scope.generation, ports.clock.now());
    return { scope, replayed, records, outputRows, superseded, overtakenAt: batchId, sinksTakenOver };
  }
}

/** Into a new job: the new job starts from batch N of the source (regrouped with --regroup), at the replay's generation. */
async function seed(scope: ReplayScope, epoch: number, ctx: ReplayContext): Promise<void> {
  if (scope.base === null) return;
  // At the replay's generation: every later plan of the new job follows the seed at it,
  // even when there is nothing to replay (N = the source's latest batch).
  const args = { base: scope.base, targetJobId: scope.targetJobId, epoch, generation: scope.generation };
  if (scope.regroup === null) await copyCheckpoint(args, ctx.ports);
  else await seedRegrouped({ ...args, job: ctx.job, keyGroups: scope.regroup.keyGroups }, ctx.ports);
}
