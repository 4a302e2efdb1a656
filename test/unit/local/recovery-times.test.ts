/**
 * The recovery time of the local runtime (local/recovery-times.ts): from this start to a
 * job's first committed batch, reported once per job, whether the job was known to be
 * resumed before or after that batch committed; other tasks and later batches change nothing.
 */
import { describe, expect, it } from 'vitest';
import { TASK_STATES } from '../../../infra/state-machines/definitions.js';
import { RecoveryTimes } from '../../../local/recovery-times.js';

function setUp() {
  let now = 1_000;
  const lines: string[] = [];
  const times = new RecoveryTimes({
    startedAt: 1_000,
    standInsMs: 400,
    report: (jobId, line) => lines.push(`${jobId}: ${line}`),
    now: () => now,
  });
  const finish = (jobId: string, at: number) => {
    now = at;
    times.observer.onTaskResult!(TASK_STATES.finish, { driver: { jobId } }, { batch: { batchId: 1 } });
  };
  return { times, lines, finish, setNow: (at: number) => (now = at) };
}

describe('RecoveryTimes', () => {
  it("reports a resumed job's first commit after this start, with the stand-ins' part, once", () => {
    const { times, lines, finish } = setUp();
    times.report(['a']);
    expect(lines).toEqual([]);
    finish('a', 3_500);
    finish('a', 4_000);
    expect(lines).toEqual(['a: first batch committed 2500 ms after this start (400 ms of it starting the stand-ins)']);
  });

  it('reports a job whose first batch committed before it was known to be resumed, at once, with that commit time', () => {
    const { times, lines, finish, setNow } = setUp();
    finish('early', 2_200);
    setNow(9_000);
    times.report(['early']);
    expect(lines).toEqual(['early: first batch committed 1200 ms after this start (400 ms of it starting the stand-ins)']);
  });

  it('reports a caught-up job at its first skipped trigger, once, and not again at a later batch', () => {
    const { times, lines, finish, setNow } = setUp();
    times.report(['idle']);
    times.observer.onTaskResult!(TASK_STATES.plan, { driver: { jobId: 'idle' } }, { stop: false, idle: false, batchId: 1 });
    expect(lines).toEqual([]);
    setNow(1_900);
    times.observer.onTaskResult!(TASK_STATES.plan, { driver: { jobId: 'idle' } }, { stop: false, idle: true });
    finish('idle', 5_000);
    expect(lines).toEqual([
      'idle: caught up, first trigger found nothing to run 900 ms after this start (400 ms of it starting the stand-ins)',
    ]);
  });

  it('reports no job it was not asked about, and ignores other tasks', () => {
    const { times, lines, finish } = setUp();
    times.observer.onTaskResult!(TASK_STATES.plan, { driver: { jobId: 'a' } }, {});
    finish('started-later', 2_000);
    times.report(['a']);
    expect(lines).toEqual([]);
    finish('a', 5_000);
    expect(lines).toEqual(['a: first batch committed 4000 ms after this start (400 ms of it starting the stand-ins)']);
  });
});
