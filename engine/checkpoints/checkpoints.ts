/**
 * Inspecting a job's checkpoints: what the WAL keeps (batches, replays and the batches
 * they superseded) and what the state store keeps per state scope (versions, their kind
 * and size, and the batches that refer to them): per key group for the batches whose
 * state lives in key groups (docs/design/key-groups.md), per partition for the others
 * (and for the partitions a regroup left behind); and the entries of one partition's or
 * key group's state at a version (state-view.ts). Read-only.
 */
import { NotFoundError } from '../errors.js';
import type { StateStore, StateVersionInfo } from '../ports/state-store.js';
import type { ReplayRecord, WriteAheadLog } from '../ports/write-ahead-log.js';
import { generationOf, type BatchStatus, type GroupState } from '../protocol/batch-records.js';
import { keyGroupOfScope, keyGroupScope } from '../protocol/key-groups.js';

export interface CheckpointPorts {
  readonly wal: WriteAheadLog;
  readonly state: StateStore;
}

export interface BatchSummary {
  readonly batchId: number;
  readonly status: BatchStatus;
  readonly generation: number;
  /** The job version that planned it; null in plans written before versions were recorded. */
  readonly jobVersion: number | null;
  /** It migrated its base state from this version. */
  readonly migrateFromVersion: number | null;
  readonly epoch: number;
  readonly plannedAt: number;
  readonly committedAt: number | null;
  readonly partitions: number;
  /** Its state lives in this many key groups; null: per partition (or none). */
  readonly keyGroups: number | null;
  /** Records read, when committed. */
  readonly records: number | null;
  readonly outputRows: number | null;
}

export interface StateVersionSummary extends StateVersionInfo {
  /** Kept committed batches after which this version is the partition's state. */
  readonly stateAfter: readonly number[];
  /** Kept batches whose plan builds on it. */
  readonly baseOf: readonly number[];
}

export interface PartitionCheckpoints {
  readonly partition: string;
  /** Oldest first. A version no kept batch refers to is superseded or awaits retention. */
  readonly versions: readonly StateVersionSummary[];
  /** The partition's state version after the latest committed batch (null: none yet). */
  readonly current: number | null;
  /** A finished partition whose children built their state from it in this batch (retention then deletes its state). */
  readonly handedOverAt: number | null;
  readonly bytes: number;
}

export interface KeyGroupCheckpoints {
  readonly group: number;
  /** Its state scope: keygroup-0007. */
  readonly scope: string;
  /** Oldest first, as PartitionCheckpoints.versions. */
  readonly versions: readonly StateVersionSummary[];
  /** The group's state version after the latest committed batch (null: it holds no state then). */
  readonly current: number | null;
  /** Its rows after the latest committed batch (null: no state). */
  readonly rows: number | null;
  /** The watermark at which it next has work due, a window to evict or emit or an event-time timer (null: none). */
  readonly dueAtWatermarkMs: number | null;
  /** The batch time at which it next has a processing-time timer or a state TTL due (null: none). */
  readonly dueAtMs: number | null;
  readonly bytes: number;
}

export interface ReplaySummary extends ReplayRecord {
  /** Batches it superseded, kept in the WAL's archive. */
  readonly superseded: number;
}

export interface CheckpointListing {
  readonly jobId: string;
  /** The job's replay generation: the latest plan's. */
  readonly generation: number;
  readonly batches: readonly BatchSummary[];
  /**
   * Partitions with state, or that a kept batch keeping state per partition names. A
   * partition's current version is null once the latest batch keeps state in key groups.
   */
  readonly partitions: readonly PartitionCheckpoints[];
  /** The latest batch's key groups; null when it keeps state per partition (or none). */
  readonly keyGroups: number | null;
  /** Key groups with state, or that the latest committed batch names. */
  readonly groups: readonly KeyGroupCheckpoints[];
  readonly replays: readonly ReplaySummary[];
}

