import { describe, expect, it } from 'vitest';
import { commitBatch } from '../../engine/driver/commit-batch.js';
import type { DriverContext } from '../../engine/driver/context.js';
import { planBatch, type PlanBatchResult } from '../../engine/driver/plan-batch.js';
import { runDriver, runStageTwo } from '../../engine/driver/run-driver.js';
import { startDriver } from '../../engine/driver/start-driver.js';
import { ConcurrentDriverError } from '../../engine/errors.js';
import { runKeyGroups } from '../../engine/executor/run-key-groups.js';
import { runPartition } from '../../engine/executor/run-partition.js';
import {
  CRASH_POINTS,
  EXCHANGE_STORE_CRASH_POINTS,
  SimulatedCrash,
  TWO_STAGE_CRASH_POINTS,
  withCrash,
  type CrashPoint,
} from '../support/crash.js';
import { trackExchange, type TrackedExchange } from '../support/exchange-objects.js';
import { keyGroupState } from '../support/key-group-state.js';
import {
  assertExactlyOnce,
  committedState,
  runToEnd,
  scenarioEvents,
  spreadPages,
  type ScenarioLayout,
  type WorldFactory,
} from '../support/scenario.js';
import { expectedCounts } from '../../jobs/clickstream/generate.js';
import { CLICKSTREAM_JOB } from '../../jobs/clickstream/job.js';

/**
 * The exactly-once scenarios, run by test/scenario/*.test.ts on one kind of adapter each.
 * A crash is injected at every step boundary of the protocol, in the first batch and in
 * a later one; a new driver then recovers on the same stores and runs to the end.
 *
 * With a key-group layout (ScenarioLayout) every page comes from every partition and the
 * batches run in two stages: the crash points are those of both stages
 * (TWO_STAGE_CRASH_POINTS), and after recovery every key's state must be in its own key
 * group only, and no exchange object left but those of a batch whose driver died between
 * its commit and their deletion.
 */
