import { afterEach, describe, expect, it } from 'vitest';
import { MemoryJobRegistry } from '../../engine/adapters/memory/memory-job-registry.js';
import type { JobCatalog } from '../../engine/driver/catalog.js';
import type { FinishTaskResult } from '../../engine/driver/tasks.js';
import { TransientError } from '../../engine/errors.js';
import { LocalDriver, type LocalDriverOptions } from '../../local/driver-runtime.js';
import type { JobRegistry } from '../../engine/ports/job-registry.js';
import { JobState } from '../../engine/ports/job-registry.js';
import { TASK_STATES } from '../../infra/state-machines/definitions.js';
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

/**
 * The chaos suite: the scenario job run through the driver state machines on the local
 * runtime (LocalStepFunctions + the Lambda handlers in-process + the supervisor), with
 * executions aborted at random states, executors failing at random, every executor and
 * every Express child run twice, and two drivers started for the same job at once. After
 * each run the sink is exact and every batch was committed once.
 */
export function describeChaos(
  adapter: string,
  makeWorld: WorldFactory,
  makeRegistry: (world: ScenarioWorld) => Promise<JobRegistry> | JobRegistry,
  seeds: readonly number[],
  options: {
    /**
     * Where the job keeps its state (default 'partitions'). With key groups every page
     * comes from every partition, the batches run in two stages, the chaos hits the
     * executors of both (execute and executeGroups), and every key's state must end in
     * its own key group only.
     */
    readonly layout?: ScenarioLayout;
  } = {},
): void {
  const layout = options.layout ?? 'partitions';
  const twoStage = layout !== 'partitions';
  const events = twoStage ? spreadPages(scenarioEvents()) : scenarioEvents();
  /** The executors the chaos hits: stage 1's, and stage 2's on the two-stage path. */
  const executes = (fn: string) => fn === 'execute' || (twoStage && fn === 'executeGroups');
  const drivers: LocalDriver[] = [];
  afterEach(async () => {
    await Promise.all(drivers.splice(0).map((d) => d.close()));
  });

  interface Run {
    readonly world: ScenarioWorld;
    readonly driver: LocalDriver;
    /** batch id → how many Finish tasks committed it now (must be 1 each). */
    readonly commits: Map<number, number>;
  }

  async function start(
    name: string,
    options: Partial<LocalDriverOptions> & { observe?: (driver: LocalDriver, type: string, execution: string, state: string) => void } = {},
  ): Promise<Run> {
    const world = await makeWorld(events, 3, name, layout);
    const catalog: JobCatalog = { scenario: { description: 'the scenario clickstream job', create: () => world.job } };
    const commits = new Map<number, number>();
    const registry = await makeRegistry(world);
    const { observe, ...rest } = options;
    const driver: LocalDriver = new LocalDriver({
      ports: world.ports,
      registry,
      catalog,
      retryDelayMs: 1,
      restartPolicy: { maxRestarts: 50, backoffBaseMs: 1, backoffMaxMs: 1 },
      // The supervisor's schedule, as on AWS: it restarts a job whose restart event was lost.
      reconcileEveryMs: 1_000,
      ...rest,
      observer: {
        onTransition: (type, execution, state) => observe?.(driver, type, execution, state),
        onTaskResult: (state, _input, output) => {
          const finished = output as FinishTaskResult;
          if (state === TASK_STATES.finish && finished.batch.committedNow) {
            commits.set(finished.batch.batchId, (commits.get(finished.batch.batchId) ?? 0) + 1);
          }
        },
      },
    });
    drivers.push(driver);
    return { world, driver, commits };
  }

  async function finish(run: Run): Promise<void> {
    const job = await run.driver.waitForJob(run.world.jobId, 150_000);
    expect(job, JSON.stringify(job)).toMatchObject({ state: JobState.STOPPED, reason: 'caught-up' });
    await run.driver.stepFunctions.settled();
    await assertExactlyOnce(run.world, events);
    if (twoStage) await keyGroupState(run.world.ports, run.world.jobId);
    // Every batch up to the last was committed exactly once (by one Finish task).
    const latest = (await run.world.ports.wal.getLatestBatch(run.world.jobId))!.plan.batchId;
    expect([...run.commits.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: latest }, (_, i) => i + 1));
    for (const [batchId, times] of run.commits) expect(times, `batch ${batchId}`).toBe(1);
  }

  describe(`chaos through the driver state machines (${adapter}${twoStage ? `, ${layout}` : ''})`, { timeout: 180_000 }, () => {
    it('a clean run: one generation, every batch committed once', async () => {
      const run = await start('clean');
      await run.driver.launch({ jobId: run.world.jobId, jobName: 'scenario' });
      await finish(run);
      expect(run.driver.supervisorOutcomes.filter((o) => o.action !== 'none')).toEqual([]);
    });

    for (const seed of seeds) {
      it(`seed ${seed}: executions aborted at random states are restarted by the supervisor`, async () => {
        const random = seededRandom(seed);
        let aborts = 0;
        const run = await start(`abort-${seed}`, {
          // Any transition (the parent's or its child's) may be the moment the parent dies:
          // in one of its own states, or while its Express child runs (which goes on as a zombie).
          observe: (driver) => {
            if (aborts >= 4 || random() > 0.06) return;
            const running = driver.stepFunctions.running();
            const victim = running[Math.floor(random() * running.length)];
            if (victim !== undefined && driver.stepFunctions.abort(victim)) aborts += 1;
          },
        });
        await run.driver.launch({ jobId: run.world.jobId, jobName: 'scenario' });
        await finish(run);
        expect(aborts).toBeGreaterThan(0);
        const restarts = run.driver.supervisorOutcomes.filter((o) => o.action === 'restarted');
        expect(restarts.length).toBeGreaterThanOrEqual(aborts);
        expect((await run.driver.supervisor.registry.get(run.world.jobId))!.generation).toBeGreaterThan(aborts);
      });

      it(`seed ${seed}: executors fail at random, before or after their work, and are retried`, async () => {
        const random = seededRandom(seed);
        let failures = 0;
        const run = await start(`fail-${seed}`, {
          wrapLambda: (fn, lambda) => async (event) => {
            if (!executes(fn)) return lambda(event);
            const roll = random();
            if (roll < 0.15) {
              failures += 1;
              throw new TransientError('chaos: executor failed before its work');
            }
            const result = await lambda(event);
            if (roll > 0.85) {
              failures += 1;
              throw new TransientError('chaos: executor failed after its work (its response was lost)');
            }
            return result;
          },
        });
        await run.driver.launch({ jobId: run.world.jobId, jobName: 'scenario' });
        await finish(run);
        expect(failures).toBeGreaterThan(3);
      });
    }

    it('every executor and every Express child runs twice (at-least-once delivery)', async () => {
      let executions = 0;
      const run = await start('twice', {
        duplicateChildren: true,
        wrapLambda: (fn, lambda) => async (event) => {
          if (!executes(fn)) return lambda(event);
          executions += 2;
          const [, second] = await Promise.all([lambda(event), lambda(event)]);
          return second;
        },
      });
      await run.driver.launch({ jobId: run.world.jobId, jobName: 'scenario' });
      await finish(run);
      expect(executions).toBeGreaterThan(0);
    });

    it('two drivers started for the same job at once: one is fenced, the sink is exact', async () => {
      const run = await start('two-drivers');
      const { executionName } = await run.driver.launch({ jobId: run.world.jobId, jobName: 'scenario' });
      expect(await run.driver.stepFunctions.start(`${run.world.jobId}-2`, { jobId: run.world.jobId, generation: 2 })).toBe('started');
      await finish(run);
      const first = run.driver.stepFunctions.describe(executionName)!;
      expect(first.status).toBe('SUCCEEDED');
      expect(run.driver.stepFunctions.describe(`${run.world.jobId}-2`)!.status).toBe('SUCCEEDED');
    });
  });
}

export const memoryRegistry = () => new MemoryJobRegistry();
