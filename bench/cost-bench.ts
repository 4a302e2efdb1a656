/**
 * `npm run cost`: runs the clickstream job through the driver state machines on the local
 * runtime with the cost meter on, and prices an always-on job from what it counted.
 *
 *   1. data batches of 1,000 and 10,000 records per shard (4 shards): 1 s and 10 s of a
 *      4,000 records/s stream; 60 s (60,000 per shard) is extrapolated linearly
 *   2. empty triggers, back to back (an interval of 1 ms, no backoff): a caught-up job's
 *      trigger finds nothing and plans nothing (engine/protocol/empty-trigger.ts); its
 *      overhead through the state machine, against runDriver (and runDriver's forced empty batch)
 *   3. the parent's own transitions: a child run per batch and a generation per 3 runs
 *   4. parked: the job idles past parkAfterIdleMs and parks; the supervisor's reconcile
 *      ticks that check its source (engine/driver/parking.ts), counted one by one
 */
import { createSinkTable } from '../engine/adapters/aws/index.js';
import { resolveJob } from '../engine/driver/catalog.js';
import type { DriverSettings } from '../engine/driver/settings.js';
import { DEFAULT_DRIVER_SETTINGS } from '../engine/driver/settings.js';
import { LocalDriver } from '../local/driver-runtime.js';
import type { TriggerSettings } from '../engine/ports/job-registry.js';
import type { DynamoDbSinkWrites } from '../engine/ports/sink.js';
import { TASK_STATES } from '../infra/state-machines/definitions.js';
import { catalog } from '../jobs/catalog.js';
import { measureEmptyBatches } from './empty-batch.js';
import { meteredLambdas, meteredTriggers, type LambdaTiming } from './metered-triggers.js';
import { startEnvironment, writeClickstream, type Progress } from './environment.js';
import { machineInfo, type MachineInfo } from './machine.js';
import { meteredJobPorts } from './metered-job-ports.js';
import {
  batchProfile,
  combineUsage,
  monthlyParkedCost,
  diffCounts,
  interpolate,
  monthlyCost,
  type BatchProfile,
  type DriverShape,
  type MeterCounts,
  type MonthlyCost,
} from './cost-meter.js';
import { distribution, now, type Distribution } from './stats.js';

/** The parent's states run once per Express child run; the others once per generation. */
export const CHILD_RUN_STATES = new Set(['RunBatches', 'ChildEnded', 'CountRun', 'ParentWaitNeeded', 'ParentWait', 'MoreRuns']);
const RATE = 4_000;
/**
 * The stream the bill is for: RATE records a second of event time (so a 10 s batch spans
 * 10 s of it, and changes the rows of about two 10 s windows), each about 1 KB.
 */
const STREAM = { spacingMs: 1_000 / RATE, payloadBytes: 1_024 } as const;
const SHARDS = 4;

export interface CostRow {
  readonly triggerSeconds: number;
  readonly load: 'idle' | '4,000 records/s';
  readonly cost: MonthlyCost;
  /** Dollars per million records (data rows only). */
  readonly perMillionRecords: number | null;
}

export interface CostReport {
  readonly machine: MachineInfo;
  readonly lambdaTiming: LambdaTiming;
  /** How the demo's sink rows were sent (its `sinkWrites` parameter). */
  readonly sinkWrites: DynamoDbSinkWrites;
  readonly profiles: { readonly idle: BatchProfile; readonly data1s: BatchProfile; readonly data10s: BatchProfile };
  readonly shape: DriverShape;
  readonly maxIdleIntervalMs: number;
  readonly rows: readonly CostRow[];
  readonly overhead: {
    readonly stateMachineMs: Distribution;
    readonly runDriverMs: Distribution;
    readonly perBatch: MeterCounts;
  };
  readonly naiveFormula1s: number;
  /** An idle job parked all month: the supervisor's tick checks its source every `tickSeconds`. */
  readonly parked: {
    readonly tickSeconds: number;
    readonly check: BatchProfile;
    readonly supervisorMs: number;
    readonly monthly: ReturnType<typeof monthlyParkedCost>;
  };
}

/** The supervisor's reconcile schedule (infra/constructs/sluice-driver.ts reconcileEvery default). */
const RECONCILE_SECONDS = 300;

