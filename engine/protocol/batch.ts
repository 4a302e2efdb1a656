/**
 * The micro-batch protocol of one job, as pure functions over the write-ahead log's
 * records. No I/O happens here: the driver functions in engine/driver read the WAL, call
 * these, and write what they return.
 *
 * The WAL (engine/ports/write-ahead-log.ts) holds, per job, one record per batch:
 *
 *   PLANNED    the offset log entry: for every partition, where the batch starts, the
 *              most it may read (the rate limit), the state version it builds on, and the
 *              watermark it uses. Written once, conditionally, by the driver whose epoch
 *              is current. Never changed afterwards: a re-run reads exactly this.
 *   range end  per partition, written once (conditional put) by the first executor
 *              attempt, before any of its output is visible. For Kinesis this is the only
 *              place the end of a range becomes known. Every retry, every zombie and every
 *              replay reads exactly this range.
 *   COMMITTED  the commit log entry: the plan plus, per partition, the end that was read,
 *              the next start, the state version holding the partition's state after the
 *              batch, the highest event time seen, and the batch's metrics. Written by a
 *              conditional update that also checks the driver's epoch.
 *
 * Step by step, for batch N:
 *
 *   1. plan      resolveNextBatch(latest): see below. The new plan is put with
 *                "attribute_not_exists AND lease.epoch = myEpoch". A driver that loses gets
 *                ConcurrentDriverError and stops.
 *   2. execute   per partition: read exactly the range (record its end first if it is
 *                not recorded yet), apply the pipeline to state version base, write state
 *                version N to the state store, write output rows to the sink idempotently
 *                (each row carries (generation, N) and is only written if the stored
 *                row's pair is not newer), dead letters to the dead-letter table. All of
 *                it deterministic in (plan, range end, state base): running it twice
 *                writes the same bytes.
 *   3. commit    commit record N, conditional on "status = PLANNED AND lease.epoch =
 *                myEpoch". Only now may batch N+1 be planned and retention act.
 *   4. retention delete WAL records and state versions that no commit can need any more
 *                (retentionPlan): never anything a committed batch's successor reads.
 *
 * Recovery, after any crash at any point (resolveNextBatch):
 *
 *   IF the WAL holds no batch THEN plan batch 1 from the job's starting position
 *   ELSE IF the latest batch is PLANNED (not committed) THEN
 *       re-run it with exactly its recorded plan: partitions whose range end is recorded
 *       read exactly that range; the others read from their start up to the cap and
 *       record their end first. Output rewrites the same rows (idempotent), state
 *       version N is rewritten with the same content.
 *   ELSE (the latest batch is COMMITTED) plan batch N+1 starting where N ended.
 *
 * Partitions that change shape (engine/protocol/lineage.ts):
 *   - A Kinesis shard closed by a split or merge is read to its end (its range end says
 *     `closed`); then it is finished: it leaves the plans, and its final state version is
 *     carried forward in every plan's `finished`.
 *   - A child shard joins a plan only once every parent still listed by the source is
 *     finished, so a key's records are read in order across the reshard. Its first plan
 *     names the parents' final state versions (`inherits`) and its hash key range: the
 *     executor builds its state from the parents' entries whose key hashes into it (a
 *     split divides the state, a merge unites it).
 *   - That first plan also records, in `handedOver` (carried forward), the batch in which
 *     each parent's final state was handed to its children. Kinesis opens a split's two
 *     children together and a merge's one child once both parents are finished, so every
 *     child of a parent inherits in that same batch: from then on the parent's state is
 *     read by no plan, and once that batch is older than every kept batch, retention
 *     deletes it.
 *   - Sources that know their partitions' ends up front (Kafka) fix each range in the
 *     plan: [AT_OFFSET s, endBefore e). No range end is recorded for those; a start that
 *     has aged out of the source fails the plan with DataLossError, or, when the job
 *     allows data loss, moves to the earliest offset and records what was skipped.
 *
 * Job versions and replay generations:
 *   - Every plan records the job version whose code plans and runs it (`jobVersion`).
 *     A planned batch is finished by that version: the driver and the executors of
 *     another version refuse it (checkPlannedVersion). The first plan after a version
 *     change names the version that wrote its base state (`migrateFromVersion`) and the
 *     executor applies the job's declared state migration from it first; when the job
 *     declares none, planning fails with JobSpecError (stateMigrationFor). A finished
 *     shard is in no later plan, so its final state keeps the version it ended under
 *     (`finishedJobVersions`): a child's first plan names that version in `inherits`
 *     when it is not the code's, and the executor migrates the parent's state first
 *     (inheritedStates).
 *   - Every plan carries the job's replay generation (`generation`): 0 until a replay
 *     (engine/replay) re-runs committed batches N+1..M with the code of the day, with
 *     their recorded ranges, at generation g+1; later plans keep it. Sink rows are
 *     ordered by (generation, batch), so a replay's rows replace those of the batches
 *     it superseded, and those never replace a replay's.
 *
 * The watermark used by batch N is fixed in its plan from data up to N-1:
 *   watermark(N) = max(watermark(N-1), maxEventTime(up to N-1) - allowedLateness)
 * so it never decreases and a replay of N computes the same output.
 */
