/**
 * The cost meter: counts, on the local runtime, what AWS bills the driver for (Standard
 * and Express state transitions, Express executions and their duration, Lambda
 * invocations and GB-seconds at each function's configured memory, DynamoDB capacity
 * units and S3 requests; a two-stage batch's Route and stage-2 executors, their
 * transitions and the exchange's requests included), and prices an always-on job from
 * the counts and the public prices (../shared/notes/aws-limits.md; us-east-1, arm64 Lambda).
 */
import { DRIVER_FUNCTIONS, type DriverFunction } from '../infra/state-machines/functions.js';
import type { StepFunctionsObserver, WorkflowType } from '../local/step-functions.js';
import type { ComponentUsage, RequestCounter } from './request-counter.js';

export const PRICES = {
  standardTransition: 0.000025,
  expressRequest: 1.0e-6,
  expressGbSecond: 0.00001667,
  /** An Express execution is billed in 64 MB steps, its duration rounded up to 100 ms. */
  expressMemoryGb: 64 / 1024,
  expressRoundingMs: 100,
  lambdaRequest: 0.2e-6,
  lambdaGbSecondArm64: 0.0000133334,
  dynamoDbRru: 0.125e-6,
  dynamoDbWru: 0.625e-6,
  /** PUT, COPY, POST, LIST per request. */
  s3Put: 0.005 / 1000,
  s3Get: 0.0004 / 1000,
} as const;

/** A month of 730 hours, as AWS prices an always-on resource. */
export const MONTH_SECONDS = 730 * 3600;

export interface MeterCounts {
  readonly standardTransitions: number;
  /** Standard transitions by state name (to tell a child run's from a generation's). */
  readonly standardByState: Readonly<Record<string, number>>;
  readonly expressTransitions: number;
  readonly expressExecutions: number;
  readonly expressBilledGbSeconds: number;
  readonly lambda: Readonly<Record<DriverFunction, { readonly invocations: number; readonly ms: number; readonly gbSeconds: number }>>;
  readonly requests: Readonly<Record<string, number>>;
  readonly rru: number;
  readonly wru: number;
  /** DynamoDB capacity per table (the job registry apart) and S3 requests per purpose. */
  readonly components: Readonly<Record<string, ComponentUsage>>;
}

export class CostMeter implements StepFunctionsObserver {
  private standard = 0;
  private readonly standardByState = new Map<string, number>();
  private express = 0;
  private expressExecutions = 0;
  private expressGbSeconds = 0;
  private readonly lambda = new Map<DriverFunction, { invocations: number; ms: number; gbSeconds: number }>();
  private readonly start: Map<string, number>;

  constructor(private readonly requests: RequestCounter) {
    this.start = requests.snapshot();
  }

  onTransition(type: WorkflowType, _execution: string, state: string): void {
    if (type === 'EXPRESS') {
      this.express += 1;
      return;
    }
    this.standard += 1;
    this.standardByState.set(state, (this.standardByState.get(state) ?? 0) + 1);
  }

  onExpressExecution(ms: number): void {
    this.expressExecutions += 1;
    this.expressGbSeconds += (Math.ceil(ms / PRICES.expressRoundingMs) * PRICES.expressRoundingMs * PRICES.expressMemoryGb) / 1000;
  }

  onLambda(fn: DriverFunction, ms: number): void {
    const entry = this.lambda.get(fn) ?? { invocations: 0, ms: 0, gbSeconds: 0 };
    const billedMs = Math.max(1, Math.ceil(ms));
    entry.invocations += 1;
    entry.ms += ms;
    entry.gbSeconds += (billedMs / 1000) * (DRIVER_FUNCTIONS[fn].memoryMb / 1024);
    this.lambda.set(fn, entry);
  }

