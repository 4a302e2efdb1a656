/**
 * The entries of one state scope of a job at a version: a partition's state (`shard-0`),
 * or a key group's (group 7, scope `keygroup-0007`) for a job whose state lives in key
 * groups. What `checkpoints show` prints (checkpoints.ts lists the scopes). Read-only.
 */
import { InvalidArgumentError, NotFoundError } from '../errors.js';
import type { JsonValue } from '../json.js';
import { keyGroupOfScope, keyGroupScope } from '../protocol/key-groups.js';
import type { StateVersionInfo } from '../ports/state-store.js';
import type { CheckpointPorts } from './checkpoints.js';

export interface StateView {
  readonly jobId: string;
  /** The state scope shown: a partition, or a key group's scope (keygroup-0007). */
  readonly partition: string;
  /** The key group it is, or null for a partition. */
  readonly keyGroup: number | null;
  readonly version: number;
  /** The version's manifest (null for version 0, the empty state). */
  readonly info: StateVersionInfo | null;
  readonly rows: number;
  /** The first `limit` entries in key order, values as JSON cut to `valueChars`. */
  readonly entries: readonly { readonly key: string; readonly value: string }[];
}

/**
 * The entries of a partition's (`partition`) or key group's (`group`, or `partition`
 * naming its scope) state at `version`; by default its state after the latest committed
 * batch: a key group's version in that batch's commit (the empty state when it names
 * none), a partition's likewise; once batches keep state in key groups a partition holds
 * none, and its state after the latest batch that kept state per partition is shown. Throws InvalidArgumentError unless exactly
 * one of partition and group is given, NotFoundError when the scope or version is unknown.
 */
export async function showState(
  args: {
    readonly jobId: string;
    readonly partition?: string;
    readonly group?: number;
    readonly version?: number;
    readonly limit?: number;
    readonly valueChars?: number;
  },
  ports: CheckpointPorts,
): Promise<StateView> {
  const { jobId } = args;
  if ((args.partition === undefined) === (args.group === undefined)) {
    throw new InvalidArgumentError('name one state scope: a partition, or a key group');
  }
  const scope = args.group === undefined ? args.partition! : keyGroupScope(args.group);
  const keyGroup = keyGroupOfScope(scope);
  const limit = args.limit ?? 50;
  const valueChars = args.valueChars ?? 120;
  const versions = await ports.state.listVersions(jobId, scope);
  const version = args.version ?? (await currentVersion(jobId, scope, keyGroup, versions, ports));
  const info = versions.find((v) => v.version === version) ?? null;
  if (version !== 0 && info === null) {
    throw new NotFoundError(
      `job ${jobId}, ${describe(scope, keyGroup)}: no state version ${version} is kept (kept: ${versions.map((v) => v.version).join(', ') || 'none'})`,
      { context: { jobId, partition: scope, version } },
    );
  }
  const state = await ports.state.load(jobId, scope, version);
  const keys = [...state.keys()].sort();
  return {
    jobId,
    partition: scope,
    keyGroup,
    version,
    info,
    rows: state.size,
    entries: keys.slice(0, limit).map((key) => ({ key, value: truncate(JSON.stringify(state.get(key) as JsonValue), valueChars) })),
  };
}

/** A scope's state version after the latest committed batch (see showState). */
async function currentVersion(
  jobId: string,
  scope: string,
  keyGroup: number | null,
  versions: readonly StateVersionInfo[],
  ports: CheckpointPorts,
): Promise<number> {
  const committed = (await ports.wal.listBatches(jobId)).filter((b) => b.commit !== undefined);
  const latest = committed.at(-1);
  const inGroups = latest?.plan.keyGroups !== undefined;
  let version: number | undefined;
  if (keyGroup !== null) version = inGroups ? (latest?.commit?.groups?.[keyGroup]?.version ?? 0) : versions.at(-1)?.version;
  else {
    // A partition's state after the latest batch that kept state per partition and names it.
    const last = committed.filter((b) => b.plan.keyGroups === undefined).at(-1);
    version = last?.commit?.partitions[scope]?.stateVersion ?? last?.plan.finished[scope] ?? versions.at(-1)?.version;
  }
  if (version === undefined) {
    const known = (await ports.state.listPartitions(jobId)).join(', ') || 'none';
    throw new NotFoundError(`job ${jobId} has no state for ${describe(scope, keyGroup)} (scopes with state: ${known})`, {
      context: { jobId, partition: scope },
    });
  }
  return version;
}

function describe(scope: string, keyGroup: number | null): string {
  return keyGroup === null ? `partition ${scope}` : `key group ${keyGroup} (${scope})`;
}

function truncate(text: string, chars: number): string {
  return text.length <= chars ? text : `${text.slice(0, Math.max(0, chars - 1))}…`;
}