import { InvariantError, JobSpecError } from '../errors.js';
import { lineageOf, type HashKeyRange, type PartitionLineage } from './lineage.js';
import {
  nextStart,
  resolveStartingPosition,
  type Offset,
  type RangeEnd,
  type StartPosition,
  type StartingPosition,
} from './offsets.js';

export const BatchStatus = {
  PLANNED: 'PLANNED',
  COMMITTED: 'COMMITTED',
} as const;
export type BatchStatus = (typeof BatchStatus)[keyof typeof BatchStatus];

/** The first batch of a job. State version 0 is the empty state every partition starts from. */
export const FIRST_BATCH_ID = 1;
export const EMPTY_STATE_VERSION = 0;

/** A parent's final state a child shard's first batch builds on. */
export interface InheritedState {
  readonly partition: string;
  readonly stateVersion: number;
  /**
   * The job version the parent's final state was written in, when it is not the plan's:
   * the executor applies the job's state migration from it before dividing the state.
   */
  readonly jobVersion?: number;
}

export interface PartitionPlan {
  readonly partition: string;
  readonly start: StartPosition;
  /** The rate limit: at most this many records are read for this partition in this batch. */
  readonly maxRecords: number;
  /** The state version this batch builds on: the partition's state after its last batch that changed it. */
  readonly baseStateVersion: number;
  /** A range fixed at plan time (Kafka): the records at offsets in [start, endBefore). */
  readonly endBefore?: Offset;
  /** With endBefore: the range reaches the partition's end as it was when planned. */
  readonly endIsTail?: boolean;
  /** Offsets [from, to) that had aged out of the source and were skipped (the job allows data loss). */
  readonly skipped?: { readonly from: Offset; readonly to: Offset };
  /** The first plan of a child shard: the parents' final state versions its state is built from. */
  readonly inherits?: readonly InheritedState[];
  /** The partition's hash key range (Kinesis), which decides which inherited keys it owns. */
  readonly hashKeyRange?: HashKeyRange;
  /**
   * The source listed the partition as closed when this was planned (a Kinesis shard
   * after a split or merge): an empty read at the tail is not its end, so the reader
   * follows the shard until the source says it ended (readRange).
   */
  readonly closed?: true;
}

export interface BatchPlan {
  readonly jobId: string;
  readonly batchId: number;
  /** The epoch of the driver that wrote the plan. */
  readonly epoch: number;
  readonly plannedAt: number;
  /** Event-time watermark for this batch; null until the job has seen an event time. */
  readonly watermarkMs: number | null;
  /** Highest event time seen by committed batches before this one (carried forward). */
  readonly maxEventTimeMs: number | null;
  readonly partitions: readonly PartitionPlan[];
  /** The job's starting position as resolved by its first plan; partitions that appear later start there too. */
  readonly startingPosition: StartPosition;
  /** Partitions read to their end (closed shards), with their final state version (carried forward). */
  readonly finished: Readonly<Record<string, number>>;
  /**
   * Finished partitions whose children have built their first state from them, with the
   * batch whose plan did (carried forward while the partition is in `finished`). Absent
   * in plans written before it was recorded: retention keeps those partitions' state.
   */
  readonly handedOver?: Readonly<Record<string, number>>;
  /**
   * The job version each finished partition's final state was written in (the version of
   * the plan that finished it; carried forward while the partition is in `finished`), so
   * a child that starts under a later version migrates it. Absent in older plans.
   */
  readonly finishedJobVersions?: Readonly<Record<string, number>>;
  /**
   * The job version (JobDefinition.version) whose code plans and runs this batch. Absent
   * in plans written before versions were recorded: no version check applies to those.
   */
  readonly jobVersion?: number;
  /**
   * The base state of this batch was written by this other job version: the executor
   * applies the job's state migration from it before the batch (the first batch under a
   * new version). Absent: the base state is already in this batch's version.
   */
  readonly migrateFromVersion?: number;
  /**
   * The job's replay generation: 0 until a replay, then the generation of the latest
   * replay (engine/replay). Sink rows carry (generation, batchId). Absent: 0. Not the
   * driver generation of engine/ports/job-registry.ts, which counts driver executions.
   */
  readonly generation?: number;
}