/** Everything kept for a job. Throws NotFoundError when the job has nothing at all. */
export async function listCheckpoints(jobId: string, ports: CheckpointPorts): Promise<CheckpointListing> {
  const [records, replays, statePartitions] = await Promise.all([
    ports.wal.listBatches(jobId),
    ports.wal.listReplays(jobId),
    ports.state.listPartitions(jobId),
  ]);
  if (records.length === 0 && replays.length === 0 && statePartitions.length === 0) {
    throw new NotFoundError(`job ${jobId} has no checkpoints: no batches in the write-ahead log and no state`, { context: { jobId } });
  }
  const batches: BatchSummary[] = records.map(({ plan, status, commit }) => ({
    batchId: plan.batchId,
    status,
    generation: generationOf(plan),
    jobVersion: plan.jobVersion ?? null,
    migrateFromVersion: plan.migrateFromVersion ?? null,
    epoch: plan.epoch,
    plannedAt: plan.plannedAt,
    committedAt: commit?.committedAt ?? null,
    partitions: plan.partitions.length,
    keyGroups: plan.keyGroups ?? null,
    records: commit?.metrics.records ?? null,
    outputRows: commit?.metrics.outputRows ?? null,
  }));

  const stateAfter = new Map<string, Map<number, number[]>>();
  const baseOf = new Map<string, Map<number, number[]>>();
  const note = (index: Map<string, Map<number, number[]>>, partition: string, version: number, batchId: number) => {
    const byVersion = index.get(partition) ?? new Map<number, number[]>();
    index.set(partition, byVersion);
    byVersion.set(version, [...(byVersion.get(version) ?? []), batchId]);
  };
  // Per partition while batches keep state per partition; per key group once they keep it
  // in key groups (partitions then hold none, and a regroup leaves theirs behind).
  const current = new Map<string, number>();
  const handedOver = new Map<string, number>();
  const groupsNamed = new Set<string>();
  let groupsAfter: Readonly<Record<string, GroupState>> = {};
  for (const { plan, commit } of records) {
    if (plan.keyGroups !== undefined) {
      current.clear();
      for (const [group, g] of Object.entries(plan.groups ?? {})) note(baseOf, keyGroupScope(Number(group)), g.version, plan.batchId);
      if (commit === undefined) continue;
      groupsAfter = commit.groups ?? {};
      for (const [group, g] of Object.entries(groupsAfter)) {
        note(stateAfter, keyGroupScope(Number(group)), g.version, plan.batchId);
        groupsNamed.add(keyGroupScope(Number(group)));
      }
      continue;
    }
    groupsAfter = {};
    for (const p of plan.partitions) note(baseOf, p.partition, p.baseStateVersion, plan.batchId);
    for (const [partition, version] of Object.entries(plan.finished)) current.set(partition, version);
    for (const [partition, at] of Object.entries(plan.handedOver ?? {})) handedOver.set(partition, at);
    for (const [partition, p] of Object.entries(commit?.partitions ?? {})) {
      note(stateAfter, partition, p.stateVersion, plan.batchId);
      current.set(partition, p.stateVersion);
    }
  }
  const versionsOf = async (scope: string): Promise<StateVersionSummary[]> =>
    (await ports.state.listVersions(jobId, scope)).map((info) => ({
      ...info,
      stateAfter: stateAfter.get(scope)?.get(info.version) ?? [],
      baseOf: baseOf.get(scope)?.get(info.version) ?? [],
    }));
  const isGroup = (scope: string) => keyGroupOfScope(scope) !== null;
  const names = [...new Set([...statePartitions.filter((s) => !isGroup(s)), ...current.keys()])].sort();
  const partitions = await Promise.all(
    names.map(async (partition): Promise<PartitionCheckpoints> => {
      const versions = await versionsOf(partition);
      return {
        partition,
        versions,
        current: current.get(partition) ?? null,
        handedOverAt: handedOver.get(partition) ?? null,
        bytes: versions.reduce((sum, v) => sum + v.bytes, 0),
      };
    }),
  );
  const scopes = [...new Set([...statePartitions.filter(isGroup), ...groupsNamed])].sort();
  const groups = await Promise.all(
    scopes.map(async (scope): Promise<KeyGroupCheckpoints> => {
      const group = keyGroupOfScope(scope)!;
      const versions = await versionsOf(scope);
      const after = groupsAfter[group];
      return {
        group,
        scope,
        versions,
        current: after?.version ?? null,
        rows: after?.rows ?? null,
        dueAtWatermarkMs: after?.dueAtWatermarkMs ?? null,
        dueAtMs: after?.dueAtMs ?? null,
        bytes: versions.reduce((sum, v) => sum + v.bytes, 0),
      };
    }),
  );
  const summaries = await Promise.all(
    replays.map(async (r) => ({ ...r, superseded: (await ports.wal.listSupersededBatches(jobId, r.generation)).length })),
  );
  const latest = records.at(-1);
  return {
    jobId,
    generation: Math.max(latest === undefined ? 0 : generationOf(latest.plan), ...replays.map((r) => r.generation)),
    batches,
    partitions,
    keyGroups: latest?.plan.keyGroups ?? null,
    groups,
    replays: summaries,
  };
}