  counts(): MeterCounts {
    const lambda = Object.fromEntries(
      (Object.keys(DRIVER_FUNCTIONS) as DriverFunction[]).map((fn) => [
        fn,
        { ...(this.lambda.get(fn) ?? { invocations: 0, ms: 0, gbSeconds: 0 }) },
      ]),
    ) as MeterCounts['lambda'];
    const { rru, wru } = this.requests.capacitySince(this.start);
    return {
      standardTransitions: this.standard,
      standardByState: Object.fromEntries(this.standardByState),
      expressTransitions: this.express,
      expressExecutions: this.expressExecutions,
      expressBilledGbSeconds: this.expressGbSeconds,
      lambda,
      requests: this.requests.since(this.start),
      rru,
      wru,
      components: this.requests.usageSince(this.start),
    };
  }
}

/** b − a, field by field. */
export function diffCounts(a: MeterCounts, b: MeterCounts): MeterCounts {
  const sub = (x: Readonly<Record<string, number>>, y: Readonly<Record<string, number>>) =>
    Object.fromEntries(
      [...new Set([...Object.keys(x), ...Object.keys(y)])].map((k) => [k, (y[k] ?? 0) - (x[k] ?? 0)]).filter(([, v]) => v !== 0),
    );
  const lambda = Object.fromEntries(
    (Object.keys(b.lambda) as DriverFunction[]).map((fn) => [
      fn,
      {
        invocations: b.lambda[fn].invocations - a.lambda[fn].invocations,
        ms: b.lambda[fn].ms - a.lambda[fn].ms,
        gbSeconds: b.lambda[fn].gbSeconds - a.lambda[fn].gbSeconds,
      },
    ]),
  ) as MeterCounts['lambda'];
  return {
    standardTransitions: b.standardTransitions - a.standardTransitions,
    standardByState: sub(a.standardByState, b.standardByState),
    expressTransitions: b.expressTransitions - a.expressTransitions,
    expressExecutions: b.expressExecutions - a.expressExecutions,
    expressBilledGbSeconds: b.expressBilledGbSeconds - a.expressBilledGbSeconds,
    lambda,
    requests: sub(a.requests, b.requests),
    rru: b.rru - a.rru,
    wru: b.wru - a.wru,
    components: combineUsage(a.components, b.components, (x, y) => y - x),
  };
}

/** f(a's usage, b's usage) per component and field (a component one side lacks counts 0 there). */
export function combineUsage(
  a: Readonly<Record<string, ComponentUsage>>,
  b: Readonly<Record<string, ComponentUsage>>,
  f: (x: number, y: number) => number,
): Record<string, ComponentUsage> {
  const zero: ComponentUsage = { rru: 0, wru: 0, puts: 0, gets: 0 };
  const out: Record<string, ComponentUsage> = {};
  for (const name of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    const x = a[name] ?? zero;
    const y = b[name] ?? zero;
    const u = { rru: f(x.rru, y.rru), wru: f(x.wru, y.wru), puts: f(x.puts, y.puts), gets: f(x.gets, y.gets) };
    if (Object.values(u).some((v) => v !== 0)) out[name] = u;
  }
  return out;
}

/**
 * How the functions are priced: the control tasks of the driver (plan, route a two-stage
 * batch, commit) and the executors (one per partition, one per slot of key groups).
 */
export const CONTROL_FUNCTIONS = ['plan', 'route', 'finish'] as const satisfies readonly DriverFunction[];
export const EXECUTOR_FUNCTIONS = ['execute', 'executeGroups'] as const satisfies readonly DriverFunction[];

/** Per-batch figures: the average of a few batches' counts. */
export interface BatchProfile {
  readonly records: number;
  readonly expressTransitions: number;
  readonly lambdaInvocations: { readonly control: number; readonly executors: number };
  readonly lambdaGbSeconds: { readonly control: number; readonly executors: number };
  readonly awsRequests: number;
  readonly rru: number;
  readonly wru: number;
  readonly s3Puts: number;
  readonly s3Gets: number;
  /** The control and executor functions one by one. */
  readonly lambdaByFunction: Readonly<Record<string, { readonly invocations: number; readonly gbSeconds: number }>>;
  /** DynamoDB capacity per table and S3 requests per purpose. */
  readonly components: Readonly<Record<string, ComponentUsage>>;
}

