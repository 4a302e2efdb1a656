import { describe, expect, it } from 'vitest';
import { commitBatch } from '../../engine/driver/commit-batch.js';
import { planBatch } from '../../engine/driver/plan-batch.js';
import { runDriver } from '../../engine/driver/run-driver.js';
import { startDriver } from '../../engine/driver/start-driver.js';
import { ConcurrentDriverError } from '../../engine/errors.js';
import { runPartition } from '../../engine/executor/run-partition.js';
import { CRASH_POINTS, SimulatedCrash, withCrash } from '../support/crash.js';
import { assertExactlyOnce, committedState, runToEnd, scenarioEvents, type WorldFactory } from '../support/scenario.js';
import { expectedCounts } from '../../jobs/clickstream/generate.js';
import { CLICKSTREAM_JOB } from '../../jobs/clickstream/job.js';

/**
 * The exactly-once scenarios, run by test/scenario/*.test.ts on one kind of adapter each.
 * A crash is injected at every step boundary of the protocol, in the first batch and in
 * a later one; a new driver then recovers on the same stores and runs to the end.
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
  } = {},
): void {
  const events = scenarioEvents();
  const partitions = 3;
  const crashPoints = options.fixedRanges ? CRASH_POINTS.filter((point) => point !== 'after-range-record') : CRASH_POINTS;

  // One clean run gives the state every crashed run must end with (names differ, contents not).
  let referenceRun: Promise<Awaited<ReturnType<typeof committedState>>> | undefined;
  const reference = () =>
    (referenceRun ??= makeWorld(events, partitions, 'reference').then(async (world) => {
      await runToEnd(world);
      return committedState(world);
    }));

  describe(`exactly-once under crashes (${adapter})`, () => {
    it('a clean run writes exactly the expected counts, dead letters and metrics', async () => {
      const world = await makeWorld(events, partitions, 'clean');
      await runToEnd(world);
      await assertExactlyOnce(world, events);
      // The input exercises every path: late-but-counted, too late, malformed, failing map.
      const kinds = new Set(events.map((e) => e.kind));
      expect([...kinds].sort()).toEqual(['late', 'malformed', 'no-page', 'ok', 'too-late']);
      expect(expectedCounts(events, CLICKSTREAM_JOB.windowMs).tooLate).toBeGreaterThan(0);
    });

    for (const batchId of crashBatches) {
      for (const point of crashPoints) {
        it(`recovers from a crash ${point} in batch ${batchId}`, async () => {
          const world = await makeWorld(events, partitions, `${point}-${batchId}`);
          const crashing = withCrash(world.ports, { point, batchId });
          await expect(runDriver(world.job, crashing, { jobId: world.jobId, executorAttempts: 1 })).rejects.toBeInstanceOf(SimulatedCrash);
          expect(crashing.fired()).toBe(true);

          await runToEnd(world);
          await assertExactlyOnce(world, events);
          const expectedState = await reference();
          expect(expectedState.batchId).toBeGreaterThanOrEqual(batchId);
          expect(await committedState(world, expectedState.batchId)).toEqual(expectedState);
        });
      }
    }

    it('fences a zombie driver: its commit is rejected and its successor commits the same batch once', async () => {
      const world = await makeWorld(events, partitions, 'zombie');
      const ctx = { ports: world.ports, job: world.job };
      const jobId = world.jobId;
      const zombie = await startDriver({ jobId }, ctx);
      const zombiePlan = await planBatch({ jobId, epoch: zombie.epoch }, ctx);
      const successor = await startDriver({ jobId }, ctx);
      // Both run every executor of the batch, interleaved: same ranges, same writes.
      const run = (partition: string) => runPartition({ jobId, batchId: zombiePlan.batchId, partition }, ctx);
      const zombieResults = await Promise.all(zombiePlan.partitions.map(run));
      await expect(
        commitBatch({ jobId, epoch: zombie.epoch, batchId: zombiePlan.batchId, results: zombieResults }, ctx),
      ).rejects.toBeInstanceOf(ConcurrentDriverError);
      await expect(planBatch({ jobId, epoch: zombie.epoch }, ctx)).resolves.toMatchObject({ resumed: true });

      const resumed = await planBatch({ jobId, epoch: successor.epoch }, ctx);
      expect(resumed).toMatchObject({ batchId: zombiePlan.batchId, resumed: true });
      const results = await Promise.all(resumed.partitions.map(run));
      expect(results.map((r) => r.end)).toEqual(zombieResults.map((r) => r.end));
      await commitBatch({ jobId, epoch: successor.epoch, batchId: resumed.batchId, results }, ctx);
      // The zombie cannot plan the next batch either.
      await expect(planBatch({ jobId, epoch: zombie.epoch }, ctx)).rejects.toBeInstanceOf(ConcurrentDriverError);

      await runToEnd(world);
      await assertExactlyOnce(world, events);
    });

    if (options.fixedRanges) {
      it('fixes every range in the plan: chained [start, endBefore) ranges, no range end recorded', async () => {
        const world = await makeWorld(events, partitions, 'fixed');
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
      const world = await makeWorld(events, partitions, 'twice');
      const ctx = { ports: world.ports, job: world.job };
      const outcome = await runDriver(world.job, world.ports, {
        jobId: world.jobId,
        runExecutor: async (input) => {
          await runPartition(input, ctx);
          return runPartition(input, ctx);
        },
      });
      expect(outcome.stoppedBy).toBe('caught-up');
      await assertExactlyOnce(world, events);
    });
  });
}
