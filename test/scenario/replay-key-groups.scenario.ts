/**
 * Replay of jobs whose state lives in key groups, and regroups (engine/replay/regroup.ts),
 * run by test/scenario/replay-*.test.ts on one kind of adapter each, in the worlds of
 * replay.scenario.ts. A count of views per user, where every user's views arrive on both
 * partitions: only key groups (or a regroup that merges what each partition counted)
 * give the right totals. The fixed logic drops the views marked bad; each test computes
 * the expected sink from the input alone: the old logic's count for each partition's
 * records of batches 1..N, the new logic's after, summed over the partitions.
 */
import { describe, expect, it } from 'vitest';
import { ConflictError, InvalidArgumentError, JobSpecError } from '../../engine/errors.js';
import { runDriver } from '../../engine/driver/run-driver.js';
import type { JsonValue } from '../../engine/json.js';
import { count, defineJob, dynamoDbSink, kinesisSource, reduce } from '../../engine/job/index.js';
import type { JobDefinition } from '../../engine/job/types.js';
import type { EnginePorts } from '../../engine/ports/index.js';
import { BatchStatus, generationOf } from '../../engine/protocol/batch-records.js';
import { keyGroupOf, keyGroupScope } from '../../engine/protocol/key-groups.js';
import { previewReplay, replayJob } from '../../engine/replay/replay-job.js';
import { formatCheckpointListing, formatStateView } from '../../cli/format/checkpoints.js';
import { formatReplayPreview } from '../../cli/format/replay.js';
import { listCheckpoints } from '../../engine/checkpoints/checkpoints.js';
import { showState } from '../../engine/checkpoints/state-view.js';
import { SimulatedCrash, withCrash, type CrashPoint } from '../support/crash.js';
import { CAP, everything, type ReplayWorld, type ReplayWorldFactory } from './replay.scenario.js';

const PARTITIONS = 2;
const RECORDS = 50;
const USERS = 5;
/** The checkpoint replays start from. */
const N = 2;

interface View {
  readonly user: string;
  readonly ok: boolean;
}

/** Counts views per user; `keyGroups` puts the state in key groups (else per partition); `mergeless` counts with a reduce that has no merge. */
export function viewCounts(args: {
  readonly streamName: string;
  readonly sinkTable: string;
  readonly fixed?: boolean;
  readonly keyGroups?: number;
  readonly mergeless?: boolean;
}): JobDefinition {
  return defineJob({
    name: 'view-counts',
    version: 1,
    source: kinesisSource({ streamName: args.streamName }),
    pipeline: (views) => {
      const kept = args.fixed ? views.filter((v: View) => v.ok) : views;
      const counted = args.mergeless ? reduce<View, number>({ initial: 0, add: (acc) => acc + 1 }) : count();
      return kept.keyBy((v: View) => v.user).aggregate(counted);
    },
    sink: dynamoDbSink({ tableName: args.sinkTable }),
    trigger: { type: 'availableNow' },
    maxRecordsPerPartition: CAP,
    checkpoint: { snapshotEvery: 3, retainBatches: 50 },
    ...(args.keyGroups === undefined ? {} : { keyGroups: args.keyGroups }),
  });
}

/** What a partition holds, in order: a view, or null for a malformed record. */
type Input = (View | null)[][];

/** Where partition 0 holds a malformed record (a dead letter of stage 1), in batch N+2. */
const MALFORMED_AT = (N + 1) * CAP + 3;

/** Appends `n` views to every partition (every user on each, and the malformed record once); returns what each holds now. */
async function load(world: ReplayWorld, input: Input, n: number): Promise<Input> {
  for (let p = 0; p < PARTITIONS; p += 1) {
    const already = input[p]?.length ?? 0;
    const views: (View | null)[] = Array.from({ length: n }, (_, k) => ({
      user: `u${(already + k) % USERS}`,
      ok: (already + k + p) % 3 !== 0,
    }));
    if (p === 0 && already <= MALFORMED_AT && MALFORMED_AT < already + n) views.splice(MALFORMED_AT - already, 0, null);
    input[p] = [...(input[p] ?? []), ...views];
    await world.append(
      p,
      views.map((v) => (v === null ? '{not json' : JSON.stringify(v))),
    );
  }
  return input;
}

