import { assertUnambiguous, DEFAULT_CLICKSTREAM } from '../jobs/clickstream/generate.js';
import { CLICKSTREAM_JOB, clickstreamJob } from '../jobs/clickstream/job.js';
import { BENCH_DEFAULTS } from './defaults.js';
import { measureEmptyBatches, type EmptyBatchResult } from './empty-batch.js';
import { measureEngineCpu, type EngineCpuResult } from './engine-cpu.js';
import { runEndToEnd, type EndToEndResult } from './end-to-end.js';
import { startEnvironment, writeClickstream, type Progress } from './environment.js';
import { machineInfo, type MachineInfo } from './machine.js';
import { engineToRaw, rawRead, type RawReadResult } from './raw-read.js';
import { analyseStateWrites, type StateBytesResult } from './state-bytes.js';

/** The warm-up job's records per shard per batch at most (one GetRecords call's most). */
const WARM_UP_CAP = 10_000;

/**
 * Events of the untimed warm-up job before the measurements: at least WARM_UP_EVENTS, and
 * at least WARM_UP_BATCHES full batches of at most WARM_UP_CAP records per shard (what
 * warms DynamoDB Local's JIT and the clients is the number of batches, not their size).
 */
const WARM_UP_EVENTS = 40_000;
const WARM_UP_BATCHES = 3;

/**
 * Event time between two events of the bench's streams: the demo's 5 ms, or less when the
 * job's batches are so large that a batch would span more event time than the generator's
 * margins allow (assertUnambiguous): a batch of `cap` records per shard then spans at most
 * 50 s of event time.
 */
export function benchSpacingMs(cap: number): number {
  return Math.min(DEFAULT_CLICKSTREAM.spacingMs, 50_000 / (cap * DEFAULT_CLICKSTREAM.partitions));
}

export const STAND_IN_NOTE =
  'measured on local stand-ins (DynamoDB Local, kinesalite, s3rver on loopback), not on AWS: ' +
  'use them to compare engine changes on one machine, not to predict AWS throughput or latency';

export interface BenchOptions {
  readonly events: number;
  /**
   * The measured job's maxRecordsPerPartition (default: the engine's for the demo job's
   * available-now trigger, BENCH_DEFAULTS). The demo job's own 1,000 is measured too, as
   * the second run of section 1.
   */
  readonly recordsPerPartition?: number;
  readonly emptyBatches: number;
  /** Keep the temporary data directory. */
  readonly keep: boolean;
  readonly progress: Progress;
}

export interface BenchReport {
  readonly machine: MachineInfo;
  readonly note: string;
  readonly dataDir: string | null;
  readonly input: { events: number; shards: number; bytes: number; seconds: number; recordsPerSecond: number };
  /** The untimed warm-up job run before the measurements. */
  readonly warmUp: { events: number; batches: number; seconds: number };
  readonly endToEnd: EndToEndResult;
  /** The same job at the demo's own cap (CLICKSTREAM_JOB.maxRecordsPerPartition), on the same stream. */
  readonly demoCapRun: EndToEndResult;
  /**
   * The stream read raw at the job's cap before the job runs (it also spares the job the
   * stream's first read) and again after it, and at the demo's cap.
   */
  readonly rawRead: { readonly jobCapBefore: RawReadResult; readonly jobCap: RawReadResult; readonly demoCap: RawReadResult };
  /**
   * Engine records/s over raw read records/s, each run against the raw reads at its own cap
   * (the job's: the faster of its two, engineToRaw).
   */
  readonly ratios: { readonly engineToRawJobCap: number; readonly engineToRawDemoCap: number };
  readonly emptyBatch: EmptyBatchResult;
  readonly stateBytes: { readonly default: StateBytesResult; readonly snapshotEveryBatch: StateBytesResult };
  /** The run with a snapshot every batch, end to end (for its records/s). */
  readonly snapshotEveryBatchRun: EndToEndResult;
  /**
   * One job counting views per user (the stream's partition key) run twice on the same
   * stream: through key groups and the exchange, and on the fast path (keyedBy:
   * 'partitionKey', one stage). `exchangeShare`: the part of the exchange run's time the
   * fast path did not need, 1 - fastPath.seconds / exchange.seconds.
   */
  readonly twoStage: { readonly exchange: EndToEndResult; readonly fastPath: EndToEndResult; readonly exchangeShare: number };
  /** The measured job's stage 1 on one shard's records of a batch, in this process, without I/O. */
  readonly engineCpu: EngineCpuResult;
  readonly totalSeconds: number;
}

