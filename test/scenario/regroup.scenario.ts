/**
 * Regroups (engine/replay/regroup.ts: replay --regroup), run by test/scenario/replay-*.test.ts
 * on one kind of adapter each, in the world of view-counts.ts: from state kept per partition
 * to key groups (in place and into a new job, merging what each partition counted), from G
 * to G' key groups (into a new job), what is refused, the checkpoints left, and crashes in
 * the middle of a regroup.
 */
import { describe, expect, it } from 'vitest';
import { formatCheckpointListing, formatStateView } from '../../cli/format/checkpoints.js';
import { formatReplayPreview } from '../../cli/format/replay.js';
import { listCheckpoints } from '../../engine/checkpoints/checkpoints.js';
import { showState } from '../../engine/checkpoints/state-view.js';
import { ConflictError, InvalidArgumentError, JobSpecError } from '../../engine/errors.js';
import type { JobDefinition } from '../../engine/job/types.js';
import { keyGroupScope } from '../../engine/protocol/key-groups.js';
import { previewReplay, replayJob } from '../../engine/replay/replay-job.js';
import { SimulatedCrash, withCrash } from '../support/crash.js';
import { CAP, everything, type ReplayWorldFactory } from './replay-world.js';
import { expectedCounts, groupCounts, load, N, PARTITIONS, ranOldLogic, runToEnd, sinkCounts, USERS, viewCounts } from './view-counts.js';

export function describeRegroupScenarios(adapter: string, makeWorld: ReplayWorldFactory): void {
  describe(`replay --regroup (${adapter})`, () => {
    it('regroups per-partition state into key groups in place, merging the share each partition counted; later batches keep the groups', async () => {
      const { ports, sinkTable, jobId, old, input, before, latest, world } = await ranOldLogic(makeWorld, 'regroup', undefined);
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
      const partitioned = await ranOldLogic(makeWorld, 'regroup-into', undefined);
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

      const grouped = await ranOldLogic(makeWorld, 'regroup-widen', 4);
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
      const { ports, sinkTable, jobId, latest, world } = await ranOldLogic(makeWorld, 'listing', undefined);
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

    it("migrates an older version's state before re-slicing it, and merges it with the new version's aggregate", async () => {
      const { ports, jobId, input, latest, world } = await ranOldLogic(makeWorld, 'regroup-migration', undefined);
      const v2 = viewCounts({ streamName: world.streamName, sinkTable: await world.sinkTable(), fixed: true, keyGroups: 4, version: 2 });
      const outcome = await replayJob({ jobId, fromBatchId: N, regroup: true }, { ports, job: v2, executorAttempts: 1 });
      expect(outcome.scope).toMatchObject({ checkpointVersion: 1, migrateFromVersion: 1, regroup: { read: { mergedKeys: USERS } } });
      // The regrouped state is version 2's: batch N+1 migrates nothing.
      expect((await ports.wal.getBatch(jobId, N + 1))!.plan).toMatchObject({ jobVersion: 2, keyGroups: 4 });
      expect((await ports.wal.getBatch(jobId, N + 1))!.plan.migrateFromVersion).toBeUndefined();
      const expected = new Map([...expectedCounts(input, N * CAP)].map(([user, n]) => [user, { views: n }]));
      expect(await groupCounts(ports, jobId)).toEqual(expected);
      const rows = await ports.sinks(v2.sink).scan();
      expect(new Map(rows.map((r) => [r.key, { views: r.value.views }]))).toEqual(expected);
      expect(rows.every((r) => r.batchId > N && r.batchId <= latest)).toBe(true);
    });

    it('refuses what a regroup cannot do, and writes nothing', async () => {
      const { ports, sinkTable, jobId, old, latest, world } = await ranOldLogic(makeWorld, 'regroup-refusals', undefined);
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
      const { ports, sinkTable, jobId, input, world } = await ranOldLogic(makeWorld, 'regroup-crash', undefined);
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
