/**
 * `npm run bench:nexmark`: each NEXMark query as a job instance on the local runtime,
 * driven through the driver state machines (the Standard driver, its Express child, the
 * Lambda handlers in-process) with the cost meter on, over one generated input written to
 * a 4-shard kinesalite stream. For each query: events/s from launch to the last commit,
 * AWS requests per 1,000 events, state bytes written per batch, whether the sink equals
 * the reference computed from the events (reference.ts; q12 by its totals per bidder,
 * reference-more.ts), and the cost meter's monthly bill for an always-on job at the
 * stated rate: each batch holds `rate x trigger` events, priced like the measured batches
 * (the first, which carries the generation's start, and the last, partial or empty, left
 * out).
 */
import { loadavg } from 'node:os';
import { createSinkTable } from '../../engine/adapters/aws/index.js';
import { DEFAULT_DRIVER_SETTINGS } from '../../engine/driver/settings.js';
import type { JobDefinition } from '../../engine/job/types.js';
import { TASK_STATES } from '../../infra/state-machines/definitions.js';
import { NEXMARK_QUERIES, type NexmarkQuery } from '../../jobs/nexmark/index.js';
import { LocalDriver } from '../../local/driver-runtime.js';
import { CHILD_RUN_STATES } from '../cost-bench.js';
import { batchProfile, diffCounts, monthlyCost, type MeterCounts, type MonthlyCost } from '../cost-meter.js';
import { startEnvironment, type Progress } from '../environment.js';
import { machineInfo, type MachineInfo } from '../machine.js';
import { meteredJobPorts } from '../metered-job-ports.js';
import { meteredTriggers } from '../metered-triggers.js';
import { STAND_IN_NOTE } from '../run-bench.js';
import { now, perSecond } from '../stats.js';
import { compareRows, type Comparison } from './compare.js';
import { generateNexmark } from './generator.js';
import { REFERENCE } from './reference.js';
import { SINK_VIEW } from './reference-more.js';
import { writeSideInputTable } from './side-input.js';
import { writeNexmarkStream } from './stream.js';

export const NEXMARK_BENCH_DEFAULTS = { events: 6_000, seed: 0, rate: 200, triggerSeconds: 5, shards: 4 } as const;

export interface NexmarkBenchOptions {
  readonly events: number;
  readonly seed: number;
  /** Events per second: the generator's event-time rate and the rate the bill is priced at. */
  readonly rate: number;
  /** Seconds between batches the bill is priced at; a batch reads rate x trigger events. */
  readonly triggerSeconds: number;
  readonly queries: readonly NexmarkQuery[];
  readonly progress: Progress;
}

export interface QueryFigures {
  readonly query: NexmarkQuery;
  readonly job: string;
  readonly records: number;
  readonly batches: number;
  readonly seconds: number;
  readonly eventsPerSecond: number;
  readonly awsRequests: number;
  readonly requestsPer1000Events: number;
  readonly stateBytesPerBatch: number;
  readonly lateRecords: number;
  readonly monthly: MonthlyCost;
  readonly comparison: Comparison;
}

export interface NexmarkReport {
  readonly machine: MachineInfo;
  readonly loadAverageAtEnd: number;
  readonly note: string;
  readonly settings: Omit<NexmarkBenchOptions, 'progress' | 'queries'> & { readonly shards: number; readonly recordsPerShard: number };
  readonly input: { readonly events: number; readonly bytes: number; readonly writeSeconds: number };
  readonly queries: readonly QueryFigures[];
}

interface BatchSample {
  readonly counts: MeterCounts;
  readonly records: number;
  readonly stateBytes: number;
  readonly late: number;
}

