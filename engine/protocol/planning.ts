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
 *              replay reads exactly this range. The first attempt reads up to the plan's
 *              cap or its read budget (bytes and time: engine/executor/read-range.ts); a
 *              range the budget stopped says `more`, so no attempt takes the partition
 *              for caught up.
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
 *     plan: [AT_OFFSET s, endBefore e), with a byte bound (maxBytes) at whose record the
 *     range ends early, the same record for every attempt; the next plan then starts
 *     at the range end's cutBefore (offsets.ts). No range end is recorded for those; a start that
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
 *   - Every plan also records the fingerprint of its code's state shape (`stateShape`,
 *     engine/job/state-shape.ts). Under one job version the shape never changes: a plan
 *     (or the resume of a planned batch) by code of the checkpoint's version with another
 *     shape fails with JobSpecError before any record is read (checkStateShape): the job
 *     must bump its version and declare a migration. A plan without one (written before
 *     fingerprints) is accepted.
 *   - Every plan carries the job's replay generation (`generation`): 0 until a replay
 *     (engine/replay) re-runs committed batches N+1..M with the code of the day, with
 *     their recorded ranges, at generation g+1; later plans keep it. Sink rows are
 *     ordered by (generation, batch), so a replay's rows replace those of the batches
 *     it superseded, and those never replace a replay's.
 *
 * Key groups (WAL format 2; stage-two.ts has the steps, docs/design/key-groups.md why):
 *   - A keyed job without keyedBy: 'partitionKey' keeps its state in a fixed number of
 *     key groups, recorded by its first plan (`keyGroups`) and checked by every later
 *     one: the layout never changes in place (keyGroupsAfter).
 *   - Step 2 then runs in two stages: stage 1 per partition (read, stateless operators,
 *     combiner, rows routed to key groups), stage 2 per active key group (apply the
 *     rows to the group's state at the version the plan names in `groups`, write
 *     version N, sink rows and dead letters). Partitions hold no state: their base is
 *     0 and a child shard inherits nothing, so a reshard or a new Kafka partition moves
 *     no state. Step 3 records every group's version in the commit (`groups`), which
 *     the next plan carries forward.
 *
 * The watermark used by batch N is fixed in its plan from data up to N-1:
 *   watermark(N) = max(watermark(N-1), maxEventTime(up to N-1) - allowedLateness)
 * so it never decreases and a replay of N computes the same output.
 *
 * Where each part lives in engine/protocol (all of it pure):
 *   batch-records.ts        the WAL records: plans, commits, executor results, metrics
 *   batch-record-format.ts  how a record is stored and read back (its format version)
 *   planning.ts             this file: step 1 and the recovery rules (resolveNextBatch)
 *   fixed-ranges.ts         step 1 for sources that fix their ranges (withFixedRanges)
 *   watermark.ts            step 1: the watermark a plan fixes (nextWatermark)
 *   job-versions.ts         steps 1 and 2: job versions and state migrations
 *   commit.ts               step 3: the commit record (buildCommit)
 *   retention.ts            step 4 (retentionPlan)
 *   stage-two.ts            step 2 on the exchange path: key groups, two stages
 *   key-groups.ts           a key's group; exchange-format.ts: stage 1's output
 *   lineage.ts, offsets.ts  partitions that change shape; offsets and ranges
 */