/** Views per user, over every partition: every view for each partition's first `oldUpTo` records, the ok ones after. */
function expectedCounts(input: Input, oldUpTo: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (const views of input) {
    views.forEach((v, i) => v !== null && (i < oldUpTo || v.ok) && counts.set(v.user, (counts.get(v.user) ?? 0) + 1));
  }
  return counts;
}

async function sinkCounts(ports: EnginePorts, job: JobDefinition): Promise<Map<string, JsonValue | undefined>> {
  return new Map((await ports.sinks(job.sink).scan()).map((r) => [r.key, r.value.value]));
}

/** The committed state of every key group after the latest batch, as { user: count }; each user in its own group only. */
async function groupCounts(ports: EnginePorts, jobId: string): Promise<Map<string, JsonValue>> {
  const latest = (await ports.wal.getLatestBatch(jobId))!;
  const keyGroups = latest.plan.keyGroups!;
  const counts = new Map<string, JsonValue>();
  for (const [group, state] of Object.entries(latest.commit?.groups ?? {})) {
    for (const [key, value] of await ports.state.load(jobId, keyGroupScope(Number(group)), state.version, generationOf(latest.plan))) {
      const user = JSON.parse(key)[0] as string;
      expect(keyGroupOf(user, keyGroups)).toBe(Number(group));
      expect(counts.has(user)).toBe(false);
      counts.set(user, value);
    }
  }
  return counts;
}

async function runToEnd(ports: EnginePorts, job: JobDefinition, jobId: string): Promise<void> {
  expect((await runDriver(job, ports, { jobId, executorAttempts: 1 })).stoppedBy).toBe('caught-up');
}

export interface KeyGroupReplayOptions {
  /** Crash points injected in the second replayed batch of a two-stage replay. */
  readonly crashPoints: readonly CrashPoint[];
}

