/** The benchmarks' metering observer: each trigger's counts are what happened since the trigger before, skipped ones included or folded into the next batch. */
import { describe, expect, it } from 'vitest';
import { CostMeter } from '../../../bench/cost-meter.js';
import { meteredTriggers, type MeteredTrigger } from '../../../bench/metered-triggers.js';
import { RequestCounter } from '../../../bench/request-counter.js';
import { TASK_STATES } from '../../../infra/state-machines/definitions.js';
import type { StepFunctionsObserver } from '../../../local/step-functions.js';

/** A batch of `records` as the Express child runs it: Plan, Execute, Finish, with their Lambda calls. */
function batch(observer: StepFunctionsObserver, records: number): void {
  for (const state of [TASK_STATES.plan, TASK_STATES.execute, TASK_STATES.finish]) observer.onTransition?.('EXPRESS', 'child-1', state);
  observer.onLambda?.('plan', 10, true);
  observer.onTaskResult?.(TASK_STATES.plan, {}, { stop: false, idle: false });
  observer.onLambda?.('execute', 40, true);
  observer.onLambda?.('finish', 20, true);
  observer.onTaskResult?.(TASK_STATES.finish, {}, { batch: { batchId: 1, metrics: { records } } });
  observer.onExpressExecution?.(120);
}

/** A skipped trigger: Plan answers idle, the child goes through Idle. */
function skipped(observer: StepFunctionsObserver): void {
  observer.onTransition?.('EXPRESS', 'child-1', TASK_STATES.plan);
  observer.onLambda?.('plan', 10, true);
  observer.onTaskResult?.(TASK_STATES.plan, {}, { stop: false, idle: true });
  observer.onTransition?.('EXPRESS', 'child-1', 'Idle');
}

describe('meteredTriggers', () => {
  it('feeds the meter and reports each trigger, a skipped one with no batch, each with its own counts', () => {
    const meter = new CostMeter(new RequestCounter());
    const triggers: MeteredTrigger[] = [];
    const observer = meteredTriggers(meter, (t) => triggers.push(t), { skippedTriggers: true });
    batch(observer, 7);
    skipped(observer);
    batch(observer, 3);
    expect(triggers.map((t) => t.batch?.metrics.records ?? null)).toEqual([7, null, 3]);
    // A trigger ends at its task's result: the Idle state after a skipped Plan counts in the next trigger.
    expect(triggers.map((t) => t.counts.expressTransitions)).toEqual([3, 1, 4]);
    expect(triggers.map((t) => t.counts.lambda.plan.invocations)).toEqual([1, 1, 1]);
    expect(meter.counts().expressTransitions).toBe(8);
    expect(meter.counts().expressExecutions).toBe(2);
  });

  it('without skipped triggers, adds their counts to the next batch', () => {
    const meter = new CostMeter(new RequestCounter());
    const triggers: MeteredTrigger[] = [];
    const observer = meteredTriggers(meter, (t) => triggers.push(t), { skippedTriggers: false });
    batch(observer, 7);
    skipped(observer);
    batch(observer, 3);
    expect(triggers.map((t) => t.batch?.metrics.records)).toEqual([7, 3]);
    expect(triggers.map((t) => t.counts.expressTransitions)).toEqual([3, 5]);
    expect(triggers.map((t) => t.counts.lambda.plan.invocations)).toEqual([1, 2]);
  });
});
