/**
 * Replay from a checkpoint (engine/replay), run by test/scenario/replay-*.test.ts on one
 * kind of adapter each. A counting job runs to the end; its logic is then fixed (a
 * filter drops the events marked bad) in a second job definition with the same name,
 * and batches N+1.. are replayed. Each test computes the expected sink from the input
 * alone: the old logic's count for the records of batches 1..N (each batch reads the
 * next CAP records of every partition, all of them present before the job starts) plus
 * the new logic's for the records after.
 */
import { describe, expect, it } from 'vitest';
import { MemoryJobRegistry } from '../../engine/adapters/memory/memory-job-registry.js';
import { listCheckpoints } from '../../engine/checkpoints/checkpoints.js';
import { showState } from '../../engine/checkpoints/state-view.js';
import { formatCheckpointListing } from '../../cli/format/checkpoints.js';
import { markStopped, startJob } from '../../engine/driver/job-control.js';
import { runDriver } from '../../engine/driver/run-driver.js';
import { claimSinks } from '../../engine/driver/sink-ownership.js';
import { sinkTargetsOf } from '../../engine/job/sink-targets.js';
import { ConflictError, InvalidArgumentError } from '../../engine/errors.js';
import { JobState } from '../../engine/ports/job-registry.js';
import { jobInstance } from '../support/builders.js';
import { BatchStatus, generationOf } from '../../engine/protocol/batch-records.js';
import { formatReplayPreview } from '../../cli/format/replay.js';
import { previewReplay, replayJob } from '../../engine/replay/replay-job.js';
import { SimulatedCrash, withCrash, type CrashPoint } from '../support/crash.js';

import {
  CAP,
  PARTITIONS,
  clicks,
  load,
  loadStandard,
  userCounts,
  expectedCounts,
  sinkCounts,
  committedCounts,
  runToEnd,
  assertCommittedOnce,
  everything,
  crashingAfter,
  ranVersionOne,
  type ReplayWorldFactory,
} from './replay-world.js';

export interface ReplayScenarioOptions {
  /** Crash points injected in the second replayed batch. */
  readonly crashPoints: readonly CrashPoint[];
}