/** A plan's replay generation; plans written before generations existed count as 0. */
export function generationOf(plan: BatchPlan): number {
  return plan.generation ?? 0;
}

/** What an executor returns for one partition of one batch: small and serialisable. */
export interface PartitionResult {
  readonly partition: string;
  readonly end: RangeEnd;
  /** The state version holding this partition's state after the batch (the batch id, or the base when unchanged). */
  readonly stateVersion: number;
  readonly records: number;
  readonly outputRows: number;
  readonly deadLetters: number;
  readonly lateRecords: number;
  readonly maxEventTimeMs: number | null;
  readonly stateRows: number;
  readonly stateBytesWritten: number;
  /** Milliseconds the reader was behind the tail of the partition after reading, if known. */
  readonly lagMs: number | null;
  /** The reader reached the tail of the partition: there was nothing more to read right now. */
  readonly caughtUp: boolean;
  /** Offsets of a fixed range that aged out between its plan and its read (data loss allowed). */
  readonly skippedOffsets?: number;
}

export interface BatchMetrics {
  readonly records: number;
  /** Offsets skipped because they had aged out of the source (only when the job allows data loss). */
  readonly skippedOffsets: number;
  readonly outputRows: number;
  readonly deadLetters: number;
  readonly lateRecords: number;
  readonly stateRows: number;
  readonly stateBytesWritten: number;
  readonly durationMs: number;
  readonly lagMs: number | null;
}

export interface PartitionCommit {
  readonly end: RangeEnd;
  readonly nextStart: StartPosition;
  readonly stateVersion: number;
  readonly caughtUp: boolean;
  readonly lagMs: number | null;
}

export interface BatchCommit {
  readonly batchId: number;
  readonly epoch: number;
  readonly committedAt: number;
  /** Highest event time seen up to and including this batch. */
  readonly maxEventTimeMs: number | null;
  readonly partitions: Readonly<Record<string, PartitionCommit>>;
  readonly metrics: BatchMetrics;
}

export interface BatchRecord {
  readonly plan: BatchPlan;
  readonly status: BatchStatus;
  readonly commit?: BatchCommit;
}

/** Job settings the planner needs; a subset of the job definition. */
export interface PlanningSettings {
  readonly startingPosition: StartingPosition;
  readonly maxRecordsPerPartition: number;
  /** Allowed lateness of event time, or null when the job has no event-time watermark. */
  readonly allowedLatenessMs: number | null;
  /** The version of the job's code (JobDefinition.version): recorded in every plan. */
  readonly jobVersion: number;
  /** The versions the job declares a state migration from (JobDefinition.migrations). */
  readonly migratesFrom?: readonly number[];
}

export type NextBatch =
  | { readonly kind: 'plan'; readonly plan: BatchPlan }
  | { readonly kind: 'resume'; readonly plan: BatchPlan };

/**
 * Decides which batch runs next (see the recovery rules at the top of this file).
 * `partitions` are the source's current partitions, used for a new plan only.
 */
export function resolveNextBatch(args: {
  readonly jobId: string;
  readonly epoch: number;
  readonly latest: BatchRecord | null;
  readonly partitions: readonly (string | PartitionLineage)[];
  readonly settings: PlanningSettings;
  readonly nowMs: number;
}): NextBatch {
  const { latest } = args;
  if (latest !== null && latest.status === BatchStatus.PLANNED) {
    checkPlannedVersion({ jobId: args.jobId, plan: latest.plan, codeVersion: args.settings.jobVersion, migratesFrom: args.settings.migratesFrom ?? [] });
    return { kind: 'resume', plan: latest.plan };
  }
  return { kind: 'plan', plan: planNextBatch({ ...args, previous: latest }) };
}

