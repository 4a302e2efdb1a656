import { describe, expect, it } from 'vitest';
import type { DriverContext } from '../../engine/driver/context.js';
import { runDriver, type BatchProgress, type RunDriverOptions } from '../../engine/driver/run-driver.js';
import { startDriver } from '../../engine/driver/start-driver.js';
import { ConcurrentDriverError, TransientError } from '../../engine/errors.js';
import { runKeyGroups } from '../../engine/executor/run-key-groups.js';
import { runPartition } from '../../engine/executor/run-partition.js';
import { seededRandom } from '../../jobs/clickstream/generate.js';
import { keyGroupState } from '../support/key-group-state.js';
import {
  assertExactlyOnce,
  scenarioEvents,
  spreadPages,
  type ScenarioLayout,
  type ScenarioWorld,
  type WorldFactory,
} from '../support/scenario.js';
import { Zombies } from '../support/zombies.js';

/**
 * Chaos on the two-stage path, through the in-process driver (runDriver): the executors
 * of both stages run twice at once, fail before or after their work, or stall after their
 * reads and write late, as zombies, once their retry's batch and the next have committed;
 * a second driver takes over in the middle of a batch's stage 2, or both start at once.
 * After each run (and the zombies' late writes) the sink is exact, every key's state is
 * in its own key group only, and every batch was committed once.
 */