/** The functions a batch calls: the control tasks and the executors. */
const BATCH_FUNCTIONS: readonly DriverFunction[] = [...CONTROL_FUNCTIONS, ...EXECUTOR_FUNCTIONS];

export function batchProfile(samples: readonly { counts: MeterCounts; records: number }[]): BatchProfile {
  const n = samples.length;
  const avg = (f: (c: MeterCounts) => number) => samples.reduce((s, x) => s + f(x.counts), 0) / n;
  const sum = (c: MeterCounts, fns: readonly DriverFunction[], field: 'invocations' | 'gbSeconds') =>
    fns.reduce((s, f) => s + c.lambda[f][field], 0);
  const s3 = (c: MeterCounts, get: boolean) =>
    Object.entries(c.requests)
      .filter(([k]) => k.startsWith('S3.') && (get ? k === 'S3.GetObject' : k !== 'S3.GetObject' && k !== 'S3.DeleteObjects'))
      .reduce((s, [, v]) => s + v, 0);
  return {
    records: samples.reduce((s, x) => s + x.records, 0) / n,
    expressTransitions: avg((c) => c.expressTransitions),
    lambdaInvocations: {
      control: avg((c) => sum(c, CONTROL_FUNCTIONS, 'invocations')),
      executors: avg((c) => sum(c, EXECUTOR_FUNCTIONS, 'invocations')),
    },
    lambdaGbSeconds: {
      control: avg((c) => sum(c, CONTROL_FUNCTIONS, 'gbSeconds')),
      executors: avg((c) => sum(c, EXECUTOR_FUNCTIONS, 'gbSeconds')),
    },
    awsRequests: avg((c) => Object.values(c.requests).reduce((s, v) => s + v, 0)),
    rru: avg((c) => c.rru),
    wru: avg((c) => c.wru),
    s3Puts: avg((c) => s3(c, false)),
    s3Gets: avg((c) => s3(c, true)),
    lambdaByFunction: Object.fromEntries(
      BATCH_FUNCTIONS.map((fn) => [
        fn,
        { invocations: avg((c) => c.lambda[fn].invocations), gbSeconds: avg((c) => c.lambda[fn].gbSeconds) },
      ]),
    ),
    components: samples
      .map((x) => x.counts.components)
      .reduce((acc, u) => combineUsage(acc, u, (p, q) => p + q / n), {} as Record<string, ComponentUsage>),
  };
}

/** A linear model of a batch's counts in its record count, through two measured profiles. */
export function interpolate(a: BatchProfile, b: BatchProfile, records: number): BatchProfile {
  const t = (records - a.records) / (b.records - a.records);
  const lerp = (x: number, y: number) => Math.max(0, x + (y - x) * t);
  return {
    records,
    expressTransitions: lerp(a.expressTransitions, b.expressTransitions),
    lambdaInvocations: {
      control: lerp(a.lambdaInvocations.control, b.lambdaInvocations.control),
      executors: lerp(a.lambdaInvocations.executors, b.lambdaInvocations.executors),
    },
    lambdaGbSeconds: {
      control: lerp(a.lambdaGbSeconds.control, b.lambdaGbSeconds.control),
      executors: lerp(a.lambdaGbSeconds.executors, b.lambdaGbSeconds.executors),
    },
    awsRequests: lerp(a.awsRequests, b.awsRequests),
    rru: lerp(a.rru, b.rru),
    wru: lerp(a.wru, b.wru),
    s3Puts: lerp(a.s3Puts, b.s3Puts),
    s3Gets: lerp(a.s3Gets, b.s3Gets),
    lambdaByFunction: Object.fromEntries(
      BATCH_FUNCTIONS.map((fn) => {
        const [x, y] = [a.lambdaByFunction[fn], b.lambdaByFunction[fn]];
        return [fn, { invocations: lerp(x?.invocations ?? 0, y?.invocations ?? 0), gbSeconds: lerp(x?.gbSeconds ?? 0, y?.gbSeconds ?? 0) }];
      }),
    ),
    components: combineUsage(a.components, b.components, lerp),
  };
}