/**
 * Plans the batch after `previous` (or the first batch when there is none), from the
 * partitions the source lists now (ids, or ids with their lineage). See the rules on
 * partitions that change shape at the top of this file.
 */
export function planNextBatch(args: {
  readonly jobId: string;
  readonly epoch: number;
  readonly previous: BatchRecord | null;
  readonly partitions: readonly (string | PartitionLineage)[];
  readonly settings: PlanningSettings;
  readonly nowMs: number;
}): BatchPlan {
  const { previous, settings } = args;
  validatePlanningSettings(settings);
  if (previous !== null && (previous.status !== BatchStatus.COMMITTED || previous.commit === undefined)) {
    throw new InvariantError(`batch ${previous.plan.batchId} is not committed: it must be resumed, not followed`);
  }
  const commit = previous?.commit;
  // Fixed by the first plan: a partition that appears later (a Kafka partition added, a
  // Kinesis child shard) starts there too, so LATEST keeps meaning "from the job's start".
  const startingPosition = previous?.plan.startingPosition ?? resolveStartingPosition(settings.startingPosition, args.nowMs);
  const lineage = lineageOf({
    listed: args.partitions.map((p) => (typeof p === 'string' ? { id: p, parentIds: [] } : p)),
    previousFinished: previous?.plan.finished ?? {},
    committed: commit?.partitions ?? {},
  });
  const finishedJobVersions = finishedJobVersionsAfter(previous, lineage.finished);
  const partitions: PartitionPlan[] = lineage.ready.map(({ id, inherits: parents, hashKeyRange, closed }) => {
    const done = commit?.partitions[id];
    // Only a child's first plan builds on its parents (and may need their migration).
    const inherits =
      done === undefined
        ? inheritedStates(parents, finishedJobVersions, { jobId: args.jobId, child: id, codeVersion: settings.jobVersion, migratesFrom: settings.migratesFrom ?? [] })
        : [];
    return {
      partition: id,
      start: done ? done.nextStart : startingPosition,
      maxRecords: settings.maxRecordsPerPartition,
      baseStateVersion: done ? done.stateVersion : EMPTY_STATE_VERSION,
      ...(done === undefined && inherits.length > 0 ? { inherits } : {}),
      ...(hashKeyRange ? { hashKeyRange } : {}),
      ...(closed ? { closed } : {}),
    };
  });
  const batchId = previous ? previous.plan.batchId + 1 : FIRST_BATCH_ID;
  const handedOver = handOver(previous?.plan.handedOver ?? {}, lineage.finished, partitions, batchId);
  const maxEventTimeMs = commit?.maxEventTimeMs ?? null;
  const migrateFromVersion =
    previous === null
      ? undefined
      : stateMigrationFor({ jobId: args.jobId, checkpoint: previous.plan, codeVersion: settings.jobVersion, migratesFrom: settings.migratesFrom ?? [] });
  return {
    jobId: args.jobId,
    batchId,
    epoch: args.epoch,
    plannedAt: args.nowMs,
    watermarkMs: nextWatermark(previous?.plan.watermarkMs ?? null, maxEventTimeMs, settings.allowedLatenessMs),
    maxEventTimeMs,
    partitions,
    startingPosition,
    finished: lineage.finished,
    ...(Object.keys(handedOver).length > 0 ? { handedOver } : {}),
    ...(Object.keys(finishedJobVersions).length > 0 ? { finishedJobVersions } : {}),
    jobVersion: settings.jobVersion,
    ...(migrateFromVersion === undefined ? {} : { migrateFromVersion }),
    generation: previous === null ? 0 : generationOf(previous.plan),
  };
}

/**
 * `finishedJobVersions` of the plan after `previous`: its own for partitions still
 * finished, plus the version of `previous`'s plan for the partitions it read to their end.
 */
