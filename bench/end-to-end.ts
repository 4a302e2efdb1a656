import type { AwsPorts } from '../engine/adapters/deployed-ports.js';
import { createSinkTable } from '../engine/adapters/aws/index.js';
import { runDriver } from '../engine/driver/run-driver.js';
import { InvalidArgumentError } from '../engine/errors.js';
import type { JobDefinition } from '../engine/job/types.js';
import { expectedCounts, type GeneratedEvent } from '../jobs/clickstream/generate.js';
import { BatchPhaseTimer, type BatchPhases } from './batch-phases.js';
import type { Progress } from './environment.js';
import type { RequestCounter, RequestTimes } from './request-counter.js';
import { distribution, now, perSecond, type Distribution } from './stats.js';

export interface EndToEndResult {
  readonly job: string;
  readonly records: number;
  readonly batches: number;
  readonly seconds: number;
  readonly recordsPerSecond: number;
  /** Wall clock of each batch as runDriver's loop sees it (plan, executors, commit, retention). */
  readonly batchMs: Distribution;
  /** The same, for the batches that read records only (the last, empty one left out). */
  readonly dataBatchMs: Distribution;
  /** The data batches' steps (bench/batch-phases.ts). */
  readonly dataBatchPhases: BatchPhases;
  /** Sum of the engine's own per-batch stateBytesWritten metric. */
  readonly engineStateBytes: number;
  /** AWS requests the run sent, per operation. */
  readonly requests: Record<string, number>;
  /** How long they took, and how many requests to the same service each found in flight. */
  readonly requestTimes: Record<string, RequestTimes>;
  /** The sink equals the counts computed from the input alone. */
  readonly exact: boolean;
  readonly problems: string[];
}

/** Runs the job with its available-now trigger until it has caught up, timing every batch. */
export async function runEndToEnd(args: {
  readonly ports: AwsPorts;
  readonly job: JobDefinition;
  readonly events: readonly GeneratedEvent[];
  readonly windowMs: number;
  readonly requests: RequestCounter;
  readonly progress: Progress;
  /** What the job counts per window (default page): the check counts the same from the input. */
  readonly groupBy?: 'page' | 'user';
}): Promise<EndToEndResult> {
  const { ports, job, progress } = args;
  if (job.sink.type !== 'dynamodb') throw new InvalidArgumentError('the benchmark job writes a DynamoDB sink');
  await createSinkTable(ports.clients.dynamodb, job.sink.tableName);
  const before = args.requests.snapshot();
  const batchMs: number[] = [];
  const recordsOf: number[] = [];
  let engineStateBytes = 0;
  const started = now();
  let last = started;
  const phases = new BatchPhaseTimer();
  const outcome = await runDriver(job, ports, {
    ...phases.runners(ports, job),
    onBatch: ({ commit }) => {
      phases.batchEnded(last, commit.metrics.records > 0);
      const t = now();
      batchMs.push(t - last);
      last = t;
      recordsOf.push(commit.metrics.records);
      engineStateBytes += commit.metrics.stateBytesWritten;
      const done = recordsOf.reduce((a, b) => a + b, 0);
      progress(
        `  ${job.name}: batch ${commit.batchId}  ${commit.metrics.records} records  ${Math.round(batchMs.at(-1)!)} ms  (${done.toLocaleString('en-US')} so far)`,
      );
    },
  });
  const ms = last - started;
  const records = recordsOf.reduce((a, b) => a + b, 0);
  const requests = args.requests.since(before);
  const requestTimes = args.requests.timesSince(before);
  const problems = await checkSink(ports, job, expectedCounts(args.events, args.windowMs, args.groupBy ?? 'page').counts);
  return {
    job: job.name,
    records,
    batches: outcome.batches,
    seconds: ms / 1000,
    recordsPerSecond: perSecond(records, ms),
    batchMs: distribution(batchMs),
    dataBatchMs: distribution(batchMs.filter((_, i) => recordsOf[i]! > 0)),
    dataBatchPhases: phases.result(),
    engineStateBytes,
    requests,
    requestTimes,
    exact: problems.length === 0,
    problems,
  };
}

/** Differences between the sink and the counts computed from the generated input alone. */
async function checkSink(ports: AwsPorts, job: JobDefinition, expected: ReadonlyMap<string, number>): Promise<string[]> {
  const rows = await ports.sinks(job.sink).scan();
  const problems: string[] = [];
  const actual = new Map(rows.map((r) => [r.key, r.value.value]));
  for (const [key, count] of expected) {
    if (actual.get(key) !== count) problems.push(`${key}: expected ${count}, sink has ${String(actual.get(key) ?? 'nothing')}`);
  }
  for (const key of actual.keys()) if (!expected.has(key)) problems.push(`${key}: in the sink but not expected`);
  return problems;
}
