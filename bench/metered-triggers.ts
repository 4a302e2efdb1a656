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
import type { StepFunctionsObserver } from '../local/step-functions.js';
import { diffCounts, type CostMeter, type MeterCounts } from './cost-meter.js';

export interface MeteredTrigger {
  /** What the trigger cost: the meter's counts since the end of the trigger before (or since the observer was made). */
  readonly counts: MeterCounts;
  /** The batch Finish reported; null for a skipped trigger. */
  readonly batch: FinishTaskResult['batch'] | null;
}

export function meteredTriggers(
  meter: CostMeter,
  onTrigger: (trigger: MeteredTrigger) => void,
  options: { readonly skippedTriggers: boolean },
): StepFunctionsObserver {
  let last = meter.counts();
  return {
    onTransition: (t, e, s) => meter.onTransition(t, e, s),
    onExpressExecution: (ms) => meter.onExpressExecution(ms),
    onLambda: (fn, ms) => meter.onLambda(fn, ms),
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