export interface MonthlyCost {
  readonly batches: number;
  readonly stepFunctions: number;
  readonly lambdaControl: number;
  readonly lambdaExecutors: number;
  readonly dynamoDb: number;
  readonly s3: number;
  readonly total: number;
  /** The same batches driven by a loop of Standard transitions (Step Functions only). */
  readonly naiveStandardLoop: number;
  /**
   * The total by component, dollars a month: 'Step Functions Express', 'Step Functions
   * Standard', 'Lambda <function>', 'DynamoDB <table>' (the job registry apart), 'S3 <purpose>'.
   * It sums to `total`.
   */
  readonly breakdown: Readonly<Record<string, number>>;
}

export interface DriverShape {
  /** Standard transitions the parent makes per Express child run, and per generation. */
  readonly standardPerChildRun: number;
  readonly standardPerGeneration: number;
  readonly childBudgetMs: number;
  readonly childRunsPerGeneration: number;
}

/**
 * An always-on job for a month: `periodSeconds` between batch starts, each batch like
 * `batch`; the Express child is alive the whole month (waits up to the hand-back
 * threshold are spent in it) and hands back to the parent every `childBudgetMs`.
 */
export function monthlyCost(batch: BatchProfile, periodSeconds: number, shape: DriverShape): MonthlyCost {
  const batches = MONTH_SECONDS / periodSeconds;
  const childRuns = MONTH_SECONDS / (shape.childBudgetMs / 1000);
  const generations = childRuns / shape.childRunsPerGeneration;
  const express = childRuns * PRICES.expressRequest + MONTH_SECONDS * PRICES.expressMemoryGb * PRICES.expressGbSecond;
  const standard = (childRuns * shape.standardPerChildRun + generations * shape.standardPerGeneration) * PRICES.standardTransition;
  const lambda = (kind: 'control' | 'executors') =>
    batches * (batch.lambdaInvocations[kind] * PRICES.lambdaRequest + batch.lambdaGbSeconds[kind] * PRICES.lambdaGbSecondArm64);
  const dynamoDb = batches * (batch.rru * PRICES.dynamoDbRru + batch.wru * PRICES.dynamoDbWru);
  const s3 = batches * (batch.s3Puts * PRICES.s3Put + batch.s3Gets * PRICES.s3Get);
  const parts = { stepFunctions: express + standard, lambdaControl: lambda('control'), lambdaExecutors: lambda('executors'), dynamoDb, s3 };
  return {
    batches,
    ...parts,
    total: Object.values(parts).reduce((a, b) => a + b, 0),
    naiveStandardLoop: batches * batch.expressTransitions * PRICES.standardTransition,
    breakdown: {
      'Step Functions Express': express,
      'Step Functions Standard': standard,
      ...batchBreakdown(batch, batches),
    },
  };
}

/** A batch's Lambda, DynamoDB and S3 dollars by component, `batches` times. */
export function batchBreakdown(batch: BatchProfile, batches: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [fn, l] of Object.entries(batch.lambdaByFunction)) {
    out[`Lambda ${fn}`] = batches * (l.invocations * PRICES.lambdaRequest + l.gbSeconds * PRICES.lambdaGbSecondArm64);
  }
  for (const [name, u] of Object.entries(batch.components)) {
    out[name] = batches * (u.rru * PRICES.dynamoDbRru + u.wru * PRICES.dynamoDbWru + u.puts * PRICES.s3Put + u.gets * PRICES.s3Get);
  }
  return out;
}

/**
 * A parked job for a month (engine/driver/parking.ts): no execution runs; the supervisor's
 * reconcile tick checks the source every `tickSeconds` (`check`: one tick's counts, the
 * supervisor's invocation among them). The EventBridge schedule is free; Kinesis and
 * Kafka reads are not billed per request (provisioned streams: shard-hours).
 */
export function monthlyParkedCost(
  check: BatchProfile,
  tickSeconds: number,
): { ticks: number; total: number; breakdown: Record<string, number> } {
  const ticks = MONTH_SECONDS / tickSeconds;
  const breakdown = batchBreakdown(check, ticks);
  return { ticks, total: Object.values(breakdown).reduce((a, b) => a + b, 0), breakdown };
}
