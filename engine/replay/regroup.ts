/**
 * A replay's regroup (`--regroup`; its place in the replay's protocol is in replay-job.ts,
 * its checks in replay-layout.ts): the state after batch N, re-sliced into the number of
 * key groups the job's code declares. The only way a checkpoint's layout changes: from G
 * to G' key groups, or from state kept per partition (WAL format 1, or a job that
 * declared keyedBy: 'partitionKey') to key groups.
 *
 *   read    every scope holding state after N (stateVersionsAfter: each partition's, a
 *           finished shard's not yet handed over, or each key group's), at its version;
 *           a scope written by another job version than the code's is migrated first
 *           (the job's declared migration, as the first batch under a new version
 *           would), so that keys are re-sliced as the code writes them and merged by
 *           the code's own aggregate
 *   slice   regroupEntries (regroup-entries.ts): each entry to the key group of its key;
 *           a key several scopes hold is merged, or the regroup refused
 *   write   each key group holding state as version N of its scope (keygroup-0007), a
 *           snapshot, under the job the replay writes; then the regrouped layout is
 *           recorded: in place by the first replayed plan (N+1: keyGroups and groups),
 *           into a new job by the new job's copy of batch N (seedRegrouped)
 *
 * Every step is deterministic in the checkpoint: a regroup that dies anywhere is done
 * again by the same replay run again, writing the same bytes. Nothing it reads is
 * written by it, so a second run reads what the first read: in place the new scopes are
 * key groups of a checkpoint that had none (replay-layout.ts refuses regrouping in place
 * a checkpoint already in key groups: its groups' versions up to N would be overwritten),
 * and into a new job everything is written under the new job's id.
 */
import { ConflictError, InvariantError } from '../errors.js';
import { migrateEntries, migrationFrom } from '../executor/migrate-state.js';
import type { JobDefinition } from '../job/types.js';
import type { JsonValue } from '../json.js';
import type { StateStore } from '../ports/state-store.js';
import type { WriteAheadLog } from '../ports/write-ahead-log.js';
import { BatchStatus, generationOf, type BatchRecord, type GroupState } from '../protocol/batch-records.js';
import { finishedJobVersionsAfter } from '../protocol/job-versions.js';
import { keyGroupScope } from '../protocol/key-groups.js';
import { regroupEntries, type Regrouped } from './regroup-entries.js';
import { stateVersionsAfter } from './replay-plan.js';
import type { RegroupSummary } from './replay-types.js';

/** The state after N, re-sliced in memory, and what was read. */
export interface RegroupedState {
  readonly regrouped: Regrouped;
  readonly summary: RegroupSummary;
}

/** How many state versions a regroup writes at once. */
const WRITES_AT_ONCE = 8;

/** Steps read and slice: reads the state after `base` (committed) and re-slices it into `keyGroups` groups. Writes nothing. */
export async function readRegroup(
  args: { readonly base: BatchRecord; readonly job: JobDefinition; readonly keyGroups: number },
  ports: { readonly state: StateStore },
): Promise<RegroupedState> {
  const { base, job, keyGroups } = args;
  const { jobId, batchId } = base.plan;
  if (base.status !== BatchStatus.COMMITTED || base.commit === undefined) {
    throw new InvariantError(`batch ${batchId} of job ${jobId} is not committed: it is no checkpoint to regroup`);
  }
  const versions = [...stateVersionsAfter(base)].filter(([, version]) => version > 0).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const writers = writtenBy(base);
  const scopes = await Promise.all(
    versions.map(async ([scope, version]) => {
      const stored = await ports.state.load(jobId, scope, version, generationOf(base.plan));
      const writer = writers.get(scope) ?? base.plan.jobVersion;
      const entries =
        writer === undefined || writer === job.version
          ? stored
          : migrateEntries(stored, migrationFrom(job, writer), { jobId, batchId, partition: scope });
      return { scope, version, entries };
    }),
  );
  const regrouped = regroupEntries({ jobId, scopes, keyGroups, pipeline: job.pipeline });
  const sizes = [...regrouped.groups.values()].map((g) => g.entries.size);
  return {
    regrouped,
    summary: {
      scopes: scopes.map(({ scope, version, entries }) => ({ scope, version, rows: entries.size })),
      rows: sizes.reduce((a, b) => a + b, 0),
      groups: sizes.length,
      largestGroupRows: Math.max(0, ...sizes),
      mergedKeys: regrouped.mergedKeys,
    },
  };
}

/** The job version each finished partition's final state was written in (the others: the base plan's). */
function writtenBy(base: BatchRecord): Map<string, number> {
  const finished: Record<string, number> = { ...base.plan.finished };
  for (const [partition, p] of Object.entries(base.commit?.partitions ?? {})) if (p.end.closed) finished[partition] = p.stateVersion;
  return new Map(Object.entries(finishedJobVersionsAfter(base, finished)));
}

