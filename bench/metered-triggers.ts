/**
 * The driver observer of the benchmarks that meter cost (cost-bench.ts, nexmark/run-nexmark.ts):
 * it feeds the cost meter every transition, Express execution and Lambda call, and at the
 * end of each trigger hands over what that trigger cost, the meter's counts since the
 * trigger before. A trigger ends at Finish, or at Plan when it was skipped
 * (engine/protocol/empty-trigger.ts); a benchmark that leaves skipped triggers out has
 * their counts added to the next batch's.
 */
import type { FinishTaskResult, PlanTaskResult } from '../engine/driver/tasks.js';
import { TASK_STATES } from '../infra/state-machines/definitions.js';
import type { LocalDriverOptions } from '../local/driver-runtime.js';
import type { DriverFunction } from '../infra/state-machines/functions.js';
import type { LocalLambda, StepFunctionsObserver } from '../local/step-functions.js';
import { diffCounts, type CostMeter, type MeterCounts } from './cost-meter.js';
import { now } from './stats.js';

export interface MeteredTrigger {
  /** What the trigger cost: the meter's counts since the end of the trigger before (or since the observer was made). */
  readonly counts: MeterCounts;
  /** The batch Finish reported; null for a skipped trigger. */
  readonly batch: FinishTaskResult['batch'] | null;
}

/**
 * `lambdaTiming`: 'one-at-a-time' leaves the Lambda calls to meteredLambdas, which times
 * each alone; 'at-once' (the default here) meters them as the driver runs them.
 */
export function meteredTriggers(
  meter: CostMeter,
  onTrigger: (trigger: MeteredTrigger) => void,
  options: { readonly skippedTriggers: boolean; readonly lambdaTiming?: LambdaTiming },
): StepFunctionsObserver {
  let last = meter.counts();
  return {
    onTransition: (t, e, s) => meter.onTransition(t, e, s),
    onExpressExecution: (ms) => meter.onExpressExecution(ms),
    ...(options.lambdaTiming === 'one-at-a-time' ? {} : { onLambda: (fn: DriverFunction, ms: number) => meter.onLambda(fn, ms) }),
    onTaskResult: (state, _input, output) => {
      const skipped = options.skippedTriggers && state === TASK_STATES.plan && (output as PlanTaskResult).idle;
      if (state !== TASK_STATES.finish && !skipped) return;
      const counts = meter.counts();
      const batch = skipped ? null : (output as FinishTaskResult).batch;
      onTrigger({ counts: diffCounts(last, counts), batch });
      last = counts;
    },
  };
}

/**
 * How Lambda durations are measured. The handlers run in this process: executors the
 * driver runs at once (a Map state's iterations) share one event loop and the machine's
 * cores, so each call's wall time also holds the others' work, which Lambda, one
 * environment per call, would not bill. 'one-at-a-time' (the default) runs the calls one
 * after another and times each alone; 'at-once' times them as the driver runs them.
 */
export type LambdaTiming = 'one-at-a-time' | 'at-once';

/** Wraps the in-process Lambda calls so that they run one at a time; each reports its own duration. */
export function oneAtATime(onLambda: (fn: DriverFunction, ms: number) => void): (fn: DriverFunction, call: LocalLambda) => LocalLambda {
  let queue: Promise<unknown> = Promise.resolve();
  return (fn, call) => (event) => {
    const turn = queue.then(async () => {
      const started = now();
      try {
        return await call(event);
      } finally {
        onLambda(fn, now() - started);
      }
    });
    queue = turn.catch(() => undefined);
    return turn;
  };
}

/** The LocalDriver option that meters the Lambda calls one at a time (nothing for 'at-once': meteredTriggers meters them). */
export function meteredLambdas(meter: CostMeter, timing: LambdaTiming): Pick<LocalDriverOptions, 'wrapLambda'> {
  return timing === 'one-at-a-time' ? { wrapLambda: oneAtATime((fn, ms) => meter.onLambda(fn, ms)) } : {};
}
