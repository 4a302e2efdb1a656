/**
 * Recovery time after a restart of the local runtime (npm start, npm run api): from the
 * process's start to a job's first committed batch, with the part of it spent starting the
 * stand-ins given apart, printed in the progress output. A job that is caught up runs no
 * batch (a trigger that finds nothing plans none: engine/protocol/empty-trigger.ts): its
 * recovery ends at its first trigger that found nothing to run, reported as such.
 *
 * It watches the driver's Finish and Plan task results (a StepFunctionsObserver) and keeps,
 * per job, when its first batch committed, or its first trigger was skipped, in this process. The demo reports its one job; the jobs
 * API reports the jobs it resumed at start, once each, whether their first batch committed
 * before or after it knew they were resumed.
 */
import type { FinishTaskInput, FinishTaskResult, PlanTaskInput, PlanTaskResult } from '../engine/driver/tasks.js';
import { TASK_STATES } from '../infra/state-machines/definitions.js';
import type { StepFunctionsObserver } from './step-functions.js';

/** How a resumed job's driver was back: a batch committed, or a trigger found nothing to run. */
export type RecoveredBy = 'batch' | 'skipped';

/** `first batch committed N ms after this start (M ms of it starting the stand-ins)`. */
export function describeRecovery(sinceStartMs: number, standInsMs: number, by: RecoveredBy = 'batch'): string {
  const what = by === 'batch' ? 'first batch committed' : 'caught up, first trigger found nothing to run';
  return `${what} ${sinceStartMs} ms after this start (${standInsMs} ms of it starting the stand-ins)`;
}

export interface RecoveryTimesOptions {
  /** When this process started (epoch ms), before the stand-ins. */
  readonly startedAt: number;
  /** How long the stand-ins took to start. */
  readonly standInsMs: number;
  /** Receives a line per reported job: `<jobId>: first batch committed ...`. */
  readonly report: (jobId: string, line: string) => void;
  readonly now?: () => number;
}

export class RecoveryTimes {
  /** When each job's first batch committed, or its first trigger was skipped, in this process (ms since its start). */
  private readonly firstCommit = new Map<string, { readonly at: number; readonly by: RecoveredBy }>();
  /** Jobs to report at their first commit. */
  private readonly awaited = new Set<string>();

  constructor(private readonly options: RecoveryTimesOptions) {}

  /** The observer to give the driver (its onTaskResult). */
  readonly observer: StepFunctionsObserver = {
    onTaskResult: (state, input, output) => {
      const jobId = (input as FinishTaskInput | PlanTaskInput).driver?.jobId;
      if (typeof jobId !== 'string') return;
      if (state === TASK_STATES.finish && (output as FinishTaskResult).batch !== undefined) this.committed(jobId, 'batch');
      if (state === TASK_STATES.plan && (output as Partial<PlanTaskResult>).idle === true) this.committed(jobId, 'skipped');
    },
  };

  /** Reports each job once: now when its first batch has committed already, else when it does. */
  report(jobIds: Iterable<string>): void {
    for (const jobId of jobIds) {
      const first = this.firstCommit.get(jobId);
      if (first === undefined) this.awaited.add(jobId);
      else this.print(jobId, first.at, first.by);
    }
  }

  private committed(jobId: string, by: RecoveredBy): void {
    if (this.firstCommit.has(jobId)) return;
    const at = (this.options.now ?? Date.now)() - this.options.startedAt;
    this.firstCommit.set(jobId, { at, by });
    if (this.awaited.delete(jobId)) this.print(jobId, at, by);
  }

  private print(jobId: string, sinceStartMs: number, by: RecoveredBy): void {
    this.options.report(jobId, describeRecovery(sinceStartMs, this.options.standInsMs, by));
  }
}