export function describeCrashScenarios(
  adapter: string,
  makeWorld: WorldFactory,
  crashBatches: readonly number[],
  options: {
    /**
     * The source fixes its ranges at plan time (Kafka): no range end is ever recorded, so
     * there is no crash after the range record; a test checks that instead.
     */
    readonly fixedRanges?: boolean;
    /** Where the job keeps its state (default 'partitions', the one-stage path). */
    readonly layout?: ScenarioLayout;
    /** Only these of the layout's crash points (default: every one). */
    readonly crashPoints?: readonly CrashPoint[];
  } = {},
): void {
  const layout = options.layout ?? 'partitions';
  const twoStage = layout !== 'partitions';
  const events = twoStage ? spreadPages(scenarioEvents()) : scenarioEvents();
  const partitions = 3;
  const crashPoints = crashPointsOf(layout).filter(
    (point) => (!options.fixedRanges || point !== 'after-range-record') && (options.crashPoints?.includes(point) ?? true),
  );
  const newWorld = async (name: string) => trackExchange(await makeWorld(events, partitions, name, layout));

  // One clean run, the first test's, gives the state every crashed run must end with
  // (names differ, contents not).
  let cleanRun: Promise<{ tracked: TrackedExchange; state: Awaited<ReturnType<typeof committedState>> }> | undefined;
  const clean = () =>
    (cleanRun ??= newWorld('clean').then(async (tracked) => {
      await runToEnd(tracked.world);
      return { tracked, state: await committedState(tracked.world) };
    }));
  const reference = async () => (await clean()).state;

  describe(`exactly-once under crashes (${adapter})`, () => {
    it('a clean run writes exactly the expected counts, dead letters and metrics', async () => {
      const { world, stored, writtenFor } = (await clean()).tracked;
      await assertExactlyOnce(world, events);
      if (twoStage) {
        await keyGroupState(world.ports, world.jobId);
        // Stage 1's outputs went the layout's way, and each was deleted when its batch committed.
        expect(writtenFor(1).length > 0).toBe(layout === 'key-groups-store');
        expect(stored()).toEqual([]);
      }
      // The input exercises every path: late-but-counted, too late, malformed, failing map.
      const kinds = new Set(events.map((e) => e.kind));
      expect([...kinds].sort()).toEqual(['late', 'malformed', 'no-page', 'ok', 'too-late']);
      expect(expectedCounts(events, CLICKSTREAM_JOB.windowMs).tooLate).toBeGreaterThan(0);
    });

    for (const batchId of crashBatches) {
      for (const point of crashPoints) {
        it(`recovers from a crash ${point} in batch ${batchId}`, async () => {
          const { world, stored, writtenFor } = await newWorld(`${point}-${batchId}`);
          const crashing = withCrash(world.ports, { point, batchId });
          await expect(runDriver(world.job, crashing, { jobId: world.jobId, executorAttempts: 1 })).rejects.toBeInstanceOf(SimulatedCrash);
          expect(crashing.fired()).toBe(true);

          await runToEnd(world);
          await assertExactlyOnce(world, events);
          const expectedState = await reference();
          expect(expectedState.batchId).toBeGreaterThanOrEqual(batchId);
          expect(await committedState(world, expectedState.batchId)).toEqual(expectedState);
          if (twoStage) {
            await keyGroupState(world.ports, world.jobId);
            // A batch resumed after a crash rewrites its exchange objects and deletes them at
            // its commit; a driver that dies right after the commit leaves them (the bucket's
            // lifecycle rule on the exchange prefix expires them).
            expect(stored()).toEqual(point === 'after-commit' ? writtenFor(batchId) : []);
          }
        });
      }
    }

    it('fences a zombie driver: its commit is rejected and its successor commits the same batch once', async () => {
      const { world } = await newWorld('zombie');
      const ctx = { ports: world.ports, job: world.job };
      const jobId = world.jobId;
      const zombie = await startDriver({ jobId }, ctx);
      const zombiePlan = await planBatch({ jobId, epoch: zombie.epoch }, ctx);
      const successor = await startDriver({ jobId }, ctx);
      // Both run every executor of the batch (both stages), interleaved: same ranges, same writes.
      const zombieRun = await executeBatch(zombiePlan, ctx);
      await expect(commitBatch({ jobId, epoch: zombie.epoch, batchId: zombiePlan.batchId, ...zombieRun }, ctx)).rejects.toBeInstanceOf(
        ConcurrentDriverError,
      );
      await expect(planBatch({ jobId, epoch: zombie.epoch }, ctx)).resolves.toMatchObject({ resumed: true });

      const resumed = await planBatch({ jobId, epoch: successor.epoch }, ctx);
      expect(resumed).toMatchObject({ batchId: zombiePlan.batchId, resumed: true });
      const run = await executeBatch(resumed, ctx);
      expect(run.results.map((r) => r.end)).toEqual(zombieRun.results.map((r) => r.end));
      expect(run.groupResults).toEqual(zombieRun.groupResults);
      await commitBatch({ jobId, epoch: successor.epoch, batchId: resumed.batchId, ...run }, ctx);
      // The zombie cannot plan the next batch either.
      await expect(planBatch({ jobId, epoch: zombie.epoch }, ctx)).rejects.toBeInstanceOf(ConcurrentDriverError);

      await runToEnd(world);
      await assertExactlyOnce(world, events);
    });

    if (options.fixedRanges) {
      it('fixes every range in the plan: chained [start, endBefore) ranges, no range end recorded', async () => {
        const { world } = await newWorld('fixed');
        await runToEnd(world);
        await assertExactlyOnce(world, events);
        const batches = await world.ports.wal.listBatches(world.jobId);
        expect(batches.length).toBeGreaterThan(1);
        for (const [i, batch] of batches.entries()) {
          for (const p of batch.plan.partitions) {
            expect(p.start.type).toBe('AT_OFFSET');
            expect(p.endBefore).toBeDefined();
            expect(BigInt(p.endBefore!) - BigInt((p.start as { offset: string }).offset)).toBeLessThanOrEqual(BigInt(p.maxRecords));
            expect(await world.ports.wal.getRangeEnd(world.jobId, batch.plan.batchId, p.partition)).toBeNull();
            expect(batch.commit!.partitions[p.partition]!.nextStart).toEqual({ type: 'AT_OFFSET', offset: p.endBefore });
            const previous = batches[i - 1]?.commit?.partitions[p.partition];
            if (previous !== undefined) expect(p.start).toEqual(previous.nextStart);
          }
        }
        expect(batches.at(-1)!.plan.partitions.every((p) => p.endIsTail === true)).toBe(true);
      });
    }

    it('runs every executor twice (at-least-once delivery) and still writes each count once', async () => {
      const { world } = await newWorld('twice');
      const ctx = { ports: world.ports, job: world.job };
      const outcome = await runDriver(world.job, world.ports, {
        jobId: world.jobId,
        runExecutor: async (input) => {
          await runPartition(input, ctx);
          return runPartition(input, ctx);
        },
        runKeyGroups: async (input) => {
          await runKeyGroups(input, ctx);
          return runKeyGroups(input, ctx);
        },
      });
      expect(outcome.stoppedBy).toBe('caught-up');
      await assertExactlyOnce(world, events);
      if (twoStage) await keyGroupState(world.ports, world.jobId);
    });
  });
}

/** The crash points of a layout: those of both stages on the two-stage path, the exchange store's where stage 1's output goes there. */
function crashPointsOf(layout: ScenarioLayout): readonly CrashPoint[] {
  if (layout === 'partitions') return CRASH_POINTS;
  if (layout === 'key-groups-store') return TWO_STAGE_CRASH_POINTS;
  return TWO_STAGE_CRASH_POINTS.filter((point) => !EXCHANGE_STORE_CRASH_POINTS.includes(point));
}

/** Every executor of a planned batch, as the driver runs them: stage 1 per partition, then stage 2 per slot of key groups. */
async function executeBatch(plan: PlanBatchResult, ctx: DriverContext) {
  const { jobId, batchId } = plan;
  const results = await Promise.all(plan.partitions.map((partition) => runPartition({ jobId, batchId, partition }, ctx)));
  const stageTwo = await runStageTwo(plan, results, (groups) => runKeyGroups({ jobId, batchId, groups, stageOne: results }, ctx));
  return { results, ...stageTwo };
}