export async function runNexmarkBench(options: NexmarkBenchOptions): Promise<NexmarkReport> {
  const { progress } = options;
  const machine = machineInfo();
  const shards = NEXMARK_BENCH_DEFAULTS.shards;
  const recordsPerShard = Math.ceil((options.rate * options.triggerSeconds) / shards);
  const env = await startEnvironment(progress);
  try {
    // The bench's own polls for a job's end go through uncounted clients (watcher): they are not the job's cost.
    const { ports, registry, watcher, meter } = meteredJobPorts(env);

    progress(`generating ${options.events.toLocaleString('en-US')} NEXMark events (seed ${options.seed}, ${options.rate} events/s)`);
    const events = generateNexmark({ events: options.events, seed: options.seed, eventsPerSecond: options.rate });
    const written = now();
    const stream = await writeNexmarkStream(ports.clients.kinesis, 'nexmark', events, shards);
    const writeSeconds = (now() - written) / 1000;
    const jobs = new Map<NexmarkQuery, JobDefinition>(
      options.queries.map((q) => [q, NEXMARK_QUERIES[q]({ eventsPerSecond: options.rate, maxRecordsPerPartition: recordsPerShard })]),
    );
    const catalog = Object.fromEntries([...jobs.values()].map((job) => [job.name, job]));

    const figures: QueryFigures[] = [];
    for (const [query, job] of jobs) {
      // A DynamoDB sink needs its table; a file sink writes to the checkpoint bucket. The one lookup table is q13's side input.
      if (job.sink.type === 'dynamodb') await createSinkTable(ports.clients.dynamodb, job.sink.tableName);
      else if (job.sink.type !== 's3files')
        throw new Error(`${job.name} writes a ${job.sink.type} sink, which the benchmark cannot read back`);
      for (const stage of job.pipeline.lookups?.stages ?? []) {
        progress(`${query}: writing the side input table ${stage.table.tableName}`);
        await writeSideInputTable(ports.clients.dynamodb, stage.table.tableName);
      }
      progress(`${query}: ${job.name}, up to ${recordsPerShard} records per shard per batch, through the state machines`);
      const samples: BatchSample[] = [];
      const start = meter.counts();
      const driver: LocalDriver = new LocalDriver({
        ports,
        registry,
        catalog,
        observer: meteredTriggers(
          meter,
          ({ counts, batch }) => {
            const { metrics } = batch!;
            samples.push({ counts, records: metrics.records, stateBytes: metrics.stateBytesWritten, late: metrics.lateRecords });
          },
          // Executors at once, as the driver runs them: events/s is this bench's headline. The
          // Lambda lines of its costs are then an upper bound (npm run cost times calls alone).
          { skippedTriggers: false, lambdaTiming: 'at-once' },
        ),
      });
      const started = now();
      try {
        await driver.launch({ jobId: job.name, jobName: job.name, parameters: {}, trigger: null });
        const instance = await driver.waitForJob(job.name, 1_800_000, watcher);
        if (instance.state === 'FAILED') throw new Error(`${job.name} failed: ${instance.reason ?? 'no reason recorded'}`);
      } finally {
        await driver.close();
      }
      const seconds = (now() - started) / 1000;
      const run = diffCounts(start, meter.counts());
      const records = samples.reduce((n, s) => n + s.records, 0);
      const awsRequests = Object.values(run.requests).reduce((a, b) => a + b, 0);
      const full = samples.slice(1).filter((s) => s.records >= recordsPerShard * shards * 0.9);
      const priced = full.length > 0 ? full : samples.filter((s) => s.records > 0);
      const rows = (await ports.sinks(job.sink).scan()).map((r) => r.value);
      const comparison = compareRows(REFERENCE[query](events), (SINK_VIEW[query] ?? ((r) => r))(rows));
      const result: QueryFigures = {
        query,
        job: job.name,
        records,
        batches: samples.length,
        seconds,
        eventsPerSecond: perSecond(records, seconds * 1000),
        awsRequests,
        requestsPer1000Events: (awsRequests * 1000) / records,
        stateBytesPerBatch: samples.reduce((n, s) => n + s.stateBytes, 0) / Math.max(1, samples.filter((s) => s.records > 0).length),
        lateRecords: samples.reduce((n, s) => n + s.late, 0),
        monthly: monthlyCost(batchProfile(priced), options.triggerSeconds, driverShape(run)),
        comparison,
      };
      progress(
        `  ${result.records.toLocaleString('en-US')} events in ${result.batches} batches, ${seconds.toFixed(1)} s; sink ${comparison.exact ? 'exact' : 'NOT exact'} (${comparison.actual} rows)`,
      );
      figures.push(result);
    }
    return {
      machine,
      loadAverageAtEnd: Math.round(loadavg()[0]! * 100) / 100,
      note: STAND_IN_NOTE,
      settings: {
        events: options.events,
        seed: options.seed,
        rate: options.rate,
        triggerSeconds: options.triggerSeconds,
        shards,
        recordsPerShard,
      },
      input: { events: events.length, bytes: stream.bytes, writeSeconds },
      queries: figures,
    };
  } finally {
    progress('stopping the local runtime');
    await env.close(false);
  }
}

/** The parent's transitions per child run and per generation, as this run made them. */
function driverShape(run: MeterCounts) {
  const childRuns = Math.max(1, run.expressExecutions);
  const generations = run.standardByState[TASK_STATES.startGeneration] ?? 1;
  const perChild = Object.entries(run.standardByState)
    .filter(([state]) => CHILD_RUN_STATES.has(state))
    .reduce((n, [, k]) => n + k, 0);
  return {
    standardPerChildRun: perChild / childRuns,
    standardPerGeneration: (run.standardTransitions - perChild) / generations,
    childBudgetMs: DEFAULT_DRIVER_SETTINGS.childBudgetMs,
    childRunsPerGeneration: DEFAULT_DRIVER_SETTINGS.childRunsPerGeneration,
  };
}