export function finishedJobVersionsAfter(previous: BatchRecord | null, finished: Readonly<Record<string, number>>): Record<string, number> {
  const versions: Record<string, number> = {};
  for (const [partition, version] of Object.entries(previous?.plan.finishedJobVersions ?? {})) {
    if (finished[partition] !== undefined) versions[partition] = version;
  }
  const writer = previous?.plan.jobVersion;
  if (writer === undefined) return versions;
  for (const [partition, p] of Object.entries(previous?.commit?.partitions ?? {})) {
    if (p.end.closed && finished[partition] !== undefined) versions[partition] = writer;
  }
  return versions;
}

/**
 * A child's parents, each with the job version its final state was written in when that
 * is not the code's. Throws JobSpecError when the code declares no migration from it:
 * the child could not read its parents' state.
 */
export function inheritedStates(
  parents: readonly { readonly partition: string; readonly stateVersion: number }[],
  versions: Readonly<Record<string, number>>,
  args: { readonly jobId: string; readonly child: string; readonly codeVersion: number; readonly migratesFrom: readonly number[] },
): InheritedState[] {
  return parents.map((parent) => {
    const written = versions[parent.partition];
    if (written === undefined || written === args.codeVersion) return { partition: parent.partition, stateVersion: parent.stateVersion };
    if (!args.migratesFrom.includes(written)) {
      throw new JobSpecError(
        `job ${args.jobId}: shard ${args.child} starts from the final state of its parent ${parent.partition}, written by job version ${written}, ` +
          `and this code is version ${args.codeVersion}, which declares no state migration from version ${written}: ` +
          `declare migrations: [{ fromVersion: ${written}, state }], or deploy version ${written} until the child has started`,
        { context: { jobId: args.jobId, partition: args.child, parent: parent.partition, parentVersion: written, codeVersion: args.codeVersion } },
      );
    }
    return { partition: parent.partition, stateVersion: parent.stateVersion, jobVersion: written };
  });
}

/** `handedOver` of the plan of `batchId`: the previous one's, plus the parents this plan's children inherit from. */
function handOver(
  previous: Readonly<Record<string, number>>,
  finished: Readonly<Record<string, number>>,
  partitions: readonly PartitionPlan[],
  batchId: number,
): Record<string, number> {
  const handedOver: Record<string, number> = {};
  for (const [partition, at] of Object.entries(previous)) if (finished[partition] !== undefined) handedOver[partition] = at;
  for (const p of partitions) {
    for (const parent of p.inherits ?? []) handedOver[parent.partition] ??= batchId;
  }
  return handedOver;
}

/**
 * The job version whose state a new plan after `checkpoint` (the latest committed batch)
 * builds on, when it is not the code's: the plan records it as `migrateFromVersion` and
 * the executor migrates the base state. undefined when no migration is needed (same
 * version, or a checkpoint written before versions were recorded). Throws JobSpecError,
 * saying what to do, when the versions differ and the job declares no migration.
 */
export function stateMigrationFor(args: {
  readonly jobId: string;
  readonly checkpoint: BatchPlan;
  readonly codeVersion: number;
  readonly migratesFrom: readonly number[];
}): number | undefined {
  const { jobId, checkpoint, codeVersion } = args;
  const written = checkpoint.jobVersion;
  if (written === undefined || written === codeVersion) return undefined;
  if (args.migratesFrom.includes(written)) return written;
  throw new JobSpecError(
    `job ${jobId}: its checkpoint (the state after batch ${checkpoint.batchId}) was written by job version ${written}, ` +
      `and this code is version ${codeVersion}, which declares no state migration from version ${written}. ` +
      `Either deploy version ${written} again; or, if version ${codeVersion} can convert that state, declare ` +
      `migrations: [{ fromVersion: ${written}, state: (key, value) => ({ key, value }) }] in it; ` +
      `or start a new job instance (another job id), which begins with empty state.`,
    { context: { jobId, batchId: checkpoint.batchId, checkpointVersion: written, codeVersion } },
  );
}

/**
 * A planned batch runs with the code of the version that planned it: the driver resuming
 * it and every executor check this. Throws JobSpecError, saying what to do, otherwise.
 */
