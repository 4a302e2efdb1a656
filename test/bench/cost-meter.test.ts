/** The cost meter counts and prices a two-stage batch's Route and stage-2 executors with the other functions. */
import { describe, expect, it } from 'vitest';
import {
  CONTROL_FUNCTIONS,
  CostMeter,
  EXECUTOR_FUNCTIONS,
  MONTH_SECONDS,
  PRICES,
  batchProfile,
  monthlyCost,
  monthlyParkedCost,
} from '../../bench/cost-meter.js';
import { RequestCounter } from '../../bench/request-counter.js';
import { DRIVER_FUNCTIONS } from '../../infra/state-machines/functions.js';

describe('the cost meter on a two-stage batch', () => {
  it('counts every state transition and Lambda call of the batch, and prices Route as control and stage 2 as executors', () => {
    const meter = new CostMeter(new RequestCounter());
    // One two-stage batch over 2 partitions with 3 slots of key groups, as the Express child runs it.
    const states = ['Plan', 'Planned', 'Execute', 'ExecutePartition', 'ExecutePartition', 'TwoStage', 'Route', 'ExecuteGroups'];
    for (const state of [...states, 'ExecuteKeyGroups', 'ExecuteKeyGroups', 'ExecuteKeyGroups', 'Finish', 'AfterCommit']) {
      meter.onTransition('EXPRESS', 'batches-1', state);
    }
    const calls = { plan: 1, execute: 2, route: 1, executeGroups: 3, finish: 1 } as const;
    for (const [fn, n] of Object.entries(calls) as [keyof typeof calls, number][]) {
      for (let i = 0; i < n; i += 1) meter.onLambda(fn, 100);
    }
    const counts = meter.counts();
    expect(counts.expressTransitions).toBe(13);
    expect(counts.lambda.route).toEqual({
      invocations: 1,
      ms: 100,
      gbSeconds: expect.closeTo(0.1 * (DRIVER_FUNCTIONS.route.memoryMb / 1024)),
    });
    expect(counts.lambda.executeGroups).toEqual({
      invocations: 3,
      ms: 300,
      gbSeconds: expect.closeTo(0.3 * (DRIVER_FUNCTIONS.executeGroups.memoryMb / 1024)),
    });

    expect(CONTROL_FUNCTIONS).toContain('route');
    expect(EXECUTOR_FUNCTIONS).toContain('executeGroups');
    const profile = batchProfile([{ counts, records: 1_000 }]);
    expect(profile.lambdaInvocations).toEqual({ control: 3, executors: 5 });
    const gbs = (fn: keyof typeof DRIVER_FUNCTIONS, n: number) => n * 0.1 * (DRIVER_FUNCTIONS[fn].memoryMb / 1024);
    expect(profile.lambdaGbSeconds.control).toBeCloseTo(gbs('plan', 1) + gbs('route', 1) + gbs('finish', 1));
    expect(profile.lambdaGbSeconds.executors).toBeCloseTo(gbs('execute', 2) + gbs('executeGroups', 3));

    const shape = { standardPerChildRun: 6, standardPerGeneration: 10, childBudgetMs: 240_000, childRunsPerGeneration: 50 };
    const cost = monthlyCost(profile, 10, shape);
    expect(cost.lambdaExecutors).toBeCloseTo(
      cost.batches * (5 * PRICES.lambdaRequest + profile.lambdaGbSeconds.executors * PRICES.lambdaGbSecondArm64),
    );
    expect(cost.naiveStandardLoop).toBeCloseTo(cost.batches * 13 * PRICES.standardTransition);
  });
});

describe('the cost breakdown by component', () => {
  it('sums to the total and prices each component from its counts', () => {
    const meter = new CostMeter(new RequestCounter());
    meter.onLambda('plan', 100);
    meter.onLambda('execute', 400);
    meter.onLambda('execute', 400);
    meter.onLambda('finish', 200);
    const counts = {
      ...meter.counts(),
      rru: 10,
      wru: 30,
      requests: { 'S3.PutObject': 3, 'S3.GetObject': 2 },
      components: {
        'DynamoDB sluice-wal': { rru: 6, wru: 20, puts: 0, gets: 0 },
        'DynamoDB sluice-wal (job registry)': { rru: 4, wru: 0, puts: 0, gets: 0 },
        'DynamoDB sink': { rru: 0, wru: 10, puts: 0, gets: 0 },
        'S3 state and checkpoints': { rru: 0, wru: 0, puts: 3, gets: 2 },
      },
    };
    const profile = batchProfile([{ counts, records: 1_000 }]);
    const shape = { standardPerChildRun: 5, standardPerGeneration: 7, childBudgetMs: 240_000, childRunsPerGeneration: 60 };
    const cost = monthlyCost(profile, 10, shape);
    const sum = Object.values(cost.breakdown).reduce((a, b) => a + b, 0);
    expect(sum).toBeCloseTo(cost.total, 9);
    expect(cost.breakdown['DynamoDB sink']).toBeCloseTo(cost.batches * 10 * PRICES.dynamoDbWru, 9);
    expect(cost.breakdown['DynamoDB sluice-wal (job registry)']).toBeCloseTo(cost.batches * 4 * PRICES.dynamoDbRru, 9);
    expect(cost.breakdown['S3 state and checkpoints']).toBeCloseTo(cost.batches * (3 * PRICES.s3Put + 2 * PRICES.s3Get), 9);
    const executeGbs = 2 * 0.4 * (DRIVER_FUNCTIONS.execute.memoryMb / 1024);
    expect(cost.breakdown['Lambda execute']).toBeCloseTo(
      cost.batches * (2 * PRICES.lambdaRequest + executeGbs * PRICES.lambdaGbSecondArm64),
      9,
    );
    expect(cost.breakdown['Step Functions Express']! + cost.breakdown['Step Functions Standard']!).toBeCloseTo(cost.stepFunctions, 9);

    const parked = monthlyParkedCost({ ...profile, lambdaByFunction: { supervisor: { invocations: 1, gbSeconds: 0.05 } } }, 300);
    expect(parked.ticks).toBe(MONTH_SECONDS / 300);
    expect(parked.total).toBeCloseTo(
      Object.values(parked.breakdown).reduce((a, b) => a + b, 0),
      9,
    );
    expect(parked.breakdown['Lambda supervisor']).toBeCloseTo(parked.ticks * (PRICES.lambdaRequest + 0.05 * PRICES.lambdaGbSecondArm64), 9);
  });
});
