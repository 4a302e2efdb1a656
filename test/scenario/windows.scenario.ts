/**
 * Exactly-once through sliding and session windows (memory adapters): a crash at every
 * step boundary of a batch, an in-place replay and a replay into a new job each give
 * exactly the rows and late records the model (window-jobs.ts) computes from the input.
 */
import { describe, expect, it } from 'vitest';
import { runDriver } from '../../engine/driver/run-driver.js';
import type { JobDefinition } from '../../engine/job/types.js';
import { replayJob } from '../../engine/replay/replay-job.js';
import { CRASH_POINTS, SimulatedCrash, TWO_STAGE_CRASH_POINTS, withCrash, type CrashPoint } from '../support/crash.js';
import { asSinks, model, sinks, windowJob, windowWorld, type WindowKind } from './window-jobs.js';

const JOB_ID = 'windows';
/** The checkpoint replays start from. */
const N = 3;

async function runToEnd(world: ReturnType<typeof windowWorld>, job: JobDefinition, jobId = JOB_ID): Promise<void> {
  expect((await runDriver(job, world.ports, { jobId, executorAttempts: 1 })).stoppedBy).toBe('caught-up');
}

export function describeWindowScenarios(kind: WindowKind): void {
  for (const layout of ['key-groups', 'partitions'] as const) {
    describe(`${kind} windows under crashes (${layout === 'key-groups' ? 'two stages, key groups' : 'one stage per partition'})`, () => {
      it('a clean run writes exactly the windows and late records of the model', async () => {
        const world = windowWorld(layout === 'key-groups');
        const job = windowJob({ kind, layout });
        await runToEnd(world, job);
        const expected = model(kind, world.input);
        // The input exercises the rule both ways: late records, and values behind the watermark still counted.
        expect(expected.late.length).toBeGreaterThan(2);
        expect(expected.rows.length).toBeGreaterThan(10);
        expect(await sinks(world.ports, job)).toEqual(asSinks(expected));
      });

      const points: readonly CrashPoint[] = layout === 'key-groups' ? TWO_STAGE_CRASH_POINTS : CRASH_POINTS;
      for (const point of points.filter((p) => p !== 'after-exchange-write' && p !== 'after-exchange-delete')) {
        it(`recovers from a crash ${point} in batch 3: exact`, async () => {
          const world = windowWorld(layout === 'key-groups');
          const job = windowJob({ kind, layout });
          const crashing = withCrash(world.ports, { point, batchId: 3 });
          await expect(runDriver(job, crashing, { jobId: JOB_ID, executorAttempts: 1 })).rejects.toBeInstanceOf(SimulatedCrash);
          expect(crashing.fired()).toBe(true);
          await runToEnd(world, job);
          expect(await sinks(world.ports, job)).toEqual(asSinks(model(kind, world.input)));
        });
      }
    });
  }

  describe(`replay of a ${kind}-window job (two stages, key groups)`, () => {
    it('replays in place from batch N with fixed logic: rows and late records the replayed batches write are the fixed ones', async () => {
      const world = windowWorld(true);
      const old = windowJob({ kind, layout: 'key-groups' });
      await runToEnd(world, old);
      const fixed = windowJob({ kind, layout: 'key-groups', fixed: true });
      const before = model(kind, world.input);
      const after = model(kind, world.input, N + 1);
      const outcome = await replayJob({ jobId: JOB_ID, fromBatchId: N }, { ports: world.ports, job: fixed, executorAttempts: 1 });
      expect(outcome.replayed).toBeGreaterThan(2);
      // In place, a row the replayed batches no longer write keeps what the superseded ones
      // wrote (engine/ports/sink.ts): the old rows, then every row the fixed logic writes after N.
      const replayed = asSinks({ rows: after.rows.filter((r) => r.batchId > N), late: after.late.filter((l) => l.batchId > N) });
      const merged = asSinks({
        rows: [...before.rows, ...after.rows.filter((r) => r.batchId > N)],
        late: [...before.late, ...after.late.filter((l) => l.batchId > N)],
      });
      expect(await sinks(world.ports, fixed)).toEqual(merged);
      // And the fixed logic changed something.
      expect(replayed.rows).not.toEqual(asSinks({ rows: before.rows.filter((r) => r.batchId > N), late: [] }).rows);
    });

    it('replays into a new job from batch N: its sinks hold exactly what the fixed logic writes after N', async () => {
      const world = windowWorld(true);
      const old = windowJob({ kind, layout: 'key-groups' });
      await runToEnd(world, old);
      const untouched = await sinks(world.ports, old);
      const fixed = windowJob({ kind, layout: 'key-groups', fixed: true, sink: `${kind}-fixed`, lateSink: `${kind}-fixed-late` });
      const into = `${JOB_ID}-fixed`;
      await replayJob({ jobId: JOB_ID, fromBatchId: N, intoJobId: into }, { ports: world.ports, job: fixed, executorAttempts: 1 });
      const after = model(kind, world.input, N + 1);
      expect(await sinks(world.ports, fixed)).toEqual(
        asSinks({ rows: after.rows.filter((r) => r.batchId > N), late: after.late.filter((l) => l.batchId > N) }),
      );
      expect(await sinks(world.ports, old)).toEqual(untouched);
      // The new job runs on from there like any other.
      await runToEnd(world, fixed, into);
    });
  });
}