export function checkPlannedVersion(args: {
  readonly jobId: string;
  readonly plan: BatchPlan;
  readonly codeVersion: number;
  readonly migratesFrom?: readonly number[];
}): void {
  const { jobId, plan, codeVersion } = args;
  const planned = plan.jobVersion;
  if (planned === undefined || planned === codeVersion) return;
  const then = (args.migratesFrom ?? []).includes(planned)
    ? `then deploy version ${codeVersion} again`
    : `then deploy version ${codeVersion} with a state migration from version ${planned}`;
  throw new JobSpecError(
    `job ${jobId}: batch ${plan.batchId} was planned by job version ${planned} and is not committed; this code is ` +
      `version ${codeVersion}. A planned batch is finished by the version that planned it: deploy version ${planned} ` +
      `again until batch ${plan.batchId} commits, ${then}; or start a new job instance from the last committed ` +
      `batch: npm run replay -- --job ${jobId} --from-batch ${plan.batchId - 1} --into <new job id>.`,
    { context: { jobId, batchId: plan.batchId, plannedVersion: planned, codeVersion } },
  );
}

/** A range a source fixed at plan time (SourceReader.fixRanges). */
export interface FixedRange {
  readonly partition: string;
  readonly start: StartPosition;
  readonly endBefore: Offset;
  readonly endIsTail: boolean;
  readonly skipped?: { readonly from: Offset; readonly to: Offset };
}

/** Puts the ranges a source fixed into a plan (before it is written: a written plan never changes). */
export function withFixedRanges(plan: BatchPlan, fixed: readonly FixedRange[]): BatchPlan {
  const byPartition = new Map(fixed.map((f) => [f.partition, f]));
  return {
    ...plan,
    partitions: plan.partitions.map((p) => {
      const f = byPartition.get(p.partition);
      if (f === undefined) throw new InvariantError(`the source fixed no range for partition ${p.partition}`);
      return {
        ...p,
        start: f.start,
        endBefore: f.endBefore,
        endIsTail: f.endIsTail,
        ...(f.skipped ? { skipped: f.skipped } : {}),
      };
    }),
  };
}

/** watermark(N) = max(watermark(N-1), maxEventTime(≤ N-1) - lateness); null while unknown. */
export function nextWatermark(
  previousWatermarkMs: number | null,
  maxEventTimeMs: number | null,
  allowedLatenessMs: number | null,
): number | null {
  if (allowedLatenessMs === null || maxEventTimeMs === null) return previousWatermarkMs;
  const candidate = maxEventTimeMs - allowedLatenessMs;
  return previousWatermarkMs === null ? candidate : Math.max(previousWatermarkMs, candidate);
}

/**
 * Builds the commit record of a plan from its executors' results. Every planned
 * partition must have exactly one result; anything else is a driver bug and throws.
 */
export function buildCommit(args: {
  readonly plan: BatchPlan;
  readonly results: readonly PartitionResult[];
  readonly epoch: number;
  readonly nowMs: number;
}): BatchCommit {
  const { plan, results } = args;
  const byPartition = new Map(results.map((r) => [r.partition, r]));
  if (byPartition.size !== results.length) {
    throw new InvariantError(`batch ${plan.batchId}: more than one result for a partition`);
  }
  const partitions: Record<string, PartitionCommit> = {};
  let maxEventTimeMs = plan.maxEventTimeMs;
  let lagMs: number | null = null;
  const sum = { records: 0, skippedOffsets: 0, outputRows: 0, deadLetters: 0, lateRecords: 0, stateRows: 0, stateBytesWritten: 0 };
  for (const p of plan.partitions) {
    const r = byPartition.get(p.partition);
    if (r === undefined) throw new InvariantError(`batch ${plan.batchId}: no result for partition ${p.partition}`);
    byPartition.delete(p.partition);
    partitions[p.partition] = {
      end: r.end,
      nextStart: nextStart(p.start, r.end, p.endBefore),
      stateVersion: r.stateVersion,
      caughtUp: r.caughtUp,
      lagMs: r.lagMs,
    };
    if (r.maxEventTimeMs !== null) {
      maxEventTimeMs = maxEventTimeMs === null ? r.maxEventTimeMs : Math.max(maxEventTimeMs, r.maxEventTimeMs);
    }
    if (r.lagMs !== null) lagMs = lagMs === null ? r.lagMs : Math.max(lagMs, r.lagMs);
    sum.records += r.records;
    if (p.skipped) sum.skippedOffsets += Number(BigInt(p.skipped.to) - BigInt(p.skipped.from));
    sum.skippedOffsets += r.skippedOffsets ?? 0;
    sum.outputRows += r.outputRows;
    sum.deadLetters += r.deadLetters;
    sum.lateRecords += r.lateRecords;
    sum.stateRows += r.stateRows;
    sum.stateBytesWritten += r.stateBytesWritten;
  }
  if (byPartition.size > 0) {
    throw new InvariantError(`batch ${plan.batchId}: results for unplanned partitions ${[...byPartition.keys()].join(', ')}`);
  }
  return {
    batchId: plan.batchId,
    epoch: args.epoch,
    committedAt: args.nowMs,
    maxEventTimeMs,
    partitions,
    metrics: { ...sum, durationMs: Math.max(0, args.nowMs - plan.plannedAt), lagMs },
  };
}

