/**
 * One run of the latency benchmark at a fixed rate: a fresh stream and sink table, the
 * latency job started as a job instance through the driver state machines of the local
 * runtime (LocalDriver: the Standard parent, the Express child, the Lambda handlers
 * in-process) on an interval trigger, then the producer at the rate for the given
 * seconds, the sink watcher polling the sink table, and the lag sampled every second.
 * With `drain`, the run waits after the producer stops until every record is committed
 * and visible, and checks the sink holds each key's records exactly once.
 */
import { createSinkTable, createStream } from '../../engine/adapters/aws/index.js';
import { DynamoDbJobRegistry } from '../../engine/adapters/aws/dynamodb-job-registry.js';
import type { AwsPorts } from '../../engine/adapters/deployed-ports.js';
import { TransientError } from '../../engine/errors.js';
import type { FinishTaskInput, FinishTaskResult } from '../../engine/driver/tasks.js';
import { TASK_STATES } from '../../infra/state-machines/definitions.js';
import { LocalDriver } from '../../local/driver-runtime.js';
import type { Progress } from '../environment.js';
import { LATENCY_JOB_NAME, latencyCatalog, latencyJob, type LatencyJobSettings } from './latency-job.js';
import { judgeLag, lagOf, percentiles, type LagSample, type LagVerdict, type Percentiles } from './latency-math.js';
import { FixedRateProducer } from './producer.js';
import { SinkWatcher } from './sink-watcher.js';

export interface RateRunOptions {
  /** The engine's ports (the local runtime's, or a test's on the stand-ins). */
  readonly ports: AwsPorts;
  /** The table the job registry lives in (the local runtime keeps it in the WAL table). */
  readonly registryTable: string;
  /** Names the stream, the sink table and the job instance of this run. */
  readonly name: string;
  readonly rate: number;
  readonly seconds: number;
  readonly triggerMs: number;
  readonly shards: number;
  readonly keys: number;
  /** null: the default for the trigger. */
  readonly maxRecordsPerPartition: number | null;
  /** How often the sink table is scanned. */
  readonly pollMs: number;
  /** Wait for every record to be committed and visible, and check the sink. */
  readonly drain: boolean;
  /** A warm-up: too short to judge, so its progress line gives the lag without a verdict. */
  readonly warmUp?: boolean;
  /** Longest wait for the drain (default: 60 s plus the run's seconds). */
  readonly drainTimeoutMs?: number;
  readonly progress: Progress;
}

export interface RateRunResult {
  readonly name: string;
  readonly rate: number;
  readonly seconds: number;
  readonly triggerMs: number;
  readonly produced: number;
  /** How long the producer took to send them: longer than `seconds` when the stream could not take the rate. */
  readonly producerS: number;
  readonly committed: number;
  readonly visible: number;
  /** Event arrival (production time) to sink row visible, over every record seen. */
  readonly latencyMs: Percentiles;
  /** Lag sampled every second from the producer's start, through the drain when there is one. */
  readonly lag: readonly LagSample[];
  /** Judged on the samples taken while the producer ran. */
  readonly verdict: LagVerdict;
  /** Duration (plan to commit) of the batches that read records. */
  readonly batchMs: Percentiles;
  /** Each driver function's calls while the producer ran (in-process, at once as the driver runs them): where a batch's time goes. */
  readonly lambdaMs: Readonly<Record<string, Percentiles>>;
  readonly batches: number;
  /** The scans' own time: with the poll interval, the resolution of a visible time. */
  readonly scanMs: Percentiles;
  /** Seconds from the producer's end until everything was committed and visible (null: no drain, or it timed out). */
  readonly drainS: number | null;
  /** Records the sink shows per key equal the records produced per key (only checked with drain). */
  readonly exact: boolean | null;
  readonly problems: readonly string[];
}