export function describeReplayScenarios(adapter: string, makeWorld: ReplayWorldFactory, options: ReplayScenarioOptions): void {
  const N = 3;

  const ranOldLogic = (name: string) => ranVersionOne(makeWorld, name, N);

  describe(`replay from a checkpoint (${adapter})`, () => {
    it('replays in place with the fixed logic: the sink holds exactly the old result up to batch N and the new one after', async () => {
      const { world, jobId, fixed, input, before, latest } = await ranOldLogic('in-place');
      const { ports } = world;
      const outcome = await replayJob({ jobId, fromBatchId: N }, { ports, job: fixed, executorAttempts: 1 });
      expect(outcome).toMatchObject({ replayed: latest - N, superseded: latest - N });
      expect(outcome.scope).toMatchObject({ mode: 'in-place', fromBatchId: N, toBatchId: latest, generation: 1, previousGeneration: 0 });

      const expected = expectedCounts(input, N * CAP);
      expect(await sinkCounts(world, fixed)).toEqual(expected);
      expect(new Set((await ports.sinks(fixed.sink).scan()).map((r) => r.generation))).toEqual(new Set([1]));
      expect(await committedCounts(ports, jobId)).toEqual(expected);

      // The WAL: every batch committed once; the replayed ones at generation 1, the
      // replaced ones archived exactly as they were, the replay recorded as finished.
      const batches = await assertCommittedOnce(ports, jobId);
      expect(batches.map((b) => generationOf(b.plan))).toEqual(batches.map((b) => (b.plan.batchId <= N ? 0 : 1)));
      expect(batches.slice(0, N)).toEqual(before.slice(0, N));
      for (const b of batches.slice(N)) {
        // Each replayed batch read exactly the records its first run read.
        expect(b.plan.jobVersion).toBe(1);
        const first = before[b.plan.batchId - 1]!.commit!.partitions;
        for (const [partition, c] of Object.entries(b.commit!.partitions)) {
          expect([c.end, c.nextStart]).toEqual([first[partition]!.end, first[partition]!.nextStart]);
        }
      }
      const archive = await ports.wal.listSupersededBatches(jobId, 1);
      expect(archive.map((a) => a.record)).toEqual(before.slice(N));
      const [replay, ...more] = await ports.wal.listReplays(jobId);
      expect(more).toEqual([]);
      expect(replay).toMatchObject({ generation: 1, sourceJobId: jobId, fromBatchId: N, toBatchId: latest, supersededUpTo: latest });
      expect(replay!.finishedAt).not.toBeNull();
      expect(await ports.deadLetters.list(jobId)).toHaveLength(1);

      // The job resumes with its driver from the replayed batches, at generation 1.
      await load(world, input, (p, already) => clicks(p, already, already + 2 * CAP));
      await runToEnd(world, fixed, jobId);
      expect(await sinkCounts(world, fixed)).toEqual(expectedCounts(input, N * CAP));
      const after = await assertCommittedOnce(ports, jobId);
      expect(after.slice(latest).every((b) => generationOf(b.plan) === 1)).toBe(true);
    });

    it('keeps, in place, the old value of a row the new logic never writes again (the documented limit)', async () => {
      const world = await makeWorld('limit');
      const sinkTable = await world.sinkTable();
      const jobId = 'limit';
      const old = userCounts({ streamName: world.streamName, sinkTable });
      const fixed = userCounts({ streamName: world.streamName, sinkTable, fixed: true });
      const input = await loadStandard(world);
      // A user whose only events come after batch N, all of them bad.
      await load(world, input, (p) => (p === 0 ? [{ user: 'late-and-bad', ok: false }] : []));
      await runToEnd(world, old, jobId);
      await replayJob({ jobId, fromBatchId: N }, { ports: world.ports, job: fixed, executorAttempts: 1 });
      const rows = new Map((await world.ports.sinks(fixed.sink).scan()).map((r) => [r.key, r]));
      expect(rows.get('late-and-bad')).toMatchObject({ value: { value: 1 }, generation: 0 });
      rows.delete('late-and-bad');
      expect(new Map([...rows].map(([k, r]) => [k, r.value.value]))).toEqual(expectedCounts(input, N * CAP));
    });

    it('replays into a new job: its own sink gets exactly the new result, and the source job is left as it was', async () => {
      const { world, jobId, old, input, latest } = await ranOldLogic('into');
      const { ports } = world;
      const newTable = await world.sinkTable();
      const fixedInto = userCounts({ streamName: world.streamName, sinkTable: newTable, fixed: true });
      const untouched = await everything(world, [jobId], [old]);

      const outcome = await replayJob(
        { jobId, fromBatchId: N, intoJobId: `${jobId}-fixed` },
        { ports, job: fixedInto, executorAttempts: 1 },
      );
      expect(outcome.scope).toMatchObject({ mode: 'into', targetJobId: `${jobId}-fixed`, generation: 1, toBatchId: latest });
      expect(await everything(world, [jobId], [old])).toEqual(untouched);

      // Every user has events after batch N here, so the new sink holds every user.
      const expected = expectedCounts(input, N * CAP);
      expect(await sinkCounts(world, fixedInto)).toEqual(expected);
      expect(await committedCounts(ports, `${jobId}-fixed`)).toEqual(expected);
      const batches = await assertCommittedOnce(ports, `${jobId}-fixed`, N);
      expect(batches.at(-1)!.plan.batchId).toBe(latest);
      expect(await ports.wal.listReplays(`${jobId}-fixed`)).toMatchObject([
        { generation: 1, sourceJobId: jobId, fromBatchId: N, toBatchId: latest, supersededUpTo: null },
      ]);

      // The new job goes on with its driver.
      await load(world, input, (p, already) => clicks(p, already, already + CAP));
      await runToEnd(world, fixedInto, `${jobId}-fixed`);
      expect(await sinkCounts(world, fixedInto)).toEqual(expectedCounts(input, N * CAP));
      // Replaying into the same new job again is refused.
      await expect(replayJob({ jobId, fromBatchId: N, intoJobId: `${jobId}-fixed` }, { ports, job: fixedInto })).rejects.toThrow(
        /exists already/,
      );
    });

    it('replays into a new job from the latest committed batch: nothing to re-run, and the new job goes on with its driver', async () => {
      const { world, jobId, input, latest } = await ranOldLogic('into-latest');
      const newTable = await world.sinkTable();
      const fixedInto = userCounts({ streamName: world.streamName, sinkTable: newTable, fixed: true });
      const into = `${jobId}-from-latest`;
      const outcome = await replayJob(
        { jobId, fromBatchId: latest, intoJobId: into },
        { ports: world.ports, job: fixedInto, executorAttempts: 1 },
      );
      expect(outcome.scope).toMatchObject({ mode: 'into', targetJobId: into });
      // New records after the checkpoint reach the new job's sink exactly once: old counts
      // (every event) up to the checkpoint, the fixed logic's after it.
      const before = input.map((events) => events.length);
      await load(world, input, (p, already) => clicks(p, already, already + CAP));
      await runToEnd(world, fixedInto, into);
      const expected = new Map<string, number>();
      input.forEach((events, p) =>
        events.forEach((e, i) => {
          if (e === null || (i >= before[p]! && !e.ok)) return;
          expected.set(e.user, (expected.get(e.user) ?? 0) + 1);
        }),
      );
      expect(await sinkCounts(world, fixedInto)).toEqual(expected);
      await assertCommittedOnce(world.ports, into, latest);
    });

    it('replays up to --to-batch M; the driver then plans the next batches afresh', async () => {
      const { world, jobId, fixed, input, before } = await ranOldLogic('to-batch');
      const outcome = await replayJob({ jobId, fromBatchId: 2, toBatchId: 4 }, { ports: world.ports, job: fixed, executorAttempts: 1 });
      expect(outcome).toMatchObject({ replayed: 2, superseded: before.length - 2 });
      expect((await world.ports.wal.getLatestBatch(jobId))?.plan.batchId).toBe(4);
      await runToEnd(world, fixed, jobId);
      expect(await sinkCounts(world, fixed)).toEqual(expectedCounts(input, 2 * CAP));
      await assertCommittedOnce(world.ports, jobId);
    });

    it('prints in a dry run what it would read and write, and writes nothing', async () => {
      const { world, jobId, old, fixed, before, latest } = await ranOldLogic('dry-run');
      const snapshot = await everything(world, [jobId, 'dry-run-into'], [old]);
      const scope = await previewReplay({ jobId, fromBatchId: N }, { ports: world.ports, job: fixed });
      const into = await previewReplay({ jobId, fromBatchId: N, intoJobId: 'dry-run-into' }, { ports: world.ports, job: fixed });
      expect(await everything(world, [jobId, 'dry-run-into'], [old])).toEqual(snapshot);

      expect(scope).toMatchObject({ mode: 'in-place', generation: 1, fromBatchId: N, toBatchId: latest, checkpointVersion: 1 });
      expect(scope.batches.map((b) => b.original)).toEqual(before.slice(N));
      for (const b of scope.batches) {
        for (const [partition, end] of Object.entries(b.rangeEnds)) expect(end).toEqual(b.original.commit!.partitions[partition]!.end);
      }
      expect(into.mode).toBe('into');
      const text = formatReplayPreview(scope, fixed).join('\n');
      expect(text).toContain(`batches ${N + 1}..${latest}, from the state after batch ${N}`);
      expect(text).toContain(`WAL:         batches ${N + 1}..${latest} move to the archive of generation 1`);
      expect(text).toMatch(new RegExp(`total: ${latest - N} batches, ${(latest - N) * PARTITIONS} ranges, [0-9,]+ records`));
    });

    for (const point of options.crashPoints) {
      it(`finishes a replay that crashed ${point} in a replayed batch when it runs again: still exact`, async () => {
        const { world, jobId, fixed, input, before, latest } = await ranOldLogic(`crash-${point}`);
        const crashing = withCrash(world.ports, { point, batchId: N + 2 });
        await expect(replayJob({ jobId, fromBatchId: N }, { ports: crashing, job: fixed, executorAttempts: 1 })).rejects.toBeInstanceOf(
          SimulatedCrash,
        );
        expect(crashing.fired()).toBe(true);

        const again = await replayJob({ jobId, fromBatchId: N }, { ports: world.ports, job: fixed, executorAttempts: 1 });
        expect(again.scope.continuing).not.toBeNull();
        expect(again.scope.generation).toBe(1);
        expect(await sinkCounts(world, fixed)).toEqual(expectedCounts(input, N * CAP));
        expect(await committedCounts(world.ports, jobId)).toEqual(expectedCounts(input, N * CAP));
        const batches = await assertCommittedOnce(world.ports, jobId);
        expect(batches).toHaveLength(latest);
        expect((await world.ports.wal.listSupersededBatches(jobId, 1)).map((a) => a.record)).toEqual(before.slice(N));
        expect((await world.ports.wal.listReplays(jobId)).map((r) => [r.generation, r.finishedAt !== null])).toEqual([[1, true]]);
      });
    }

    for (const method of ['beginReplay', 'supersedeBatchesAbove'] as const) {
      it(`refuses a driver while a replay that crashed after ${method} is unfinished, and finishes it when run again`, async () => {
        const { world, jobId, old, fixed, input, before } = await ranOldLogic(`crash-${method}`);
        await expect(
          replayJob({ jobId, fromBatchId: N }, { ports: crashingAfter(world.ports, method), job: fixed }),
        ).rejects.toBeInstanceOf(SimulatedCrash);
        // New input arrives and someone starts the driver (old code or new): it must not plan.
        await load(world, input, (p, already) => clicks(p, already, already + CAP));
        await expect(runDriver(old, world.ports, { jobId, executorAttempts: 1 })).rejects.toThrow(/being replayed \(generation 1\)/);
        await expect(runDriver(fixed, world.ports, { jobId, executorAttempts: 1 })).rejects.toBeInstanceOf(ConflictError);
        // Another replay than the unfinished one is refused with the command that finishes it.
        await expect(replayJob({ jobId, fromBatchId: N + 1 }, { ports: world.ports, job: fixed })).rejects.toThrow(
          new RegExp(`unfinished replay .* --from-batch ${N} --to-batch ${before.length}`),
        );

        await replayJob({ jobId, fromBatchId: N }, { ports: world.ports, job: fixed, executorAttempts: 1 });
        expect((await world.ports.wal.listSupersededBatches(jobId, 1)).map((a) => a.record)).toEqual(before.slice(N));
        await runToEnd(world, fixed, jobId);
        expect(await sinkCounts(world, fixed)).toEqual(expectedCounts(input, N * CAP));
        await assertCommittedOnce(world.ports, jobId);
      });
    }

    it("ends an unfinished replay that a driver took over (at the replay's generation, with other ranges): still exact", async () => {
      const { world, jobId, sinkTable, fixed, input, latest } = await ranOldLogic('overtaken');
      const crashing = withCrash(world.ports, { point: 'after-commit', batchId: N + 1 });
      await expect(replayJob({ jobId, fromBatchId: N }, { ports: crashing, job: fixed, executorAttempts: 1 })).rejects.toBeInstanceOf(
        SimulatedCrash,
      );
      // The new code is deployed with a larger rate limit and its driver started before the replay was run again.
      const wider = userCounts({ streamName: world.streamName, sinkTable, fixed: true, cap: 2 * CAP + 5 });
      await runToEnd(world, wider, jobId);
      const driven = (await world.ports.wal.getLatestBatch(jobId))!.plan.batchId;
      expect(driven).toBeLessThan(latest);

      const outcome = await replayJob({ jobId, fromBatchId: N }, { ports: world.ports, job: fixed, executorAttempts: 1 });
      expect(outcome.overtakenAt).toBe(driven + 1);
      expect(outcome.replayed).toBe(0);
      expect((await world.ports.wal.listReplays(jobId))[0]!.finishedAt).not.toBeNull();
      expect(await sinkCounts(world, fixed)).toEqual(expectedCounts(input, N * CAP));
      await assertCommittedOnce(world.ports, jobId);
    });

    it('refuses a job that is running, a batch in flight, and batches it does not keep', async () => {
      const { world, jobId, old, fixed, input, latest } = await ranOldLogic('refusals');
      const registry = new MemoryJobRegistry();
      const instance = jobInstance({ jobId, jobName: 'user-counts' });
      await registry.put(instance, null);
      const ctx = { ports: world.ports, job: fixed, registry };
      await expect(replayJob({ jobId, fromBatchId: N }, ctx)).rejects.toThrow(`job ${jobId} is RUNNING in the job registry: stop it`);
      await registry.put({ ...instance, state: JobState.STOPPED, revision: 2 }, 1);
      await expect(previewReplay({ jobId, fromBatchId: latest + 1 }, ctx)).rejects.toThrow(`batch ${latest + 1} is not committed`);
      await expect(previewReplay({ jobId, fromBatchId: N, toBatchId: N }, ctx)).rejects.toBeInstanceOf(InvalidArgumentError);
      await expect(previewReplay({ jobId: 'no-such-job', fromBatchId: 1 }, ctx)).rejects.toThrow('has no batches');

      // A driver died in the middle of a batch: in place is refused, --into is allowed.
      await load(world, input, (p, already) => clicks(p, already, already + CAP));
      const crashing = withCrash(world.ports, { point: 'after-plan', batchId: latest + 1 });
      await expect(runDriver(old, crashing, { jobId, executorAttempts: 1 })).rejects.toBeInstanceOf(SimulatedCrash);
      await expect(previewReplay({ jobId, fromBatchId: N }, ctx)).rejects.toThrow(`batch ${latest + 1} is planned but not committed`);
      await expect(previewReplay({ jobId, fromBatchId: N, intoJobId: 'elsewhere' }, ctx)).resolves.toMatchObject({ toBatchId: latest });
    });

    it('refuses a replay into a sink another instance owns, unless --force takes it from a stopped owner', async () => {
      const { world, jobId, fixed, latest } = await ranOldLogic('ownership');
      const registry = new MemoryJobRegistry();
      const control = { registry, clock: world.ports.clock };
      // The job was started through the jobs API: its instance owns its sink.
      await startJob({ jobId, jobName: 'user-counts' }, control);
      await claimSinks({ jobId, targets: sinkTargetsOf(fixed), force: false, forceHint: '', otherSinkHint: '' }, control);
      const ctx = { ports: world.ports, job: fixed, registry, executorAttempts: 1 };
      const copy = `${jobId}-fixed`;
      const into = { jobId, fromBatchId: N, intoJobId: copy };

      // --into without another sink: the new job would write the source's own. The dry run refuses too; nothing is written.
      const sink = fixed.sink.type === 'dynamodb' ? fixed.sink.tableName : '';
      const owned = `DynamoDB table ${sink} is owned by job ${jobId} (RUNNING)`;
      await expect(previewReplay(into, ctx)).rejects.toThrow(owned);
      await expect(replayJob(into, ctx)).rejects.toThrow(
        `Point job ${copy} at another sink (a --param that names another sink, e.g. --param sinkTable=<table> for a job that takes one), or take the sink over with replay --force once job ${jobId} is stopped`,
      );
      await expect(replayJob({ ...into, force: true }, ctx)).rejects.toThrow(`is owned by job ${jobId}, which is RUNNING: replay --force`);
      expect(await world.ports.wal.listBatches(copy)).toEqual([]);
      expect(await world.ports.wal.listReplays(copy)).toEqual([]);

      // Into another sink: nothing to claim from anyone.
      const elsewhere = userCounts({ streamName: world.streamName, sinkTable: await world.sinkTable(), fixed: true });
      const other = await replayJob({ ...into, intoJobId: `${jobId}-other` }, { ...ctx, job: elsewhere });
      expect(other).toMatchObject({ replayed: latest - N, sinksTakenOver: [] });

      // Forced, from the stopped source: the new job owns the sink, and the source's in-place replay is refused.
      await markStopped(jobId, 0, 'stopped', control);
      const forced = await replayJob({ ...into, force: true }, ctx);
      expect(forced).toMatchObject({ replayed: latest - N, sinksTakenOver: [{ description: `DynamoDB table ${sink}`, fromJobId: jobId }] });
      expect((await registry.getSinkOwner(`dynamodb:${sink}`))?.jobId).toBe(copy);
      await expect(previewReplay({ jobId, fromBatchId: N }, ctx)).rejects.toThrow(
        `DynamoDB table ${sink} is owned by job ${copy} (no instance is recorded under that id: a replay into it, or a start that did not finish)`,
      );
    });

    it('lists the checkpoints a replay leaves: generations, the archive, state versions and what refers to them', async () => {
      const { world, jobId, fixed, latest } = await ranOldLogic('listing');
      await replayJob({ jobId, fromBatchId: N }, { ports: world.ports, job: fixed, executorAttempts: 1 });
      const listing = await listCheckpoints(jobId, world.ports);
      expect(listing.generation).toBe(1);
      expect(listing.batches.map((b) => [b.batchId, b.generation, b.status])).toEqual(
        Array.from({ length: latest }, (_, i) => [i + 1, i + 1 <= N ? 0 : 1, BatchStatus.COMMITTED]),
      );
      expect(listing.replays).toMatchObject([{ generation: 1, fromBatchId: N, superseded: latest - N }]);
      expect(listing.partitions).toHaveLength(PARTITIONS);
      for (const p of listing.partitions) {
        expect(p.current).not.toBeNull();
        const current = p.versions.find((v) => v.version === p.current)!;
        expect(current.stateAfter).toContain(latest);
        expect(p.versions.every((v) => v.rows >= 0 && v.bytes > 0)).toBe(true);
      }
      expect(formatCheckpointListing(listing).join('\n')).toContain(`generation 1: in place, after batch ${N} up to ${latest}`);

      const partition = listing.partitions[0]!.partition;
      const view = await showState({ jobId, partition, limit: 2, valueChars: 10 }, world.ports);
      expect(view.version).toBe(listing.partitions[0]!.current);
      expect(view.rows).toBe(4);
      expect(view.entries.map((e) => e.key)).toEqual(['["p0-u0"]', '["p0-u1"]']);
      expect((await showState({ jobId, partition, version: 0 }, world.ports)).rows).toBe(0);
      await expect(showState({ jobId, partition, version: 99_999 }, world.ports)).rejects.toThrow('no state version 99999 is kept');
    });
  });
}