const int = (n: number): string => n.toLocaleString('en-US');

/** Runs every measurement once, on one local runtime in a fresh temporary directory. */
export async function runBench(options: BenchOptions): Promise<BenchReport> {
  const { progress } = options;
  const started = performance.now();
  const machine = machineInfo();
  const env = await startEnvironment(progress);
  // Ctrl-C: stop the stand-ins (DynamoDB Local is a Java child) and remove the directory before exiting.
  let interrupted: Promise<void> | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    progress(`${signal}: stopping the local runtime`);
    interrupted ??= env.close(options.keep).finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const runtime = env.runtime;
    const first = env.countingPorts();
    const cap = options.recordsPerPartition ?? BENCH_DEFAULTS.recordsPerPartition;
    const stream = { spacingMs: benchSpacingMs(Math.max(cap, CLICKSTREAM_JOB.maxRecordsPerPartition)) };
    const job = clickstreamJob({ maxRecordsPerPartition: cap });
    // Both runs of section 1 read this stream: it must suit the larger of the two caps.
    assertUnambiguous(
      { ...DEFAULT_CLICKSTREAM, ...stream },
      { ...CLICKSTREAM_JOB, maxRecordsPerPartition: Math.max(cap, CLICKSTREAM_JOB.maxRecordsPerPartition) },
    );
    const input = await writeClickstream(runtime, CLICKSTREAM_JOB.streamName, options.events, progress, stream);

    // Warm-up: the same job on a stream of its own, so the JVM behind DynamoDB Local, the
    // JIT and the SDK clients' connections are warm before anything is timed. One batch was
    // not enough: the measured run's first batches took twice its last ones (DynamoDB Local's
    // JIT), so the figure mixed start-up with the steady state the raw read (run later, warm)
    // is measured in. Ten batches of 4,000 brought the first measured batch to its last.
    const warmUpName = 'bench-warm-up';
    const warmUpCap = Math.min(cap, WARM_UP_CAP);
    const warmUpEvents = Math.max(WARM_UP_EVENTS, warmUpCap * input.shards * WARM_UP_BATCHES);
    progress(`warm-up: ${warmUpEvents.toLocaleString('en-US')} events through job ${warmUpName} on stream ${warmUpName}`);
    const warmInput = await writeClickstream(runtime, warmUpName, warmUpEvents, () => {}, stream);
    const warmUp = await runEndToEnd({
      ports: first.ports,
      job: clickstreamJob({ name: warmUpName, streamName: warmUpName, sinkTable: warmUpName, maxRecordsPerPartition: warmUpCap }),
      events: warmInput.events,
      windowMs: CLICKSTREAM_JOB.windowMs,
      requests: env.requests,
      progress: () => {},
    });

    // The measured stream is read raw once before the job too: the raw reads below run after
    // the job, on a stream kinesalite has read before, and the job must not pay its first
    // read alone. Timed, it is a second raw read at the job's cap: the ratio takes the faster.
    const rawArgs = { client: first.ports.clients.kinesis, streamName: CLICKSTREAM_JOB.streamName, requests: env.requests, progress };
    const jobCapBefore = await rawRead({ ...rawArgs, cap, progress: () => {} });

    progress(`1. end to end: ${job.name}, ${int(cap)} records per shard per batch, snapshotEvery ${job.checkpoint.snapshotEvery}`);
    const endToEnd = await runEndToEnd({
      ports: first.ports,
      job,
      events: input.events,
      windowMs: CLICKSTREAM_JOB.windowMs,
      requests: env.requests,
      progress,
    });
    const stateDefault = analyseStateWrites(first.blobs, job.name, job.checkpoint.snapshotEvery);

    const demoCapJob = clickstreamJob({ name: `${job.name}-demo-cap`, sinkTable: `${CLICKSTREAM_JOB.sinkTable}-demo-cap` });
    progress(`   the same job at the demo's ${int(demoCapJob.maxRecordsPerPartition)} records per shard per batch: ${demoCapJob.name}`);
    const demoCapRun = await runEndToEnd({
      ports: first.ports,
      job: demoCapJob,
      events: input.events,
      windowMs: CLICKSTREAM_JOB.windowMs,
      requests: env.requests,
      progress,
    });

    progress('2. raw read through KinesisSourceReader');
    const jobCap = await rawRead({ ...rawArgs, cap: job.maxRecordsPerPartition });
    const demoCap = await rawRead({ ...rawArgs, cap: demoCapJob.maxRecordsPerPartition });

    progress(`3. empty batches: ${options.emptyBatches} through runDriver, ${options.emptyBatches} step by step`);
    const emptyBatch = await measureEmptyBatches({
      ports: first.ports,
      job,
      batches: options.emptyBatches,
      requests: env.requests,
      progress,
    });

    const snapshotJob = clickstreamJob({
      name: `${job.name}-snapshot-every-batch`,
      sinkTable: `${CLICKSTREAM_JOB.sinkTable}-snapshot-every-batch`,
      checkpoint: { snapshotEvery: 1, retainBatches: job.checkpoint.retainBatches },
      maxRecordsPerPartition: cap,
    });
    progress(`4. state bytes: ${snapshotJob.name}, snapshotEvery ${snapshotJob.checkpoint.snapshotEvery}`);
    const second = env.countingPorts();
    const snapshotEveryBatchRun = await runEndToEnd({
      ports: second.ports,
      job: snapshotJob,
      events: input.events,
      windowMs: CLICKSTREAM_JOB.windowMs,
      requests: env.requests,
      progress,
    });
    const stateEveryBatch = analyseStateWrites(second.blobs, snapshotJob.name, snapshotJob.checkpoint.snapshotEvery);

    const perUser = (name: string, keyedBy?: 'partitionKey') =>
      clickstreamJob({
        name,
        sinkTable: `${CLICKSTREAM_JOB.sinkTable}-${name}`,
        groupBy: 'user',
        maxRecordsPerPartition: cap,
        ...(keyedBy ? { keyedBy } : {}),
      });
    const exchangeJob = perUser('user-views-exchange');
    const fastPathJob = perUser('user-views-fast-path', 'partitionKey');
    const twoStageRun = (j: typeof exchangeJob) =>
      runEndToEnd({
        ports: first.ports,
        job: j,
        events: input.events,
        windowMs: CLICKSTREAM_JOB.windowMs,
        requests: env.requests,
        progress,
        groupBy: 'user',
      });
    progress(
      `5. the exchange and the fast path: ${exchangeJob.name} (${exchangeJob.keyGroups} key groups), then ${fastPathJob.name} (one stage)`,
    );
    const exchange = await twoStageRun(exchangeJob);
    const fastPath = await twoStageRun(fastPathJob);

    progress(`6. the engine's CPU: ${job.name}'s stage 1 on one shard's records of a batch, no I/O`);
    const engineCpu = measureEngineCpu({ job, events: input.events });

    return {
      machine,
      note: STAND_IN_NOTE,
      dataDir: options.keep ? env.dataDir : null,
      input: {
        events: input.events.length,
        shards: input.shards,
        bytes: input.bytes,
        seconds: input.ms / 1000,
        recordsPerSecond: input.recordsPerSecond,
      },
      warmUp: { events: warmUp.records, batches: warmUp.batches, seconds: warmUp.seconds },
      endToEnd,
      demoCapRun,
      rawRead: { jobCapBefore, jobCap, demoCap },
      ratios: {
        engineToRawJobCap: engineToRaw(endToEnd, [jobCapBefore, jobCap]),
        engineToRawDemoCap: engineToRaw(demoCapRun, [demoCap]),
      },
      emptyBatch,
      stateBytes: { default: stateDefault, snapshotEveryBatch: stateEveryBatch },
      snapshotEveryBatchRun,
      twoStage: { exchange, fastPath, exchangeShare: 1 - fastPath.seconds / exchange.seconds },
      engineCpu,
      totalSeconds: (performance.now() - started) / 1000,
    };
  } finally {
    // Interrupted: the measurement in flight fails as the stand-ins stop; the handler exits.
    if (interrupted !== undefined) await new Promise<never>(() => {});
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    progress('stopping the local runtime');
    await env.close(options.keep);
  }
}
