import { CLICKSTREAM_JOB, clickstreamJob } from '../jobs/clickstream/job.js';
import { measureEmptyBatches, type EmptyBatchResult } from './empty-batch.js';
import { runEndToEnd, type EndToEndResult } from './end-to-end.js';
import { startEnvironment, writeClickstream, type Progress } from './environment.js';
import { machineInfo, type MachineInfo } from './machine.js';
import { rawRead, type RawReadResult } from './raw-read.js';
import { analyseStateWrites, type StateBytesResult } from './state-bytes.js';

/** The most records one GetRecords call returns. */
const GET_RECORDS_MAX = 10_000;

/** Full batches of the untimed warm-up job before the measurements. */
const WARM_UP_BATCHES = 10;

export const STAND_IN_NOTE =
  'measured on local stand-ins (DynamoDB Local, kinesalite, s3rver on loopback), not on AWS: ' +
  'use them to compare engine changes on one machine, not to predict AWS throughput or latency';

export interface BenchOptions {
  readonly events: number;
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
  readonly rawRead: { readonly jobCap: RawReadResult; readonly maxCap: RawReadResult };
  /** Engine records/s over raw read records/s. */
  readonly ratios: { readonly engineToRawJobCap: number; readonly engineToRawMaxCap: number };
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
  readonly totalSeconds: number;
}

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
    const input = await writeClickstream(runtime, CLICKSTREAM_JOB.streamName, options.events, progress);

    const job = clickstreamJob();
    // Warm-up: the same job on a stream of its own, so the JVM behind DynamoDB Local, the
    // JIT and the SDK clients' connections are warm before anything is timed. One batch was
    // not enough: the measured run's first batches took twice its last ones (DynamoDB Local's
    // JIT), so the figure mixed start-up with the steady state the raw read (run later, warm)
    // is measured in. WARM_UP_BATCHES full batches bring the first measured batch to its last.
    const warmUpName = 'bench-warm-up';
    const warmUpEvents = job.maxRecordsPerPartition * input.shards * WARM_UP_BATCHES;
    progress(`warm-up: ${warmUpEvents.toLocaleString('en-US')} events through job ${warmUpName} on stream ${warmUpName}`);
    const warmInput = await writeClickstream(runtime, warmUpName, warmUpEvents, () => {});
    const warmUp = await runEndToEnd({
      ports: first.ports,
      job: clickstreamJob({ name: warmUpName, streamName: warmUpName, sinkTable: warmUpName }),
      events: warmInput.events,
      windowMs: CLICKSTREAM_JOB.windowMs,
      requests: env.requests,
      progress: () => {},
    });

    // The measured stream is read once untimed too: the raw read below runs after the job,
    // on a stream kinesalite has read before, and the job must not pay its first read alone.
    const rawArgs = { client: first.ports.clients.kinesis, streamName: CLICKSTREAM_JOB.streamName, requests: env.requests, progress };
    await rawRead({ ...rawArgs, cap: GET_RECORDS_MAX, progress: () => {} });

    progress(`1. end to end: ${job.name}, snapshotEvery ${job.checkpoint.snapshotEvery}`);
    const endToEnd = await runEndToEnd({
      ports: first.ports,
      job,
      events: input.events,
      windowMs: CLICKSTREAM_JOB.windowMs,
      requests: env.requests,
      progress,
    });
    const stateDefault = analyseStateWrites(first.blobs, job.name, job.checkpoint.snapshotEvery);

    progress('2. raw read through KinesisSourceReader');
    const jobCap = await rawRead({ ...rawArgs, cap: job.maxRecordsPerPartition });
    const maxCap = await rawRead({ ...rawArgs, cap: GET_RECORDS_MAX });

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
      clickstreamJob({ name, sinkTable: `${CLICKSTREAM_JOB.sinkTable}-${name}`, groupBy: 'user', ...(keyedBy ? { keyedBy } : {}) });
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
      rawRead: { jobCap, maxCap },
      ratios: {
        engineToRawJobCap: endToEnd.recordsPerSecond / jobCap.recordsPerSecond,
        engineToRawMaxCap: endToEnd.recordsPerSecond / maxCap.recordsPerSecond,
      },
      emptyBatch,
      stateBytes: { default: stateDefault, snapshotEveryBatch: stateEveryBatch },
      snapshotEveryBatchRun,
      twoStage: { exchange, fastPath, exchangeShare: 1 - fastPath.seconds / exchange.seconds },
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
