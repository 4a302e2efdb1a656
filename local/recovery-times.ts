/**
 * Recovery time after a restart of the local runtime (npm start, npm run api): from the
 * process's start to a job's first committed batch, with the part of it spent starting the
 * stand-ins given apart, printed in the progress output.
 *
 * It watches the driver's Finish task results (a StepFunctionsObserver) and keeps, per job,
 * when its first batch committed in this process. The demo reports its one job; the jobs
 * API reports the jobs it resumed at start, once each, whether their first batch committed
 * before or after it knew they were resumed.
 */
import type { FinishTaskInput, FinishTaskResult } from '../engine/driver/tasks.js';
import { TASK_STATES } from '../infra/state-machines/definitions.js';
import type { StepFunctionsObserver } from './step-functions.js';

/** `first batch committed N ms after this start (M ms of it starting the stand-ins)`. */
export function describeRecovery(sinceStartMs: number, standInsMs: number): string {
  return `first batch committed ${sinceStartMs} ms after this start (${standInsMs} ms of it starting the stand-ins)`;
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
  /** When each job's first batch committed in this process (ms since its start). */
  private readonly firstCommit = new Map<string, number>();
  /** Jobs to report at their first commit. */
  private readonly awaited = new Set<string>();

  constructor(private readonly options: RecoveryTimesOptions) {}

  /** The observer to give the driver (its onTaskResult). */
  readonly observer: StepFunctionsObserver = {
    onTaskResult: (state, input, output) => {
      if (state !== TASK_STATES.finish) return;
      const jobId = (input as FinishTaskInput).driver?.jobId;
      if (typeof jobId !== 'string' || (output as FinishTaskResult).batch === undefined) return;
      this.committed(jobId);
    },
  };

  /** Reports each job once: now when its first batch has committed already, else when it does. */
  report(jobIds: Iterable<string>): void {
    for (const jobId of jobIds) {
      const at = this.firstCommit.get(jobId);
      if (at === undefined) this.awaited.add(jobId);
      else this.print(jobId, at);
    }
  }

  private committed(jobId: string): void {
    if (this.firstCommit.has(jobId)) return;
    const at = (this.options.now ?? Date.now)() - this.options.startedAt;
    this.firstCommit.set(jobId, at);
    if (this.awaited.delete(jobId)) this.print(jobId, at);
  }

  private print(jobId: string, sinceStartMs: number): void {
    this.options.report(jobId, describeRecovery(sinceStartMs, this.options.standInsMs));
  }
}
