/**
 * The Plan task of the driver's Express child (engine/driver/tasks.ts has the others):
 * plan the next batch, resume the one in flight, stop a job asked to stop between batches,
 * or skip a trigger that would plan an empty batch (engine/protocol/empty-trigger.ts). A
 * skipped trigger answers with the same loop decision Finish makes after an empty batch.
 */
import { JobState } from '../ports/job-registry.js';
import { BatchStatus } from '../protocol/batch-records.js';
import { nextStep } from './next-step.js';
import { planOrSkip, type PlanBatchResult } from './plan-batch.js';
import { iso, jobOf, type DriverInfo, type DriverTaskContext, type LoopState } from './task-context.js';

/** A batch to run: the plan's summary and when the batch started. */
export interface PlannedBatch extends PlanBatchResult {
  readonly stop: false;
  readonly idle: false;
  /** When this batch started (the trigger's interval runs from batch start to batch start). */
  readonly startedAt: number;
}

/**
 * What comes after a skipped trigger (engine/protocol/empty-trigger.ts): the same decision
 * Finish makes after an empty batch (nextStep), which the child routes on the same way.
 */
export interface IdleLoop extends LoopState {
  readonly action: 'continue' | 'handBack' | 'stop' | 'park';
  readonly reason: string | null;
  readonly waitMs: number;
  readonly waitUntil: string;
  /** The committed batch the job stays at (a parked generation records it). */
  readonly batch: { readonly batchId: number; readonly idle: true };
}

/** A skipped trigger: nothing was planned or written; `loop` says what the driver does next. */
export interface IdleTriggerResult {
  readonly stop: false;
  readonly idle: true;
  readonly startedAt: number;
  readonly loop: IdleLoop;
}

/** The batch to run, a skipped trigger, or, when the job is stopping and no batch is in flight, the order to stop. */
export type PlanTaskResult =
  | PlannedBatch
  | IdleTriggerResult
  | { readonly stop: true; readonly idle: false; readonly reason: 'stopped' | 'superseded' };

export interface PlanTaskInput {
  readonly driver: DriverInfo;
  /**
   * The loop so far and when the Express child started (`$$.Execution.StartTime`): with
   * both, a trigger that would plan an empty batch is skipped (the child's definition sends
   * them; without them, as from an older definition, every trigger plans).
   */
  readonly loop?: LoopState;
  readonly childStartedAt?: string;
}

/**
 * Step 1: plan the next batch, resume the one in flight, or skip the trigger when the job
 * is caught up with nothing due (planOrSkip). A stop requested while the driver waited (no
 * batch in flight) stops it before another batch; a batch in flight is always finished first.
 */
export async function planTask(input: PlanTaskInput, ctx: DriverTaskContext): Promise<PlanTaskResult> {
  const startedAt = ctx.ports.clock.now();
  const { jobId, epoch, generation } = input.driver;
  const record = await ctx.registry.get(jobId);
  const superseded = record !== null && record.generation > generation;
  const stopRequested = record === null || record.state !== JobState.RUNNING || superseded;
  if (stopRequested) {
    const latest = await ctx.ports.wal.getLatestBatch(jobId);
    if (latest === null || latest.status === BatchStatus.COMMITTED) {
      return { stop: true, idle: false, reason: superseded ? 'superseded' : 'stopped' };
    }
  }
  const childStartedAt = input.childStartedAt === undefined ? Number.NaN : Date.parse(input.childStartedAt);
  const skipEmpty = input.loop !== undefined && !Number.isNaN(childStartedAt);
  const plan = await planOrSkip({ jobId, epoch, stopRequested }, { ports: ctx.ports, job: jobOf(input.driver, ctx) }, { skipEmpty });
  if (!plan.idle) return { ...plan, stop: false, startedAt };
  const now = ctx.ports.clock.now();
  // A skipped trigger is an empty batch that read every partition to its tail, fresh, with no extra batch due.
  const step = nextStep({
    trigger: input.driver.trigger,
    batch: { records: 0, caughtUp: true, resumed: false, noDataBatchDue: false, startedAt },
    now,
    idleStreak: input.loop?.idleStreak ?? 0,
    budgetLeftMs: childStartedAt + ctx.settings.childBudgetMs - now,
    handBackAfterMs: ctx.settings.handBackAfterMs,
    parkAfterIdleMs: ctx.settings.parkAfterIdleMs,
    stopRequested,
  });
  const waitMs = step.action === 'stop' ? 0 : step.waitMs;
  const loop: IdleLoop = {
    action: step.action,
    reason: step.action === 'stop' ? step.reason : null,
    waitMs,
    waitUntil: iso(now + waitMs),
    idleStreak: step.idleStreak,
    batch: { batchId: plan.committedBatchId, idle: true },
  };
  return { stop: false, idle: true, startedAt, loop };
}