export async function runCostBench(options: {
  batches: number;
  progress: Progress;
  lambdaTiming?: LambdaTiming;
  sinkWrites?: DynamoDbSinkWrites;
}): Promise<CostReport> {
  const { progress } = options;
  const lambdaTiming = options.lambdaTiming ?? 'one-at-a-time';
  const sinkWrites = options.sinkWrites ?? 'transactions';
  const env = await startEnvironment(progress);
  try {
    // The bench's own polls for a job's end go through uncounted clients (watcher): they are not the job's cost.
    const { ports, registry, watcher, meter } = meteredJobPorts(env);

    /** Runs a job instance through the state machines; returns the counts of each batch (Finish to Finish). */
    const run = async (
      jobId: string,
      parameters: Record<string, string | number>,
      trigger: TriggerSettings | null,
      settings: Partial<DriverSettings>,
      stopAfter?: number,
    ) => {
      const batches: { counts: MeterCounts; records: number; at: number }[] = [];
      const driver: LocalDriver = new LocalDriver({
        ports,
        registry,
        catalog,
        settings,
        ...meteredLambdas(meter, lambdaTiming),
        observer: meteredTriggers(
          meter,
          ({ counts, batch }) => {
            batches.push({ counts, records: batch?.metrics.records ?? 0, at: now() });
            if (stopAfter !== undefined && batches.length === stopAfter) void driver.requestStop(jobId);
          },
          { skippedTriggers: true, lambdaTiming },
        ),
      });
      try {
        await driver.launch({ jobId, jobName: 'page-views', parameters, trigger });
        await driver.waitForJob(jobId, 600_000, watcher);
      } finally {
        await driver.close();
      }
      return batches;
    };

    /** Runs `ticks` reconcile ticks on a parked instance of the job; the counts of one tick, on average. */
    const measureParked = async (ticks: number) => {
      const driver: LocalDriver = new LocalDriver({
        ports,
        registry,
        catalog,
        settings: { parkAfterIdleMs: 5 },
        wrapLambda: (fn, call) =>
          fn !== 'supervisor'
            ? call
            : async (event) => {
                const started = now();
                const out = await call(event);
                meter.onLambda(fn, now() - started);
                return out;
              },
      });
      try {
        const jobId = 'cost-parked';
        await driver.launch({
          jobId,
          jobName: 'page-views',
          parameters: small,
          trigger: { type: 'interval', intervalMs: 1, maxIdleIntervalMs: 1 },
        });
        const deadline = Date.now() + 600_000;
        while (!((await watcher.get(jobId))?.parked ?? null) || driver.stepFunctions.running().length > 0) {
          if (Date.now() > deadline) throw new Error('the parked measurement: the job did not park within 10 minutes');
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        const before = meter.counts();
        for (let i = 0; i < ticks; i += 1) await driver.reconcile();
        const counts = diffCounts(before, meter.counts());
        const woken = driver.supervisorOutcomes.filter((o) => o.action !== 'none');
        if (woken.length > 0) throw new Error(`the parked measurement: the ticks did more than check: ${JSON.stringify(woken)}`);
        await driver.requestStop(jobId);
        const avg = (n: number) => n / ticks;
        const tick = scaleCounts(counts, 1 / ticks);
        const check: BatchProfile = {
          ...batchProfile([{ counts: tick, records: 0 }]),
          lambdaByFunction: {
            supervisor: { invocations: avg(counts.lambda.supervisor.invocations), gbSeconds: avg(counts.lambda.supervisor.gbSeconds) },
          },
        };
        return {
          tickSeconds: RECONCILE_SECONDS,
          check,
          supervisorMs: avg(counts.lambda.supervisor.ms),
          monthly: monthlyParkedCost(check, RECONCILE_SECONDS),
        };
      } finally {
        await driver.close();
      }
    };

    progress('writing the input streams');
    await writeClickstream(env.runtime, 'cost-small', 3 * SHARDS * 1_000, progress, STREAM);
    await writeClickstream(env.runtime, 'cost-large', 2 * SHARDS * 10_000, progress, STREAM);
    for (const table of ['cost-small', 'cost-large']) await createSinkTable(ports.clients.dynamodb, table);
    const small = { streamName: 'cost-small', sinkTable: 'cost-small', sinkWrites, maxRecordsPerPartition: 1_000 };
    const large = { streamName: 'cost-large', sinkTable: 'cost-large', sinkWrites, maxRecordsPerPartition: 10_000 };

    progress('1. data batches: 1,000 and 10,000 records per shard, through the state machines');
    const smallBatches = await run('cost-1s', small, null, {});
    const largeBatches = await run('cost-10s', large, null, {});
    // The first batch of a run also carries the generation's start: measure the later ones.
    const data1s = batchProfile(smallBatches.slice(1).filter((b) => b.records > 0));
    const data10s = batchProfile(largeBatches.slice(1).filter((b) => b.records > 0));

    progress(`2. ${options.batches} empty triggers back to back through the state machines (each skipped: no batch)`);
    const idleBatches = await run('cost-1s', small, { type: 'interval', intervalMs: 1, maxIdleIntervalMs: 1 }, {}, options.batches + 2);
    const measured = idleBatches.slice(2);
    const idle = batchProfile(measured);
    const stateMachineMs = distribution(measured.map((b, i) => b.at - idleBatches[i + 1]!.at));
    const perBatch = measured.map((b) => b.counts).reduce((a, b) => addCounts(a, b));
    progress('   the same empty triggers through runDriver, and forced empty batches (steps called directly)');
    const direct = await measureEmptyBatches({
      ports,
      job: { ...resolveJob(catalog, 'page-views', small), name: 'cost-1s' },
      batches: options.batches,
      requests: env.requests,
      progress,
    });

    progress('3. the parent: one child run per batch, a new generation every 3 runs');
    const before = meter.counts();
    await run(
      'cost-1s',
      small,
      { type: 'interval', intervalMs: 1, maxIdleIntervalMs: 1 },
      { childBudgetMs: 1, childRunsPerGeneration: 3 },
      9,
    );
    const parent = diffCounts(before, meter.counts());
    const childRuns = parent.expressExecutions;
    const generations = parent.standardByState[TASK_STATES.startGeneration] ?? 1;
    const perChild = Object.entries(parent.standardByState)
      .filter(([s]) => CHILD_RUN_STATES.has(s))
      .reduce((a, [, n]) => a + n, 0);
    const shape: DriverShape = {
      standardPerChildRun: perChild / childRuns,
      standardPerGeneration: (parent.standardTransitions - perChild) / generations,
      childBudgetMs: DEFAULT_DRIVER_SETTINGS.childBudgetMs,
      childRunsPerGeneration: DEFAULT_DRIVER_SETTINGS.childRunsPerGeneration,
    };

    progress('4. parked: the job idles past parkAfterIdleMs, parks, and the reconcile ticks check its source');
    const parked = await measureParked(options.batches);

    const rows: CostRow[] = [];
    const maxIdleSeconds = DEFAULT_DRIVER_SETTINGS.maxIdleIntervalMs / 1000;
    for (const seconds of [1, 10, 60]) {
      rows.push({
        triggerSeconds: seconds,
        load: 'idle',
        cost: monthlyCost(idle, Math.max(seconds, maxIdleSeconds), shape),
        perMillionRecords: null,
      });
      const profile = interpolate(data1s, data10s, RATE * seconds);
      const cost = monthlyCost(profile, seconds, shape);
      rows.push({ triggerSeconds: seconds, load: '4,000 records/s', cost, perMillionRecords: cost.total / ((RATE * 730 * 3600) / 1e6) });
    }
    return {
      machine: machineInfo(),
      lambdaTiming,
      sinkWrites,
      profiles: { idle, data1s, data10s },
      shape,
      maxIdleIntervalMs: DEFAULT_DRIVER_SETTINGS.maxIdleIntervalMs,
      rows,
      overhead: { stateMachineMs, runDriverMs: direct.idleTrigger.ms, perBatch: scaleCounts(perBatch, 1 / measured.length) },
      naiveFormula1s: 730 * 3600 * (10 + 2 * SHARDS) * 0.000025,
      parked,
    };
  } finally {
    await env.close(false);
  }
}

/** a + b (a minus the negated b). */
function addCounts(a: MeterCounts, b: MeterCounts): MeterCounts {
  return diffCounts(scaleCounts(b, -1), a);
}

/** Every count multiplied by k. */
function scaleCounts(c: MeterCounts, k: number): MeterCounts {
  const scale = (r: Readonly<Record<string, number>>) => Object.fromEntries(Object.entries(r).map(([key, v]) => [key, v * k]));
  return {
    standardTransitions: c.standardTransitions * k,
    standardByState: scale(c.standardByState),
    expressTransitions: c.expressTransitions * k,
    expressExecutions: c.expressExecutions * k,
    expressBilledGbSeconds: c.expressBilledGbSeconds * k,
    lambda: Object.fromEntries(
      Object.entries(c.lambda).map(([fn, l]) => [fn, { invocations: l.invocations * k, ms: l.ms * k, gbSeconds: l.gbSeconds * k }]),
    ) as MeterCounts['lambda'],
    requests: scale(c.requests),
    rru: c.rru * k,
    wru: c.wru * k,
    components: combineUsage({}, c.components, (_, y) => y * k),
  };
}