export function describeTwoStageChaos(adapter: string, makeWorld: WorldFactory, layout: ScenarioLayout, seeds: readonly number[]): void {
  const events = spreadPages(scenarioEvents());

  interface Run {
    readonly world: ScenarioWorld;
    readonly ctx: DriverContext;
    /** Driver options that count each batch's commits (`commits`). */
    readonly counted: Pick<RunDriverOptions, 'jobId' | 'onBatch'>;
    /** batch id → how many drivers committed it now (must be 1 each). */
    readonly commits: Map<number, number>;
  }

  async function start(name: string): Promise<Run> {
    const made = await makeWorld(events, 3, name, layout);
    // Retries without waiting: what is under test is their outcome, not their backoff.
    const world = { ...made, ports: { ...made.ports, clock: { now: () => made.ports.clock.now(), sleep: async () => {} } } };
    const commits = new Map<number, number>();
    const onBatch = ({ commit }: BatchProgress) => {
      if (commit.committedNow) commits.set(commit.batchId, (commits.get(commit.batchId) ?? 0) + 1);
    };
    return { world, ctx: { ports: world.ports, job: world.job }, counted: { jobId: world.jobId, onBatch }, commits };
  }

  async function expectExact(run: Run): Promise<void> {
    await assertExactlyOnce(run.world, events);
    await keyGroupState(run.world.ports, run.world.jobId);
    const latest = (await run.world.ports.wal.getLatestBatch(run.world.jobId))!.plan.batchId;
    expect([...run.commits.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: latest }, (_, i) => i + 1));
    for (const [batchId, times] of run.commits) expect(times, `batch ${batchId}`).toBe(1);
  }

  describe(`chaos on the two-stage path, in-process driver (${adapter}, ${layout})`, { timeout: 120_000 }, () => {
    it('every executor of both stages runs twice at once (at-least-once delivery)', async () => {
      const run = await start('twice');
      const { ctx } = run;
      const outcome = await runDriver(run.world.job, run.world.ports, {
        ...run.counted,
        runExecutor: async (input) => (await Promise.all([runPartition(input, ctx), runPartition(input, ctx)]))[1],
        runKeyGroups: async (input) => (await Promise.all([runKeyGroups(input, ctx), runKeyGroups(input, ctx)]))[1],
      });
      expect(outcome.stoppedBy).toBe('caught-up');
      await expectExact(run);
    });

    for (const seed of seeds) {
      it(`seed ${seed}: executors of both stages fail before or after their work, or stall and write late as zombies`, async () => {
        const run = await start(`zombies-${seed}`);
        const { ctx, world } = run;
        const zombies = new Zombies(world.ports);
        const faults = { before: 0, after: 0, zombies: 0 };
        // Each attempt's fate follows from the seed, the executor and the attempt's number,
        // not from the order concurrent attempts happen to start in. Every fault happens at
        // least once whatever the seed, however few calls a batch makes (stage 2 may run its
        // groups in one call): the first attempts of batch 1's stage-1 calls fail before
        // their work, of batch 1's stage-2 calls go on as zombies, of batch 2's stage-2 calls
        // fail after their work.
        const attempts = new Map<string, number>();
        type Fate = 'before' | 'zombie' | 'after' | null;
        const chaotic =
          <I extends { batchId: number }, R>(
            execute: (input: I, c: DriverContext) => Promise<R>,
            name: (input: I) => string,
            forced: (batchId: number) => Fate,
          ) =>
          async (input: I): Promise<R> => {
            const id = `${input.batchId}/${name(input)}`;
            const attempt = (attempts.get(id) ?? 0) + 1;
            attempts.set(id, attempt);
            const roll = seededRandom(hashOf(`${seed}/${id}/${attempt}`))();
            const fate: Fate =
              (attempt === 1 ? forced(input.batchId) : null) ??
              (roll < 0.08 ? 'before' : roll < 0.16 ? 'zombie' : roll > 0.92 ? 'after' : null);
            if (fate === 'before') {
              faults.before += 1;
              throw new TransientError('chaos: executor failed before its work');
            }
            if (fate === 'zombie') {
              faults.zombies += 1;
              zombies.start(input.batchId, (ports) => execute(input, { ports, job: world.job }));
              throw new TransientError('chaos: executor timed out; its attempt goes on');
            }
            const result = await execute(input, ctx);
            if (fate === 'after') {
              faults.after += 1;
              throw new TransientError('chaos: executor failed after its work (its response was lost)');
            }
            return result;
          };
        const outcome = await runDriver(world.job, world.ports, {
          ...run.counted,
          executorAttempts: 8,
          runExecutor: chaotic(
            runPartition,
            (input) => input.partition,
            (batchId) => (batchId === 1 ? 'before' : null),
          ),
          runKeyGroups: chaotic(
            runKeyGroups,
            (input) => `groups ${input.groups.join(',')}`,
            (batchId) => (batchId === 1 ? 'zombie' : batchId === 2 ? 'after' : null),
          ),
          onBatch: (progress) => {
            run.counted.onBatch!(progress);
            // A zombie writes once its batch and the one after have committed.
            zombies.release(progress.commit.batchId - 1);
          },
        });
        expect(outcome.stoppedBy).toBe('caught-up');
        await zombies.releaseAll();
        expect(faults.before).toBeGreaterThan(0);
        expect(faults.after).toBeGreaterThan(0);
        expect(zombies.wrote()).toBeGreaterThan(0);
        await expectExact(run);
      });
    }

    it("a second driver takes over in the middle of a batch's stage 2: the first is fenced, the batch commits once", async () => {
      const run = await start('takeover');
      const { ctx, world } = run;
      let takeover: Promise<void> | undefined;
      let successor: ReturnType<typeof runDriver> | undefined;
      const first = runDriver(world.job, world.ports, {
        ...run.counted,
        executorAttempts: 1,
        runKeyGroups: async (input) => {
          if (input.batchId === 4) {
            // Once, whichever key group gets here first: the first driver's epoch stops being current.
            takeover ??= startDriver({ jobId: world.jobId }, ctx).then(() => {
              successor = runDriver(world.job, world.ports, { ...run.counted, executorAttempts: 1 });
            });
            await takeover;
          }
          return runKeyGroups(input, ctx);
        },
      });
      await expect(first).rejects.toBeInstanceOf(ConcurrentDriverError);
      await expect(successor).resolves.toMatchObject({ stoppedBy: 'caught-up' });
      await expectExact(run);
    });

    it('two drivers started at once: one is fenced, the other runs the job to its end', async () => {
      const run = await start('two-drivers');
      const outcomes = await Promise.allSettled([
        runDriver(run.world.job, run.world.ports, { ...run.counted, executorAttempts: 1 }),
        runDriver(run.world.job, run.world.ports, { ...run.counted, executorAttempts: 1 }),
      ]);
      expect(outcomes.map((o) => o.status).sort()).toEqual(['fulfilled', 'rejected']);
      for (const outcome of outcomes) {
        if (outcome.status === 'rejected') expect(outcome.reason).toBeInstanceOf(ConcurrentDriverError);
        else expect(outcome.value.stoppedBy).toBe('caught-up');
      }
      await expectExact(run);
    });
  });
}

/** FNV-1a of a string: a seed for seededRandom. */
function hashOf(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash;
}