export async function runAtRate(o: RateRunOptions): Promise<RateRunResult> {
  const { ports, progress } = o;
  const settings: LatencyJobSettings = {
    streamName: o.name,
    sinkTable: o.name,
    intervalMs: o.triggerMs,
    maxRecordsPerPartition: o.maxRecordsPerPartition,
  };
  await createStream(ports.clients.kinesis, o.name, o.shards);
  await createSinkTable(ports.clients.dynamodb, o.name);

  let committed = 0;
  let batches = 0;
  const batchMs: number[] = [];
  const lambdaCalls: Record<string, number[]> = {};
  let measuring = false;
  let firstCommit: () => void = () => {};
  const started = new Promise<void>((resolve) => (firstCommit = resolve));
  const registry = new DynamoDbJobRegistry({ client: ports.clients.dynamodb, tableName: o.registryTable });
  const driver = new LocalDriver({
    ports,
    registry,
    catalog: latencyCatalog,
    observer: {
      onLambda: (fn, ms) => {
        if (measuring) (lambdaCalls[fn] ??= []).push(ms);
      },
      onTaskResult: (state, input, output) => {
        if (state !== TASK_STATES.finish || (input as FinishTaskInput).driver.jobId !== o.name) return;
        const { batch } = output as FinishTaskResult;
        if (!batch.committedNow) return;
        batches += 1;
        committed += batch.metrics.records;
        if (batch.metrics.records > 0) batchMs.push(batch.metrics.durationMs);
        firstCommit();
      },
    },
  });
  const producer = new FixedRateProducer({ client: ports.clients.kinesis, streamName: o.name, rate: o.rate, keys: o.keys });
  const watcher = new SinkWatcher(ports.sinks(latencyJob(settings).sink), producer.producedAt, o.pollMs);
  const lag: LagSample[] = [];
  let sampler: NodeJS.Timeout | undefined;
  try {
    await driver.launch({
      jobId: o.name,
      jobName: LATENCY_JOB_NAME,
      // A null cap is left out: the job then gets its trigger's default.
      parameters: {
        streamName: settings.streamName,
        sinkTable: settings.sinkTable,
        intervalMs: settings.intervalMs,
        ...(settings.maxRecordsPerPartition === null ? {} : { maxRecordsPerPartition: settings.maxRecordsPerPartition }),
      },
      // No idle backoff: every period is the trigger interval.
      trigger: { type: 'interval', intervalMs: o.triggerMs, maxIdleIntervalMs: o.triggerMs },
    });
    await started; // the first (empty) batch: the driver is up before the clock starts
    progress(`  ${o.name}: ${o.rate.toLocaleString('en-US')} records/s for ${o.seconds} s, trigger ${o.triggerMs} ms`);
    watcher.start();
    measuring = true;
    const t0 = Date.now();
    sampler = setInterval(() => {
      const now = Date.now();
      // Due, not sent: the producer sends at most what is due, and what it has not sent yet is lag too.
      lag.push({ atS: (now - t0) / 1000, produced: producer.dueAt(now), committed });
    }, 1000);
    await producer.run(o.seconds);
    measuring = false;
    const producedS = (Date.now() - t0) / 1000;
    const during = lag.filter((s) => s.atS <= producedS);
    let drainS: number | null = null;
    if (o.drain) {
      const deadline = Date.now() + (o.drainTimeoutMs ?? 60_000 + o.seconds * 1000);
      const stoppedAt = Date.now();
      while ((committed < producer.produced || watcher.visible < producer.produced) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      if (committed >= producer.produced && watcher.visible >= producer.produced) drainS = (Date.now() - stoppedAt) / 1000;
      // One more sample once drained, so the series shows where the lag ended.
      lag.push({ atS: (Date.now() - t0) / 1000, produced: producer.produced, committed });
    }
    clearInterval(sampler);
    await watcher.stop();
    await driver.requestStop(o.name);
    const ended = await driver.waitForJob(o.name, 120_000);
    if (ended.state !== 'STOPPED') throw new TransientError(`job ${o.name} ended ${ended.state}: ${ended.reason ?? ''}`);
    const problems = [...watcher.problems];
    let exact: boolean | null = null;
    if (o.drain) {
      const counts = watcher.counts();
      for (const [key, n] of producer.producedPerKey()) {
        if (counts.get(key) !== n) problems.push(`${key}: produced ${n}, the sink shows ${counts.get(key) ?? 0}`);
      }
      for (const key of counts.keys()) if (!producer.producedAt.has(key)) problems.push(`${key}: in the sink but never produced`);
      if (drainS === null) problems.push(`not drained: ${committed} of ${producer.produced} committed, ${watcher.visible} visible`);
      exact = problems.length === 0;
    }
    const result: RateRunResult = {
      name: o.name,
      rate: o.rate,
      seconds: o.seconds,
      triggerMs: o.triggerMs,
      produced: producer.produced,
      producerS: producedS,
      committed,
      visible: watcher.visible,
      latencyMs: percentiles(watcher.latenciesMs),
      lag,
      verdict: judgeLag(during, o.rate, settleSeconds(o.triggerMs)),
      batchMs: percentiles(batchMs),
      lambdaMs: Object.fromEntries(Object.entries(lambdaCalls).map(([fn, calls]) => [fn, percentiles(calls)])),
      batches,
      scanMs: percentiles(watcher.scanMs),
      drainS,
      exact,
      problems,
    };
    const last = during.at(-1);
    const lagAtEnd = `    lag at the end ${last === undefined ? '-' : lagOf(last).toLocaleString('en-US')}`;
    progress(
      o.warmUp === true
        ? `${lagAtEnd}; a warm-up, not judged`
        : `${lagAtEnd}, growth ${result.verdict.growthPerS.toFixed(1)}/s ` +
            `(allowed ${result.verdict.allowedPerS.toFixed(1)}): ${result.verdict.sustainable ? 'sustainable' : 'NOT sustainable'}`,
    );
    return result;
  } finally {
    if (sampler !== undefined) clearInterval(sampler);
    await watcher.halt();
    await driver.close();
  }
}

/** Samples before this are left out of the lag verdict: the first trigger period and batch, when the lag rises to its sawtooth. */
export function settleSeconds(triggerMs: number): number {
  return Math.max(2, (2 * triggerMs) / 1000);
}