import { InvariantError, JobSpecError } from '../errors.js';
import {
  BatchStatus,
  EMPTY_STATE_VERSION,
  FIRST_BATCH_ID,
  generationOf,
  type BatchPlan,
  type BatchRecord,
  type PartitionPlan,
} from './batch-records.js';
import { checkPlannedVersion, checkStateShape, finishedJobVersionsAfter, inheritedStates, stateMigrationFor } from './job-versions.js';
import { checkPayloadEnvelope, checkStateLayoutUnchanged } from './key-groups.js';
import { lineageOf, type PartitionLineage } from './lineage.js';
import { resolveStartingPosition, type StartingPosition } from './offsets.js';
import { nextWatermark } from './watermark.js';

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
  /**
   * The fingerprint of the code's state shape (JobDefinition.stateShape): recorded in
   * every plan, and compared with the checkpoint's under the same version (checkStateShape).
   */
  readonly stateShape?: string;
  /** The code's pipeline, named in the message of a refused shape ("decode(json) > keyBy > count"). */
  readonly pipelineDescription?: string;
  /**
   * The job's number of key groups when its keyed state lives in key groups (the
   * exchange path, stage-two.ts); absent when state lives per partition or there is none.
   */
  readonly keyGroups?: number;
}

export type NextBatch = { readonly kind: 'plan'; readonly plan: BatchPlan } | { readonly kind: 'resume'; readonly plan: BatchPlan };

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
    checkPlannedVersion({
      jobId: args.jobId,
      plan: latest.plan,
      codeVersion: args.settings.jobVersion,
      migratesFrom: args.settings.migratesFrom ?? [],
      ...(args.settings.stateShape === undefined ? {} : { stateShape: args.settings.stateShape }),
    });
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
  const keyGroups = keyGroupsAfter(args.jobId, previous, settings);
  if (previous !== null) {
    checkStateShape({
      jobId: args.jobId,
      checkpoint: previous.plan,
      codeVersion: settings.jobVersion,
      stateShape: settings.stateShape,
      ...(settings.pipelineDescription === undefined ? {} : { description: settings.pipelineDescription }),
    });
  }
  const partitions: PartitionPlan[] = lineage.ready.map(({ id, inherits: parents, hashKeyRange, closed }) => {
    const done = commit?.partitions[id];
    // Only a child's first plan builds on its parents (and may need their migration).
    // With key groups partitions hold no state: state follows the keys, not the shards.
    const inherits =
      done === undefined && keyGroups === undefined
        ? inheritedStates(parents, finishedJobVersions, {
            jobId: args.jobId,
            child: id,
            codeVersion: settings.jobVersion,
            migratesFrom: settings.migratesFrom ?? [],
          })
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
  if (keyGroups !== undefined) checkPayloadEnvelope({ jobId: args.jobId, keyGroups, partitions: partitions.length });
  const batchId = previous ? previous.plan.batchId + 1 : FIRST_BATCH_ID;
  const handedOver = handOver(previous?.plan.handedOver ?? {}, lineage.finished, partitions, batchId);
  const maxEventTimeMs = commit?.maxEventTimeMs ?? null;
  const migrateFromVersion =
    previous === null
      ? undefined
      : stateMigrationFor({
          jobId: args.jobId,
          checkpoint: previous.plan,
          codeVersion: settings.jobVersion,
          migratesFrom: settings.migratesFrom ?? [],
        });
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
    ...(settings.stateShape === undefined ? {} : { stateShape: settings.stateShape }),
    generation: previous === null ? 0 : generationOf(previous.plan),
    ...(keyGroups === undefined ? {} : { keyGroups, groups: commit?.groups ?? {} }),
  };
}

/**
 * The key groups of the plan after `previous`: those the checkpoint was started with.
 * The layout of a checkpoint's state never changes in place (docs/design/key-groups.md):
 * code that declares another number of key groups, or key groups for state kept per
 * partition (or the reverse), is refused with JobSpecError naming both
 * (checkStateLayoutUnchanged). Only a replay that regroups the state changes it
 * (engine/replay/regroup.ts).
 */
function keyGroupsAfter(jobId: string, previous: BatchRecord | null, settings: PlanningSettings): number | undefined {
  const declared = settings.keyGroups;
  if (previous === null) return declared;
  const checkpointed = previous.plan.keyGroups;
  checkStateLayoutUnchanged({ jobId, checkpointed, declared });
  return checkpointed;
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

/** Checks the settings planNextBatch plans with: a bad one is the job definition's fault (JobSpecError). */
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