/**
 * Step write: each key group holding state as version `version` of its scope under
 * `targetJobId` (a snapshot: no chain to read). Returns the regrouped layout's group table.
 */
export async function writeRegroup(
  args: { readonly regrouped: Regrouped; readonly targetJobId: string; readonly version: number; readonly generation: number },
  ports: { readonly state: StateStore },
): Promise<Record<string, GroupState>> {
  const { regrouped, targetJobId, version, generation } = args;
  const groups = [...regrouped.groups];
  for (let i = 0; i < groups.length; i += WRITES_AT_ONCE) {
    await Promise.all(
      groups.slice(i, i + WRITES_AT_ONCE).map(([group, { entries }]) =>
        ports.state.write({
          jobId: targetJobId,
          partition: keyGroupScope(group),
          version,
          baseVersion: 0,
          changes: entries as ReadonlyMap<string, JsonValue>,
          full: entries,
          snapshotEvery: 1,
          generation,
        }),
      ),
    );
  }
  return groupTable(regrouped, version);
}

/** The group table (GroupState per group holding state) of a regroup written as `version`. */
export function groupTable(regrouped: Regrouped, version: number): Record<string, GroupState> {
  const table: Record<string, GroupState> = {};
  for (const [group, { entries, dueAtWatermarkMs, dueAtMs }] of regrouped.groups) {
    table[group] = {
      version,
      rows: entries.size,
      ...(dueAtWatermarkMs === null ? {} : { dueAtWatermarkMs }),
      ...(dueAtMs === null ? {} : { dueAtMs }),
    };
  }
  return table;
}

/**
 * Into a new job with --regroup: the new job starts from batch N of the source, regrouped.
 * Its state is the regrouped key groups (version N each), and its copy of batch N carries
 * them: the plan names the key groups (and, not knowing the state before N in the new
 * layout, no group table: retention then keeps every version of the groups while it is
 * the oldest batch kept), the partitions hold no state, the commit's groups are the
 * regrouped ones, and both are of the code's job version, the version the state is in
 * after the regroup's migration. So the new job's first plan, the replay's or its
 * driver's, follows a checkpoint in the new layout.
 *
 * Idempotent: the writes are deterministic, and a committed seed is left alone (the
 * regroup is then not read again). A seed begun with other key groups (by code that
 * declared others, in a run that died before the replay was recorded) is refused.
 */
export async function seedRegrouped(
  args: {
    readonly base: BatchRecord;
    readonly job: JobDefinition;
    readonly keyGroups: number;
    readonly targetJobId: string;
    readonly epoch: number;
    readonly generation: number;
  },
  ports: { readonly wal: WriteAheadLog; readonly state: StateStore },
): Promise<void> {
  const { base, job, keyGroups, targetJobId, epoch, generation } = args;
  const { wal } = ports;
  const commit = base.commit;
  if (commit === undefined || base.status !== BatchStatus.COMMITTED) {
    throw new InvariantError(`batch ${base.plan.batchId} of job ${base.plan.jobId} is not committed: it is no checkpoint`);
  }
  const existing = await wal.getBatch(targetJobId, base.plan.batchId);
  if (existing !== null && existing.plan.keyGroups !== keyGroups) {
    // A seed begun by a run whose code declared other key groups (it died before the replay was recorded).
    throw new ConflictError(
      `job ${targetJobId}'s copy of batch ${base.plan.batchId} was begun with ${existing.plan.keyGroups ?? 'no'} key groups, ` +
        `and this code declares ${keyGroups}: finish it with code that declares ${existing.plan.keyGroups ?? 'none'}, or choose another job id`,
      { context: { jobId: targetJobId, batchId: base.plan.batchId } },
    );
  }
  if (existing?.status === BatchStatus.COMMITTED) return;
  const { regrouped } = await readRegroup({ base, job, keyGroups }, ports);
  const groups = await writeRegroup({ regrouped, targetJobId, version: base.plan.batchId, generation }, ports);
  const { migrateFromVersion: _migrated, stateShape: _shape, ...plan } = base.plan;
  const noState = (versions: Readonly<Record<string, number>>) => Object.fromEntries(Object.keys(versions).map((p) => [p, 0]));
  if (existing === null) {
    await wal.putPlan({
      ...plan,
      jobId: targetJobId,
      epoch,
      generation,
      jobVersion: job.version,
      stateShape: job.stateShape,
      partitions: plan.partitions.map(({ inherits: _inherits, ...p }) => ({ ...p, baseStateVersion: 0 })),
      finished: noState(plan.finished),
      keyGroups,
      groups: {},
    });
  }
  const partitions = Object.fromEntries(Object.entries(commit.partitions).map(([p, c]) => [p, { ...c, stateVersion: 0 }]));
  const stateRows = Object.values(groups).reduce((total, g) => total + g.rows, 0);
  await wal.commitBatch(targetJobId, { ...commit, epoch, partitions, groups, metrics: { ...commit.metrics, stateRows } });
}
