/**
 * Job versions across a checkpoint (engine/job/versions, engine/replay): run by
 * test/scenario/replay-*.test.ts beside the replay scenarios. Version 1 counts every
 * event; version 2 keeps the count under a new name and declares (or forgets) the state
 * migration from version 1.
 */
import { expect, it, describe } from 'vitest';
import { runDriver } from '../../engine/driver/run-driver.js';
import { JobSpecError } from '../../engine/errors.js';
import { runPartition } from '../../engine/executor/run-partition.js';
import { previewReplay, replayJob } from '../../engine/replay/replay-job.js';
import { SimulatedCrash, withCrash } from '../support/crash.js';
import {
  CAP,
  clicks,
  load,
  userCounts,
  FROM_NUMBER_TO_VIEWS,
  expectedCounts,
  sinkCounts,
  committedCounts,
  runToEnd,
  ranVersionOne,
  type ReplayWorldFactory,
} from './replay-world.js';

export function describeJobVersionScenarios(adapter: string, makeWorld: ReplayWorldFactory): void {
  const N = 3;
  const ranOldLogic = (name: string) => ranVersionOne(makeWorld, name, N);

  describe(`job versions across a checkpoint (${adapter})`, () => {
    it("resumes an older version's checkpoint with the new version's state migration", async () => {
      const { world, jobId, input, latest, sinkTable } = await ranOldLogic('migration');
      const v2 = userCounts({ streamName: world.streamName, sinkTable, version: 2, named: true, migrations: [FROM_NUMBER_TO_VIEWS] });
      await load(world, input, (p, already) => clicks(p, already, already + CAP));
      await runToEnd(world, v2, jobId);
      const batches = await world.ports.wal.listBatches(jobId, { fromBatchId: latest + 1 });
      expect(batches[0]!.plan).toMatchObject({ jobVersion: 2, migrateFromVersion: 1 });
      expect(batches.slice(1).every((b) => b.plan.jobVersion === 2 && b.plan.migrateFromVersion === undefined)).toBe(true);
      const all = expectedCounts(input, Infinity);
      expect(await committedCounts(world.ports, jobId)).toEqual(new Map([...all].map(([u, n]) => [u, { views: n }])));
      // Every user got events in the new batches: every row is the new layout with the full count.
      expect(await sinkCounts(world, v2, 'views')).toEqual(all);
    });

    it('fails with a JobSpecError that says what to do when the new version declares no migration', async () => {
      const { world, jobId, sinkTable, latest } = await ranOldLogic('mismatch');
      const v2 = userCounts({ streamName: world.streamName, sinkTable, version: 2, named: true });
      const error = await runDriver(v2, world.ports, { jobId }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(JobSpecError);
      expect((error as Error).message).toBe(
        `job ${jobId}: its checkpoint (the state after batch ${latest}) was written by job version 1, and this code is ` +
          'version 2, which declares no state migration from version 1. Either deploy version 1 again; or, if version 2 ' +
          'can convert that state, declare migrations: [{ fromVersion: 1, state: (key, value) => ({ key, value }) }] in it; ' +
          'or start a new job instance (another job id), which begins with empty state.',
      );
      expect((await world.ports.wal.getLatestBatch(jobId))?.plan.batchId).toBe(latest);
      await expect(previewReplay({ jobId, fromBatchId: N }, { ports: world.ports, job: v2 })).rejects.toThrow(
        `its checkpoint (the state after batch ${N}) was written by job version 1`,
      );
    });

    it('finishes a batch with the version that planned it', async () => {
      const { world, jobId, old, input, latest, sinkTable } = await ranOldLogic('planned-by');
      await load(world, input, (p, already) => clicks(p, already, already + CAP));
      const crashing = withCrash(world.ports, { point: 'after-plan', batchId: latest + 1 });
      await expect(runDriver(old, crashing, { jobId, executorAttempts: 1 })).rejects.toBeInstanceOf(SimulatedCrash);
      const v2 = userCounts({ streamName: world.streamName, sinkTable, version: 2, named: true, migrations: [FROM_NUMBER_TO_VIEWS] });
      const error = await runDriver(v2, world.ports, { jobId }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(JobSpecError);
      expect((error as Error).message).toContain(
        `batch ${latest + 1} was planned by job version 1 and is not committed; this code is version 2. A planned batch is ` +
          `finished by the version that planned it: deploy version 1 again until batch ${latest + 1} commits, then deploy version 2 again; ` +
          `or start a new job instance from the last committed batch: npm run replay -- --job ${jobId} --from-batch ${latest} --into <new job id>.`,
      );
      const partition = (await world.ports.wal.getBatch(jobId, latest + 1))!.plan.partitions[0]!.partition;
      await expect(runPartition({ jobId, batchId: latest + 1, partition }, { ports: world.ports, job: v2 })).rejects.toBeInstanceOf(
        JobSpecError,
      );
      await runToEnd(world, old, jobId);
      // New events for every user: version 2 rewrites every row in its layout.
      await load(world, input, (p, already) => clicks(p, already, already + CAP));
      await runToEnd(world, v2, jobId);
      expect(await sinkCounts(world, v2, 'views')).toEqual(expectedCounts(input, Infinity));
    });

    it("replays from an older version's checkpoint, migrating the state after batch N", async () => {
      const { world, jobId, input, sinkTable } = await ranOldLogic('replay-migration');
      const v2 = userCounts({
        streamName: world.streamName,
        sinkTable,
        version: 2,
        named: true,
        fixed: true,
        migrations: [FROM_NUMBER_TO_VIEWS],
      });
      const outcome = await replayJob({ jobId, fromBatchId: N }, { ports: world.ports, job: v2, executorAttempts: 1 });
      expect(outcome.scope).toMatchObject({ checkpointVersion: 1, jobVersion: 2, migrateFromVersion: 1 });
      expect((await world.ports.wal.getBatch(jobId, N + 1))?.plan).toMatchObject({ jobVersion: 2, migrateFromVersion: 1, generation: 1 });
      expect((await world.ports.wal.getBatch(jobId, N + 2))?.plan.migrateFromVersion).toBeUndefined();
      expect(await sinkCounts(world, v2, 'views')).toEqual(expectedCounts(input, N * CAP));
      const state = await committedCounts(world.ports, jobId);
      expect(state).toEqual(new Map([...expectedCounts(input, N * CAP)].map(([u, n]) => [u, { views: n }])));
    });
  });
}