/** True when every partition of a committed batch reached the tail of its partition. */
export function isCaughtUp(commit: BatchCommit): boolean {
  return Object.values(commit.partitions).every((p) => p.caughtUp);
}

/**
 * Retention after batch `committedBatchId` committed, keeping the last `retainBatches`
 * committed batches (and their state versions) for replay:
 * - WAL records of batches below `deleteBatchesBelow` may go: a committed successor
 *   exists, so no recovery reads them.
 * - per partition, state versions below `keepStateFrom[p]` may go (the state store keeps
 *   whatever the first version it keeps at or above that reads: a snapshot and the deltas
 *   after it; that part is its job):
 *   - a partition the oldest kept batch K reads: from K's base version, so recovery and
 *     replay of every kept batch still find their base;
 *   - a finished partition whose children inherited its state before K (`handedOver`):
 *     from K, which deletes all of it, since no kept batch reads it;
 *   - a finished partition not yet handed over (or handed over in K or later): nothing
 *     is deleted; a kept batch's children, or the next plan's, read its final state;
 *   - a partition K neither reads nor keeps finished is left alone. Retention lists no
 *     state (a LIST of every object, every few batches, costs more than it saves): a
 *     shard that expired before it was read to its end, or a finished one whose entry
 *     was dropped (it and its children expired) before its hand-over left the kept
 *     batches, keeps its last state versions.
 */
export function retentionPlan(args: {
  readonly committedBatchId: number;
  readonly retainBatches: number;
  readonly oldestKeptPlan: BatchPlan | null;
}): { deleteBatchesBelow: number; keepStateFrom: Record<string, number> } | null {
  const { committedBatchId, retainBatches, oldestKeptPlan } = args;
  if (retainBatches < 1) throw new JobSpecError(`retainBatches must be at least 1, got ${retainBatches}`);
  const deleteBatchesBelow = committedBatchId - retainBatches + 1;
  if (deleteBatchesBelow <= FIRST_BATCH_ID || oldestKeptPlan === null) return null;
  if (oldestKeptPlan.batchId !== deleteBatchesBelow) {
    throw new InvariantError(`retention needs the plan of batch ${deleteBatchesBelow}, got ${oldestKeptPlan.batchId}`);
  }
  const keepStateFrom: Record<string, number> = {};
  for (const [partition, handedOverAt] of Object.entries(oldestKeptPlan.handedOver ?? {})) {
    if (handedOverAt < deleteBatchesBelow && oldestKeptPlan.finished[partition] !== undefined) keepStateFrom[partition] = deleteBatchesBelow;
  }
  for (const p of oldestKeptPlan.partitions) keepStateFrom[p.partition] = p.baseStateVersion;
  return { deleteBatchesBelow, keepStateFrom };
}

export function validatePlanningSettings(settings: PlanningSettings): void {
  const { maxRecordsPerPartition, allowedLatenessMs, jobVersion } = settings;
  if (!Number.isSafeInteger(jobVersion) || jobVersion < 1) {
    throw new JobSpecError(`the job version must be a positive integer, got ${jobVersion}`);
  }
  if (!Number.isInteger(maxRecordsPerPartition) || maxRecordsPerPartition < 1) {
    throw new JobSpecError(`maxRecordsPerPartition must be a positive integer, got ${maxRecordsPerPartition}`);
  }
  if (allowedLatenessMs !== null && (!Number.isFinite(allowedLatenessMs) || allowedLatenessMs < 0)) {
    throw new JobSpecError(`allowedLatenessMs must be a non-negative number, got ${allowedLatenessMs}`);
  }
}