export function describeKeyGroupReplayScenarios(adapter: string, makeWorld: ReplayWorldFactory, options: KeyGroupReplayOptions): void {
  /** A world where `old` (every view counted, in `keyGroups` groups or per partition) ran to the end. */
  async function ranOldLogic(name: string, keyGroups: number | undefined) {
    const world = await makeWorld(name);
    const sinkTable = await world.sinkTable();
    const jobId = `view-counts-${name}`;
    const old = viewCounts({ streamName: world.streamName, sinkTable, ...(keyGroups === undefined ? {} : { keyGroups }) });
    const input = await load(world, [], RECORDS);
    await runToEnd(world.ports, old, jobId);
    const before = await world.ports.wal.listBatches(jobId);
    expect(before.at(-1)!.plan.batchId).toBeGreaterThan(N + 2);
    return { world, ports: world.ports, sinkTable, jobId, old, input, before, latest: before.at(-1)!.plan.batchId };
  }

  describe(`replay of jobs with key groups, and regroups (${adapter})`, () => {
    it('replays a two-stage job in place: both stages run, the commits record every group, the sink is exact', async () => {
      const { ports, sinkTable, jobId, old, input, latest, world } = await ranOldLogic('two-stage', 4);
      expect(await sinkCounts(ports, old)).toEqual(expectedCounts(input, Infinity));
      const fixed = viewCounts({ streamName: world.streamName, sinkTable, fixed: true, keyGroups: 4 });
      const outcome = await replayJob({ jobId, fromBatchId: N }, { ports, job: fixed, executorAttempts: 1 });
      expect(outcome).toMatchObject({ replayed: latest - N, superseded: latest - N });
      expect(outcome.scope).toMatchObject({ keyGroups: 4, regroup: null });

      const expected = expectedCounts(input, N * CAP);
      expect(await sinkCounts(ports, fixed)).toEqual(expected);
      expect(await groupCounts(ports, jobId)).toEqual(expected);
      const batches = await ports.wal.listBatches(jobId);
      for (const b of batches.slice(N)) {
        expect(b.plan).toMatchObject({ keyGroups: 4, generation: 1 });
        expect(b.plan.groups).toEqual(batches[b.plan.batchId - 2]!.commit!.groups);
        expect(Object.values(b.commit!.partitions).every((p) => p.stateVersion === 0)).toBe(true);
      }
      // Batch N+1 changed every group holding a user: each is at version N+1 at least.
      expect(Object.values(batches[N]!.commit!.groups!).every((g) => g.version === N + 1)).toBe(true);

      await load(world, input, CAP);
      await runToEnd(ports, fixed, jobId);
      expect(await sinkCounts(ports, fixed)).toEqual(expectedCounts(input, N * CAP));
    });

    it("replays a two-stage job into a new job: the copy of batch N carries every key group's state", async () => {
      const { ports, jobId, old, input, world } = await ranOldLogic('two-stage-into', 4);
      const newTable = await world.sinkTable();
      const fixed = viewCounts({ streamName: world.streamName, sinkTable: newTable, fixed: true, keyGroups: 4 });
      const untouched = await everything(world, [jobId], [old]);
      const into = `${jobId}-fixed`;
      await replayJob({ jobId, fromBatchId: N, intoJobId: into }, { ports, job: fixed, executorAttempts: 1 });
      expect(await everything(world, [jobId], [old])).toEqual(untouched);

      const groupsAfterN = (await ports.wal.getBatch(jobId, N))!.commit!.groups!;
      expect(Object.keys(groupsAfterN).length).toBeGreaterThan(1);
      for (const [group, state] of Object.entries(groupsAfterN)) {
        const copied = await ports.state.listVersions(into, keyGroupScope(Number(group)));
        expect(copied[0]).toMatchObject({ version: state.version, kind: 'snapshot', rows: state.rows });
      }
      const expected = expectedCounts(input, N * CAP);
      expect(await sinkCounts(ports, fixed)).toEqual(expected);
      expect(await groupCounts(ports, into)).toEqual(expected);
      await load(world, input, CAP);
      await runToEnd(ports, fixed, into);
      expect(await sinkCounts(ports, fixed)).toEqual(expectedCounts(input, N * CAP));
    });

    for (const point of options.crashPoints) {
      it(`finishes a two-stage replay that crashed ${point} in a replayed batch when it runs again: still exact`, async () => {
        const { ports, sinkTable, jobId, input, latest, world } = await ranOldLogic(`two-stage-${point}`, 4);
        const fixed = viewCounts({ streamName: world.streamName, sinkTable, fixed: true, keyGroups: 4 });
        const crashing = withCrash(ports, { point, batchId: N + 2 });
        await expect(replayJob({ jobId, fromBatchId: N }, { ports: crashing, job: fixed, executorAttempts: 1 })).rejects.toBeInstanceOf(
          SimulatedCrash,
        );
        expect(crashing.fired()).toBe(true);
        const again = await replayJob({ jobId, fromBatchId: N }, { ports, job: fixed, executorAttempts: 1 });
        expect(again.scope.continuing).not.toBeNull();
        expect(await sinkCounts(ports, fixed)).toEqual(expectedCounts(input, N * CAP));
        expect(await groupCounts(ports, jobId)).toEqual(expectedCounts(input, N * CAP));
        const batches = await ports.wal.listBatches(jobId);
        expect(batches.map((b) => [b.plan.batchId, b.status])).toEqual(
          Array.from({ length: latest }, (_, i) => [i + 1, BatchStatus.COMMITTED]),
        );
      });
    }

    it('regroups per-partition state into key groups in place, merging the share each partition counted; later batches keep the groups', async () => {
      const { ports, sinkTable, jobId, old, input, before, latest, world } = await ranOldLogic('regroup', undefined);
      // Per partition, each partition counted its own share of a user's views: the rows are not the totals.
      expect(await sinkCounts(ports, old)).not.toEqual(expectedCounts(input, Infinity));
      const fixed = viewCounts({ streamName: world.streamName, sinkTable, fixed: true, keyGroups: 4 });

      // Without --regroup the new layout is refused, before anything is written.
      const untouched = await everything(world, [jobId], [old]);
      const refused = await replayJob({ jobId, fromBatchId: N }, { ports, job: fixed }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(JobSpecError);
      expect((refused as Error).message).toMatch(
        /keeps keyed state per source partition, and this version .* keeps keyed state in 4 key groups.*replay --regroup/,
      );
      expect(await everything(world, [jobId], [old])).toEqual(untouched);

      const preview = await previewReplay({ jobId, fromBatchId: N, regroup: true }, { ports, job: fixed });
      expect(preview.regroup).toMatchObject({ fromKeyGroups: null, keyGroups: 4, read: { mergedKeys: USERS, rows: USERS } });
      const text = formatReplayPreview(preview, fixed).join('\n');
      expect(text).toContain('layout:      regrouped (--regroup): state per source partition -> in 4 key groups');
      expect(text).toContain(`re-sliced into 4 key groups: ${USERS} entries in`);
      expect(text).toContain(`${USERS} keys held by several scopes merged with the aggregate's merge`);
      expect(text).toContain(`written as version ${N} of each key group holding some, before batch ${N + 1} is planned`);
      expect(preview.regroup!.read!.scopes.map((s) => [s.version, s.rows])).toEqual([
        [N, USERS],
        [N, USERS],
      ]);
      expect(await everything(world, [jobId], [old])).toEqual(untouched);

      const outcome = await replayJob({ jobId, fromBatchId: N, regroup: true }, { ports, job: fixed, executorAttempts: 1 });
      expect(outcome).toMatchObject({ replayed: latest - N });
      const expected = expectedCounts(input, N * CAP);
      expect(await sinkCounts(ports, fixed)).toEqual(expected);
      expect(await groupCounts(ports, jobId)).toEqual(expected);

      const batches = await ports.wal.listBatches(jobId);
      expect(batches.slice(0, N)).toEqual(before.slice(0, N));
      const first = batches[N]!.plan;
      expect(first).toMatchObject({ keyGroups: 4, generation: 1, jobVersion: 1 });
      expect(first.migrateFromVersion).toBeUndefined();
      expect(Object.values(first.groups!).every((g) => g.version === N)).toBe(true);
      expect(Object.values(first.groups!).reduce((sum, g) => sum + g.rows, 0)).toBe(USERS);
      expect(first.partitions.every((p) => p.baseStateVersion === 0)).toBe(true);
      for (const group of Object.keys(first.groups!)) {
        expect((await ports.state.listVersions(jobId, keyGroupScope(Number(group))))[0]).toMatchObject({ version: N, kind: 'snapshot' });
      }
      expect(await ports.wal.listReplays(jobId)).toMatchObject([{ generation: 1, regroup: { fromKeyGroups: null, keyGroups: 4 } }]);

      // The driver goes on with the key groups.
      await load(world, input, CAP);
      await runToEnd(ports, fixed, jobId);
      const after = await ports.wal.listBatches(jobId, { fromBatchId: latest + 1 });
      expect(after.length).toBeGreaterThan(0);
      expect(after.every((b) => b.plan.keyGroups === 4)).toBe(true);
      expect(await sinkCounts(ports, fixed)).toEqual(expectedCounts(input, N * CAP));
    });

    it('regroups into a new job: from per-partition state, and from 4 key groups to 7 (refused in place)', async () => {
      const partitioned = await ranOldLogic('regroup-into', undefined);
      const { ports, jobId, input, world } = partitioned;
      const newTable = await world.sinkTable();
      const fixed = viewCounts({ streamName: world.streamName, sinkTable: newTable, fixed: true, keyGroups: 3 });
      const untouched = await everything(world, [jobId], [partitioned.old]);
      const into = `${jobId}-grouped`;
      await replayJob({ jobId, fromBatchId: N, intoJobId: into, regroup: true }, { ports, job: fixed, executorAttempts: 1 });
      expect(await everything(world, [jobId], [partitioned.old])).toEqual(untouched);
      const seed = (await ports.wal.getBatch(into, N))!;
      expect(seed.plan).toMatchObject({ keyGroups: 3, groups: {}, jobVersion: 1 });
      expect(Object.values(seed.commit!.partitions).every((p) => p.stateVersion === 0)).toBe(true);
      expect(Object.values(seed.commit!.groups!).every((g) => g.version === N)).toBe(true);
      expect(await ports.state.listPartitions(into)).toEqual(
        expect.arrayContaining(Object.keys(seed.commit!.groups!).map((g) => keyGroupScope(Number(g)))),
      );
      expect((await ports.state.listPartitions(into)).every((scope) => scope.startsWith('keygroup-'))).toBe(true);
      expect(await sinkCounts(ports, fixed)).toEqual(expectedCounts(input, N * CAP));
      expect(await groupCounts(ports, into)).toEqual(expectedCounts(input, N * CAP));

      const grouped = await ranOldLogic('regroup-widen', 4);
      const wider = viewCounts({
        streamName: grouped.world.streamName,
        sinkTable: await grouped.world.sinkTable(),
        fixed: true,
        keyGroups: 7,
      });
      const inPlace = await replayJob({ jobId: grouped.jobId, fromBatchId: N, regroup: true }, { ports: grouped.ports, job: wider }).catch(
        (e: unknown) => e,
      );
      expect(inPlace).toBeInstanceOf(InvalidArgumentError);
      expect((inPlace as Error).message).toMatch(/keeps keyed state in 4 key groups: in place.*--into <new job id>/);
      const widened = `${grouped.jobId}-7`;
      await replayJob(
        { jobId: grouped.jobId, fromBatchId: N, intoJobId: widened, regroup: true },
        { ports: grouped.ports, job: wider, executorAttempts: 1 },
      );
      expect((await grouped.ports.wal.getLatestBatch(widened))!.plan.keyGroups).toBe(7);
      expect(await groupCounts(grouped.ports, widened)).toEqual(expectedCounts(grouped.input, N * CAP));
      expect(await sinkCounts(grouped.ports, wider)).toEqual(expectedCounts(grouped.input, N * CAP));
    });

    it('lists the checkpoints of a job in key groups: per key group, and the partitions a regroup left behind', async () => {
      const { ports, sinkTable, jobId, latest, world } = await ranOldLogic('listing', undefined);
      const fixed = viewCounts({ streamName: world.streamName, sinkTable, fixed: true, keyGroups: 4 });
      await replayJob({ jobId, fromBatchId: N, regroup: true }, { ports, job: fixed, executorAttempts: 1 });
      const listing = await listCheckpoints(jobId, ports);
      expect(listing.keyGroups).toBe(4);
      expect(listing.batches.map((b) => b.keyGroups)).toEqual(listing.batches.map((b) => (b.batchId <= N ? null : 4)));
      const last = (await ports.wal.getLatestBatch(jobId))!.commit!.groups!;
      expect(listing.groups.map((g) => g.group)).toEqual(Object.keys(last).map(Number));
      for (const g of listing.groups) {
        expect(g).toMatchObject({
          scope: keyGroupScope(g.group),
          current: last[g.group]!.version,
          rows: last[g.group]!.rows,
          dueAtWatermarkMs: null,
        });
        // Version N is the regroup's, the base of batch N+1; the latest is the state after the last batch.
        expect(g.versions[0]).toMatchObject({ version: N, kind: 'snapshot', baseOf: [N + 1] });
        expect(g.versions.find((v) => v.version === g.current)!.stateAfter).toContain(latest);
      }
      // The partitions keep their versions for batches 1..N, and no current state.
      expect(listing.partitions).toHaveLength(PARTITIONS);
      for (const p of listing.partitions) {
        expect(p.current).toBeNull();
        expect(p.versions.find((v) => v.version === N)!.stateAfter).toEqual([N]);
      }
      const text = formatCheckpointListing(listing).join('\n');
      expect(text).toContain('state (per key group of 4: versions kept, oldest first)');
      expect(text).toMatch(/keygroup-000\d \(group \d\) {2}current v\d+, \d+ rows {2}\d versions/);
      expect(text).toContain('state per partition (of the batches before the key groups)');
      expect(text).toContain('no state now (the latest batch keeps its state in key groups)');
      expect(text).toContain('regrouped the state kept per partition into 4 key groups');

      const group = listing.groups[0]!;
      const view = await showState({ jobId, group: group.group, limit: 2 }, ports);
      expect(view).toMatchObject({ partition: group.scope, keyGroup: group.group, version: group.current, rows: group.rows });
      expect(formatStateView(view)[0]).toContain(`key group ${group.group} (${group.scope})  state version ${group.current}`);
      expect((await showState({ jobId, partition: group.scope, version: N }, ports)).rows).toBe(group.versions[0]!.rows);
      const partition = listing.partitions[0]!.partition;
      expect(await showState({ jobId, partition }, ports)).toMatchObject({ keyGroup: null, version: N, rows: USERS });
      await expect(showState({ jobId, group: 1000 }, ports)).resolves.toMatchObject({ version: 0, rows: 0 });
      await expect(showState({ jobId, group: group.group, version: N - 1 }, ports)).rejects.toThrow(
        `job ${jobId}, key group ${group.group} (${group.scope}): no state version ${N - 1} is kept`,
      );
    });

    it('replays from batch 0 with the layout the code declares: the empty state has none to keep', async () => {
      const { ports, sinkTable, jobId, input, latest, world } = await ranOldLogic('from-zero', undefined);
      const fixed = viewCounts({ streamName: world.streamName, sinkTable, fixed: true, keyGroups: 3 });
      const outcome = await replayJob({ jobId, fromBatchId: 0 }, { ports, job: fixed, executorAttempts: 1 });
      expect(outcome.scope).toMatchObject({ keyGroups: 3, regroup: null });
      expect((await ports.wal.listBatches(jobId)).every((b) => b.plan.keyGroups === 3)).toBe(true);
      expect(outcome.replayed).toBe(latest);
      expect(await sinkCounts(ports, fixed)).toEqual(expectedCounts(input, 0));
      expect(await groupCounts(ports, jobId)).toEqual(expectedCounts(input, 0));
    });

    it('refuses what a regroup cannot do, and writes nothing', async () => {
      const { ports, sinkTable, jobId, old, latest, world } = await ranOldLogic('regroup-refusals', undefined);
      const untouched = await everything(world, [jobId], [old]);
      const grouped = viewCounts({ streamName: world.streamName, sinkTable, fixed: true, keyGroups: 4 });
      const mergeless = viewCounts({ streamName: world.streamName, sinkTable, fixed: true, keyGroups: 4, mergeless: true });
      const ctx = (job: JobDefinition) => ({ ports, job, executorAttempts: 1 });
      await expect(replayJob({ jobId, fromBatchId: 0, regroup: true }, ctx(grouped))).rejects.toThrow(
        /from batch 0 .* no state to regroup/,
      );
      await expect(replayJob({ jobId, fromBatchId: N, regroup: true }, ctx(old))).rejects.toThrow(/declares none/);
      await expect(replayJob({ jobId, fromBatchId: latest, regroup: true }, ctx(grouped))).rejects.toThrow(
        /latest committed batch: in place/,
      );
      // Each partition counted every user: without a merge, no regrouped value would be right.
      const conflict = await replayJob({ jobId, fromBatchId: N, regroup: true }, ctx(mergeless)).catch((e: unknown) => e);
      expect(conflict).toBeInstanceOf(ConflictError);
      expect((conflict as Error).message).toMatch(
        /5 state keys are held by more than one scope of the checkpoint: \["u0"\] \(in shard.*, shard.*\).* and 2 more/,
      );
      expect(await everything(world, [jobId], [old])).toEqual(untouched);
    });

    it('finishes a regroup that crashed while writing the regrouped state, in place and into a new job, and asks for --regroup again', async () => {
      const { ports, sinkTable, jobId, input, world } = await ranOldLogic('regroup-crash', undefined);
      const fixed = viewCounts({ streamName: world.streamName, sinkTable, fixed: true, keyGroups: 4 });
      // The regroup writes version N of the groups: the crash comes after the first of them.
      const crashing = withCrash(ports, { point: 'after-state-write', batchId: N });
      await expect(
        replayJob({ jobId, fromBatchId: N, regroup: true }, { ports: crashing, job: fixed, executorAttempts: 1 }),
      ).rejects.toBeInstanceOf(SimulatedCrash);
      await expect(replayJob({ jobId, fromBatchId: N }, { ports, job: fixed })).rejects.toThrow(/unfinished replay .* --regroup/);
      await replayJob({ jobId, fromBatchId: N, regroup: true }, { ports, job: fixed, executorAttempts: 1 });
      expect(await sinkCounts(ports, fixed)).toEqual(expectedCounts(input, N * CAP));
      expect(await groupCounts(ports, jobId)).toEqual(expectedCounts(input, N * CAP));

      const newTable = await world.sinkTable();
      const fixedInto = viewCounts({ streamName: world.streamName, sinkTable: newTable, fixed: true, keyGroups: 2 });
      const into = `${jobId}-into`;
      const crashingInto = withCrash(ports, { point: 'after-state-write', batchId: N });
      await expect(
        replayJob({ jobId, fromBatchId: N, intoJobId: into, regroup: true }, { ports: crashingInto, job: fixedInto, executorAttempts: 1 }),
      ).rejects.toBeInstanceOf(SimulatedCrash);
      expect(await ports.wal.getBatch(into, N)).toBeNull();
      // The source's batch N is per partition still; the job itself was replayed in place with key groups since.
      await replayJob({ jobId, fromBatchId: N, intoJobId: into, regroup: true }, { ports, job: fixedInto, executorAttempts: 1 });
      expect(await sinkCounts(ports, fixedInto)).toEqual(expectedCounts(input, N * CAP));
      expect(await groupCounts(ports, into)).toEqual(expectedCounts(input, N * CAP));

      // A copy of batch N planned but not committed, then code declaring other key groups: refused, not mixed.
      const other = `${jobId}-other`;
      const crashingSeed = withCrash(ports, { point: 'after-plan', batchId: N });
      await expect(
        replayJob({ jobId, fromBatchId: N, intoJobId: other, regroup: true }, { ports: crashingSeed, job: fixedInto, executorAttempts: 1 }),
      ).rejects.toBeInstanceOf(SimulatedCrash);
      const five = viewCounts({ streamName: world.streamName, sinkTable: newTable, fixed: true, keyGroups: 5 });
      await expect(replayJob({ jobId, fromBatchId: N, intoJobId: other, regroup: true }, { ports, job: five })).rejects.toThrow(
        `job ${other}'s copy of batch ${N} was begun with 2 key groups, and this code declares 5`,
      );
      await replayJob({ jobId, fromBatchId: N, intoJobId: other, regroup: true }, { ports, job: fixedInto, executorAttempts: 1 });
      expect(await groupCounts(ports, other)).toEqual(expectedCounts(input, N * CAP));
    });
  });
}
