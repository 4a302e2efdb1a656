/**
 * Inspecting a job's checkpoints: what the WAL keeps (batches, replays and the batches
 * they superseded) and what the state store keeps per partition (versions, their kind
 * and size, and the batches that refer to them), and the entries of one partition's
 * state at a version. Read-only.
 */
import { NotFoundError } from '../errors.js';
import type { JsonValue } from '../json.js';
import type { StateStore, StateVersionInfo } from '../ports/state-store.js';
import type { ReplayRecord, WriteAheadLog } from '../ports/write-ahead-log.js';
import { generationOf, type BatchStatus } from '../protocol/batch-records.js';

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

export interface ReplaySummary extends ReplayRecord {
  /** Batches it superseded, kept in the WAL's archive. */
  readonly superseded: number;
}

export interface CheckpointListing {
  readonly jobId: string;
  /** The job's replay generation: the latest plan's. */
  readonly generation: number;
  readonly batches: readonly BatchSummary[];
  readonly partitions: readonly PartitionCheckpoints[];
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
  const current = new Map<string, number>();
  const handedOver = new Map<string, number>();
  for (const { plan, commit } of records) {
    for (const p of plan.partitions) note(baseOf, p.partition, p.baseStateVersion, plan.batchId);
    for (const [partition, version] of Object.entries(plan.finished)) current.set(partition, version);
    for (const [partition, at] of Object.entries(plan.handedOver ?? {})) handedOver.set(partition, at);
    for (const [partition, p] of Object.entries(commit?.partitions ?? {})) {
      note(stateAfter, partition, p.stateVersion, plan.batchId);
      current.set(partition, p.stateVersion);
    }
  }
  const names = [...new Set([...statePartitions, ...current.keys()])].sort();
  const partitions = await Promise.all(
    names.map(async (partition): Promise<PartitionCheckpoints> => {
      const versions = (await ports.state.listVersions(jobId, partition)).map((info) => ({
        ...info,
        stateAfter: stateAfter.get(partition)?.get(info.version) ?? [],
        baseOf: baseOf.get(partition)?.get(info.version) ?? [],
      }));
      return {
        partition,
        versions,
        current: current.get(partition) ?? null,
        handedOverAt: handedOver.get(partition) ?? null,
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
    replays: summaries,
  };
}

export interface StateView {
  readonly jobId: string;
  readonly partition: string;
  readonly version: number;
  /** The version's manifest (null for version 0, the empty state). */
  readonly info: StateVersionInfo | null;
  readonly rows: number;
  /** The first `limit` entries in key order, values as JSON cut to `valueChars`. */
  readonly entries: readonly { readonly key: string; readonly value: string }[];
}

/**
 * The entries of one partition's state at `version` (default: its state after the latest
 * committed batch). Throws NotFoundError when the partition or version is unknown.
 */
export async function showState(
  args: {
    readonly jobId: string;
    readonly partition: string;
    readonly version?: number;
    readonly limit?: number;
    readonly valueChars?: number;
  },
  ports: CheckpointPorts,
): Promise<StateView> {
  const { jobId, partition } = args;
  const limit = args.limit ?? 50;
  const valueChars = args.valueChars ?? 120;
  const versions = await ports.state.listVersions(jobId, partition);
  let version = args.version;
  if (version === undefined) {
    const latest = (await ports.wal.listBatches(jobId)).filter((b) => b.commit !== undefined).at(-1);
    version = latest?.commit?.partitions[partition]?.stateVersion ?? latest?.plan.finished[partition] ?? versions.at(-1)?.version;
    if (version === undefined) {
      const known = (await ports.state.listPartitions(jobId)).join(', ') || 'none';
      throw new NotFoundError(`job ${jobId} has no state for partition ${partition} (partitions with state: ${known})`, {
        context: { jobId, partition },
      });
    }
  }
  const info = versions.find((v) => v.version === version) ?? null;
  if (version !== 0 && info === null) {
    throw new NotFoundError(
      `job ${jobId}, partition ${partition}: no state version ${version} is kept (kept: ${versions.map((v) => v.version).join(', ') || 'none'})`,
      { context: { jobId, partition, version } },
    );
  }
  const state = await ports.state.load(jobId, partition, version);
  const keys = [...state.keys()].sort();
  return {
    jobId,
    partition,
    version,
    info,
    rows: state.size,
    entries: keys.slice(0, limit).map((key) => ({ key, value: truncate(JSON.stringify(state.get(key) as JsonValue), valueChars) })),
  };
}

function truncate(text: string, chars: number): string {
  return text.length <= chars ? text : `${text.slice(0, Math.max(0, chars - 1))}…`;
}
