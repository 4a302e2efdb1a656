/**
 * Replay of jobs whose state lives in key groups (engine/replay/replay-batch.ts: stage 1,
 * stage 2, the groups' commit), run by test/scenario/replay-*.test.ts on one kind of
 * adapter each, in the world of view-counts.ts.
 */
import { describe, expect, it } from 'vitest';
import { BatchStatus } from '../../engine/protocol/batch-records.js';
import { keyGroupScope } from '../../engine/protocol/key-groups.js';
import { replayJob } from '../../engine/replay/replay-job.js';
import { SimulatedCrash, withCrash, type CrashPoint } from '../support/crash.js';
import { CAP, everything, type ReplayWorldFactory } from './replay-world.js';
import { expectedCounts, groupCounts, load, N, ranOldLogic, runToEnd, sinkCounts, viewCounts } from './view-counts.js';

export interface KeyGroupReplayOptions {
  /** Crash points injected in the second replayed batch of a two-stage replay. */
  readonly crashPoints: readonly CrashPoint[];
}

export function describeKeyGroupReplayScenarios(adapter: string, makeWorld: ReplayWorldFactory, options: KeyGroupReplayOptions): void {
  describe(`replay of jobs whose state lives in key groups (${adapter})`, () => {
    it('replays a two-stage job in place: both stages run, the commits record every group, the sink is exact', async () => {
      const { ports, sinkTable, jobId, old, input, latest, world } = await ranOldLogic(makeWorld, 'two-stage', 4);
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
      const { ports, jobId, old, input, world } = await ranOldLogic(makeWorld, 'two-stage-into', 4);
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
        const { ports, sinkTable, jobId, input, latest, world } = await ranOldLogic(makeWorld, `two-stage-${point}`, 4);
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

    it('replays from batch 0 with the layout the code declares: the empty state has none to keep', async () => {
      const { ports, sinkTable, jobId, input, latest, world } = await ranOldLogic(makeWorld, 'from-zero', undefined);
      const fixed = viewCounts({ streamName: world.streamName, sinkTable, fixed: true, keyGroups: 3 });
      const outcome = await replayJob({ jobId, fromBatchId: 0 }, { ports, job: fixed, executorAttempts: 1 });
      expect(outcome.scope).toMatchObject({ keyGroups: 3, regroup: null });
      expect((await ports.wal.listBatches(jobId)).every((b) => b.plan.keyGroups === 3)).toBe(true);
      expect(outcome.replayed).toBe(latest);
      expect(await sinkCounts(ports, fixed)).toEqual(expectedCounts(input, 0));
      expect(await groupCounts(ports, jobId)).toEqual(expectedCounts(input, 0));
    });
  });
}
