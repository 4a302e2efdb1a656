/**
 * The plan of a replayed batch, as a pure function of the batch's first run and the
 * replay's previous batch. No I/O: engine/replay/replay-job.ts reads and writes.
 *
 * A replay re-runs committed batches N+1..M with the job definition in code now, from the
 * state after batch N. Each replayed batch reads exactly the records its first run read
 * (the protocol's invariant), so from the first run it keeps, per partition:
 *
 *   start, maxRecords, endBefore/endIsTail/maxBytes/skipped (a fixed range), hashKeyRange, and the
 *   recorded range end (copied into the WAL before the plan: readRange reads exactly it)
 *
 * and, because the new logic may keep different state and see different event times, it
 * derives from the replay's own previous batch (as planNextBatch would):
 *
 *   baseStateVersion   the partition's state version after the previous replayed batch
 *   inherits           a child shard's parents' final state versions, as the replay left them
 *   finished           the same partitions, with the replay's final state versions
 *   handedOver         the first run's (the same batches hand the same parents over)
 *   finishedJobVersions as planNextBatch derives them, from the replay's previous batch;
 *                      a child's inherits name its parents' versions when not the code's
 *   watermarkMs        nextWatermark(previous watermark, previous max event time, the
 *                      code's allowed lateness)
 *   maxEventTimeMs     the previous replayed commit's
 *   jobVersion, migrateFromVersion, generation   the code's version, the replay's generation
 *   keyGroups, groups  the layout of the previous batch's state (the first run's may
 *                      differ: a replay that regroups), each group's state version after
 *                      it; and for the first batch after a regroup in place, the
 *                      regrouped layout (`regrouped`: the key groups the regroup wrote as
 *                      version N, in the code's job version: no migration follows)
 *
 * The layout of the replayed plans is the one of the state they build on, never changed
 * in place: code that declares another one is refused with JobSpecError pointing at
 * --regroup (checkStateLayoutUnchanged), as the planner refuses it. From the empty state
 * (batch 0) there is no layout to keep: the plans take the code's. With key groups the
 * partitions hold no state (base version 0, no inherits, finished at version 0), as the
 * planner plans them.
 *
 * A replayed batch's start must be where the previous replayed batch ended (continuesFrom):
 * it is, since both read the same records; if not (a driver ran during an unfinished
 * replay and read other ranges), the replay ends there (engine/replay/replay-job.ts).
 */
import { ConflictError, InvariantError } from '../errors.js';
import {
  BatchStatus,
  EMPTY_STATE_VERSION,
  type BatchPlan,
  type BatchRecord,
  type GroupState,
  type PartitionPlan,
} from '../protocol/batch-records.js';
import { finishedJobVersionsAfter, inheritedStates, stateMigrationFor } from '../protocol/job-versions.js';
import { checkStateLayoutUnchanged, keyGroupScope } from '../protocol/key-groups.js';
import { nextWatermark } from '../protocol/watermark.js';
import type { StartPosition } from '../protocol/offsets.js';

/** What the code's job contributes to a replayed plan. */
export interface ReplayJobSettings {
  readonly version: number;
  readonly allowedLatenessMs: number | null;
  readonly migratesFrom: readonly number[];
  /** The code's state-shape fingerprint (JobDefinition.stateShape), recorded in each replayed plan. */
  readonly stateShape?: string;
  /** The key groups the code declares (JobDefinition.keyGroups); absent: state per partition, or none. */
  readonly keyGroups?: number;
}

/** A regroup's outcome in place (regroup.ts): the key groups and each group's state, written as version N. */
export interface RegroupedLayout {
  readonly keyGroups: number;
  readonly groups: Readonly<Record<string, GroupState>>;
}

/**
 * The plan of batch `original.batchId` in a replay at `generation`, after `previous` (the
 * replay's committed previous batch, or batch N; null when replaying from the empty state).
 */
export function replayPlanOf(args: {
  readonly original: BatchPlan;
  readonly previous: BatchRecord | null;
  readonly jobId: string;
  readonly epoch: number;
  readonly generation: number;
  readonly nowMs: number;
  readonly job: ReplayJobSettings;
  /** The first batch after a regroup in place: the regrouped layout of the state after `previous`. */
  readonly regrouped?: RegroupedLayout;
}): BatchPlan {
  const { original, previous, job, regrouped } = args;
  const commit = previous?.commit;
  if (previous !== null && (previous.status !== BatchStatus.COMMITTED || commit === undefined)) {
    throw new InvariantError(`batch ${previous.plan.batchId} is not committed: a replayed batch follows a committed one`);
  }
  if (previous !== null && previous.plan.batchId !== original.batchId - 1) {
    throw new InvariantError(`batch ${original.batchId} cannot follow batch ${previous.plan.batchId}`);
  }
  const layout = layoutAfter(previous, regrouped, job);
  checkStateLayoutUnchanged({ jobId: args.jobId, checkpointed: layout.keyGroups, declared: job.keyGroups });
  const inGroups = layout.keyGroups !== undefined;
  const finishedBefore = finishedAfter(previous);
  const finished: Record<string, number> = {};
  for (const partition of Object.keys(original.finished)) {
    const version = finalVersion(finishedBefore, partition, args.jobId, original.batchId);
    finished[partition] = inGroups ? EMPTY_STATE_VERSION : version;
  }
  const finishedJobVersions = finishedJobVersionsAfter(previous, finished);
  const partitions = original.partitions.map((p): PartitionPlan => {
    const done = commit?.partitions[p.partition];
    if (done !== undefined && !sameStart(done.nextStart, p.start)) {
      throw overtaken(args.jobId, original.batchId, `partition ${p.partition} starts elsewhere than batch ${original.batchId - 1} ended`);
    }
    const { inherits, ...rest } = p;
    return {
      ...rest,
      baseStateVersion: inGroups ? EMPTY_STATE_VERSION : (done?.stateVersion ?? EMPTY_STATE_VERSION),
      ...(!inGroups && done === undefined && inherits !== undefined
        ? {
            inherits: inheritedStates(
              inherits.map((parent) => ({
                partition: parent.partition,
                stateVersion: finalVersion(finishedBefore, parent.partition, args.jobId, original.batchId),
              })),
              finishedJobVersions,
              { jobId: args.jobId, child: p.partition, codeVersion: job.version, migratesFrom: job.migratesFrom },
            ),
          }
        : {}),
    };
  });
  const migrateFromVersion =
    previous === null || regrouped !== undefined
      ? undefined
      : stateMigrationFor({ jobId: args.jobId, checkpoint: previous.plan, codeVersion: job.version, migratesFrom: job.migratesFrom });
  const maxEventTimeMs = commit?.maxEventTimeMs ?? null;
  return {
    jobId: args.jobId,
    batchId: original.batchId,
    epoch: args.epoch,
    plannedAt: args.nowMs,
    watermarkMs: nextWatermark(previous?.plan.watermarkMs ?? null, maxEventTimeMs, job.allowedLatenessMs),
    maxEventTimeMs,
    partitions,
    startingPosition: original.startingPosition,
    finished,
    ...(original.handedOver === undefined ? {} : { handedOver: original.handedOver }),
    ...(Object.keys(finishedJobVersions).length > 0 ? { finishedJobVersions } : {}),
    jobVersion: job.version,
    ...(migrateFromVersion === undefined ? {} : { migrateFromVersion }),
    ...(job.stateShape === undefined ? {} : { stateShape: job.stateShape }),
    generation: args.generation,
    // Key groups: the layout of the state the batch builds on, each group's state as the replay left it.
    ...(layout.keyGroups === undefined ? {} : { keyGroups: layout.keyGroups, groups: layout.groups }),
  };
}

/** The layout of the state after `previous` (see the rules at the top of this file). */
function layoutAfter(
  previous: BatchRecord | null,
  regrouped: RegroupedLayout | undefined,
  job: ReplayJobSettings,
): { keyGroups: number | undefined; groups: Readonly<Record<string, GroupState>> } {
  if (regrouped !== undefined) return regrouped;
  if (previous === null) return { keyGroups: job.keyGroups, groups: {} };
  return { keyGroups: previous.plan.keyGroups, groups: previous.commit?.groups ?? {} };
}

/**
 * True when every partition of `original` that `previous` (committed) read starts where
 * `previous` ended: the replay's chain continues the first run's.
 */
export function continuesFrom(previous: BatchRecord | null, original: BatchPlan): boolean {
  const partitions = previous?.commit?.partitions ?? {};
  return original.partitions.every((p) => {
    const done = partitions[p.partition];
    return done === undefined || sameStart(done.nextStart, p.start);
  });
}

/**
 * True when `plan` reads the same ranges as `original`: the same partitions, starts,
 * caps, fixed ends and byte bounds. A replay continuing after a crash checks that the batch it finds
 * in the WAL is the one it planned.
 */
export function readsSameRanges(plan: BatchPlan, original: BatchPlan): boolean {
  if (plan.partitions.length !== original.partitions.length) return false;
  return plan.partitions.every((p, i) => {
    const o = original.partitions[i]!;
    return (
      p.partition === o.partition &&
      sameStart(p.start, o.start) &&
      p.maxRecords === o.maxRecords &&
      p.endBefore === o.endBefore &&
      Boolean(p.endIsTail) === Boolean(o.endIsTail) &&
      p.maxBytes === o.maxBytes
    );
  });
}

/**
 * The state version of every scope after a committed batch that a later batch may read.
 * With key groups, each key group's (its scope keygroup-0007: partitions hold none).
 * Otherwise its own partitions' and the finished ones' (carried in its plan, or finished
 * by it), except finished partitions already handed over to their children (no later
 * batch reads those, and retention may have deleted them). Empty for null.
 */
export function stateVersionsAfter(record: BatchRecord | null): Map<string, number> {
  if (record?.plan.keyGroups !== undefined) {
    return new Map(Object.entries(record.commit?.groups ?? {}).map(([group, state]) => [keyGroupScope(Number(group)), state.version]));
  }
  const versions = finishedAfter(record);
  for (const partition of Object.keys(record?.plan.handedOver ?? {})) versions.delete(partition);
  for (const [partition, p] of Object.entries(record?.commit?.partitions ?? {})) versions.set(partition, p.stateVersion);
  return versions;
}

/** Finished partitions after a committed batch, with their final state versions. */
function finishedAfter(record: BatchRecord | null): Map<string, number> {
  const finished = new Map<string, number>(Object.entries(record?.plan.finished ?? {}));
  for (const [partition, p] of Object.entries(record?.commit?.partitions ?? {})) {
    if (p.end.closed) finished.set(partition, p.stateVersion);
  }
  return finished;
}

function finalVersion(finished: ReadonlyMap<string, number>, partition: string, jobId: string, batchId: number): number {
  const version = finished.get(partition);
  if (version === undefined) throw overtaken(jobId, batchId, `partition ${partition} was not finished before it`);
  return version;
}

function sameStart(a: StartPosition, b: StartPosition): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The replay's chain of batches does not continue the way the first run's did. */
function overtaken(jobId: string, batchId: number, why: string): ConflictError {
  return new ConflictError(
    `job ${jobId}: batch ${batchId} cannot be replayed with its recorded ranges: ${why}. The write-ahead log holds ` +
      `batches the replay did not plan (a driver ran during the replay?); the job continues from them with the new logic`,
    { context: { jobId, batchId } },
  );
}
