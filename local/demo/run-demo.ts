import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DeleteStreamCommand, ListShardsCommand } from '@aws-sdk/client-kinesis';
import { isNotFound } from '../../engine/adapters/aws/aws-errors.js';
import { ConflictError } from '../../engine/errors.js';
import { createSinkTable, createStream, putAllRecords } from '../../engine/adapters/aws/index.js';
import { DynamoDbJobRegistry } from '../../engine/adapters/aws/dynamodb-job-registry.js';
import { claimSinks } from '../../engine/driver/sink-ownership.js';
import type { FinishTaskResult } from '../../engine/driver/tasks.js';
import { sinkTargetsOf } from '../../engine/job/sink-targets.js';
import { LocalDriver } from '../driver-runtime.js';
import type { JobDefinition } from '../../engine/job/types.js';
import { JobState, type JobRegistry } from '../../engine/ports/job-registry.js';
import { TASK_STATES } from '../../infra/state-machines/definitions.js';
import { catalog } from '../../jobs/catalog.js';
import { compareOffsets } from '../../engine/protocol/offsets.js';
import { describeEndpoints } from '../endpoints-file.js';
import { describeRecovery } from '../recovery-times.js';
import { LOCAL_RESOURCES, startLocalRuntime, type LocalRuntime } from '../runtime.js';
import {
  DEFAULT_CLICKSTREAM,
  assertUnambiguous,
  expectedCounts,
  generateClickstream,
  type ClickstreamSettings,
} from '../../jobs/clickstream/generate.js';
import { CLICKSTREAM_JOB, clickstreamJob } from '../../jobs/clickstream/job.js';
import { assertDemoSource, writeKafkaInput } from './kafka-input.js';
import { readCommittedParquet, type CommittedRows } from './parquet-check.js';
import { readStreamedRows, type StreamedRows } from './stream-check.js';

export interface DemoOptions {
  readonly dataDir: string;
  readonly events: number;
  /** The rate limit: records per shard per batch (default CLICKSTREAM_JOB's). */
  readonly maxRecordsPerPartition?: number;
  /** Read the clickstream from Kinesis (kinesalite, the default) or Kafka (librdkafka's mock cluster through kcat). */
  readonly source?: 'kinesis' | 'kafka';
  /**
   * Write the counts to the DynamoDB table (the default) or, with 's3', as Parquet files
   * under FILES_PREFIX in the local checkpoint bucket (s3rver), as job page-views-files,
   * or, with 'kinesis', as records of the stream SINK_STREAM (kinesalite), as job
   * page-views-stream (at least once, every record with a deterministic id).
   */
  readonly sink?: 'dynamodb' | 's3' | 'kinesis';
  /** Delete the data directory first. */
  readonly reset: boolean;
  /** Skip the final check (the kill -9 test checks on its own). */
  readonly check: boolean;
  readonly out: (line: string) => void;
}

export interface DemoOutcome {
  readonly ok: boolean;
  readonly batches: number;
  readonly records: number;
  readonly elapsedMs: number;
}

const INPUT_MARKER = 'clickstream-input.json';

/** Where `--sink s3` writes its Parquet files, in the local checkpoint bucket. */
export const FILES_PREFIX = 'demo/page-views';

/** The stream `--sink kinesis` writes its records to, on kinesalite. */
export const SINK_STREAM = 'page-views-out';

/**
 * The demo: a 4-shard Kinesis stream on the local runtime, a deterministic clickstream
 * written to it once, the page-views job run through the driver state machine (the
 * Standard parent and its Express child, aws-local-stepfunctions calling the Lambda
 * handlers in-process) until it has caught up,
 * and the sink checked against counts computed from the generated input alone.
 * Run it again on the same directory (after a crash, or to see it resume) and it picks
 * up from the write-ahead log.
 */
export async function runDemo(options: DemoOptions): Promise<DemoOutcome> {
  const { out } = options;
  const settings: ClickstreamSettings = { ...DEFAULT_CLICKSTREAM, events: options.events };
  const maxRecordsPerPartition = options.maxRecordsPerPartition ?? CLICKSTREAM_JOB.maxRecordsPerPartition;
  assertUnambiguous(settings, { ...CLICKSTREAM_JOB, maxRecordsPerPartition });
  if (options.reset) await rm(options.dataDir, { recursive: true, force: true });

  const kafka = options.source === 'kafka';
  await assertDemoSource(options.dataDir, kafka ? 'kafka' : 'kinesis');
  out(
    `starting the local runtime in ${options.dataDir} (DynamoDB Local, ${kafka ? "librdkafka's mock Kafka cluster" : 'kinesalite'}, s3rver)`,
  );
  const restartedAt = Date.now();
  const runtime = await startLocalRuntime({ dataDir: options.dataDir, kafka });
  const standInsMs = Date.now() - restartedAt;
  try {
    out(`  stand-ins up in ${standInsMs} ms`);
    for (const line of describeEndpoints(runtime.endpoints)) out(line);
    const events = generateClickstream(settings);
    if (kafka) await writeKafkaInput(runtime, CLICKSTREAM_JOB.topic, settings, out);
    else await ensureInput(runtime, settings, out);
    await createSinkTable(runtime.ports.clients.dynamodb, CLICKSTREAM_JOB.sinkTable);

    const files = options.sink === 's3';
    const stream = options.sink === 'kinesis';
    const job = clickstreamJob({
      maxRecordsPerPartition,
      ...(files ? { name: 'page-views-files', sinkFiles: FILES_PREFIX } : {}),
      ...(stream ? { name: 'page-views-stream', sinkStream: SINK_STREAM } : {}),
    });
    if (stream) await createStream(runtime.ports.clients.kinesis, SINK_STREAM, 2);
    out(`running job ${job.name} through the driver state machine: ${job.pipeline.description}`);
    out(`  up to ${job.maxRecordsPerPartition} records per shard per batch, trigger: available now`);
    const started = Date.now();
    let records = 0;
    let batches = 0;
    const registry = new DynamoDbJobRegistry({ client: runtime.ports.clients.dynamodb, tableName: LOCAL_RESOURCES.walTable });
    const driver = new LocalDriver({
      ports: runtime.ports,
      registry,
      catalog,
      reconcileEveryMs: 10_000,
      observer: {
        onTaskResult: (state, _input, output) => {
          if (state !== TASK_STATES.finish) return;
          const finished = output as FinishTaskResult;
          batches += 1;
          records += finished.batch.metrics.records;
          out(formatProgress(finished, started));
          if (batches === 1) {
            out(`  ${describeRecovery(Date.now() - restartedAt, standInsMs)}`);
          }
        },
      },
    });
    let ended: Awaited<ReturnType<typeof driver.waitForJob>>;
    try {
      await claimDemoSinks(job, registry, runtime);
      const run = await driver.run({
        jobId: job.name,
        jobName: 'page-views',
        parameters: {
          maxRecordsPerPartition,
          ...(kafka ? { topic: CLICKSTREAM_JOB.topic } : {}),
          ...(files ? { sinkFiles: FILES_PREFIX } : {}),
          ...(stream ? { sinkStream: SINK_STREAM } : {}),
        },
      });
      out(`  driver execution ${run.executionName}${run.resumed ? ' (resuming the job from its write-ahead log)' : ''}`);
      ended = await driver.waitForJob(job.name, 30 * 60_000);
    } finally {
      await driver.close();
    }
    const elapsedMs = Date.now() - started;
    if (ended.state === JobState.FAILED) {
      out(`job ${job.name} FAILED: ${ended.reason ?? 'no reason recorded'}`);
      return { ok: false, batches, records, elapsedMs };
    }
    out(
      `caught up after ${batches} batches in this run: ${records.toLocaleString('en-US')} records in ` +
        `${(elapsedMs / 1000).toFixed(1)} s (${Math.round(records / Math.max(elapsedMs / 1000, 0.001)).toLocaleString('en-US')} records/s)`,
    );
    if (!options.check) return { ok: true, batches, records, elapsedMs };

    const expected = expectedCounts(events, CLICKSTREAM_JOB.windowMs);
    // The files are read back by an independent Parquet reader through the commit log (parquet-check.ts).
    const parquet = files ? await readCommittedParquet(runtime.ports.clients.s3, LOCAL_RESOURCES.bucket, FILES_PREFIX) : null;
    // The stream's records are read back, deduplicated by id, by stream-check.ts.
    const streamed = stream ? await readStreamedRows(runtime.ports.clients.kinesis, SINK_STREAM) : null;
    const rows =
      parquet !== null
        ? [...parquet.rows].map(([key, row]) => [key, Number(row.value)] as const)
        : streamed !== null
          ? [...streamed.rows].map(([key, value]) => [key, value.value] as const)
          : (await runtime.ports.sinks(job.sink).scan()).map((r) => [r.key, r.value.value] as const);
    const letters = await runtime.ports.deadLetters.list(job.name);
    const problems = compare(expected.counts, new Map(rows));
    for (const id of streamed?.conflicts ?? []) problems.push(`record id ${id}: two copies with different data`);
    if (letters.length !== expected.deadLetters) {
      problems.push(`dead letters: expected ${expected.deadLetters}, found ${letters.length}`);
    }
    out('');
    out(`input:        ${events.length.toLocaleString('en-US')} events on ${settings.partitions} shards`);
    out(`counted:      ${expected.counted.toLocaleString('en-US')} (on time or within the allowed lateness)`);
    out(`dropped late: ${expected.tooLate.toLocaleString('en-US')} (behind the watermark)`);
    out(`dead letters: ${letters.length.toLocaleString('en-US')} (malformed or without a page)`);
    out(`sink:         ${rows.length.toLocaleString('en-US')} (page, window) rows ${sinkWhere(parquet, streamed)}`);
    if (problems.length === 0) {
      out(
        streamed === null
          ? 'check:        every row equals the count computed independently from the input: exactly once'
          : 'check:        deduplicated by id, every row equals the count computed independently from the input ' +
              '(the stream itself is at least once: copies carry the id and data of the first)',
      );
    } else {
      out(`check FAILED: ${problems.length} difference(s)`);
      for (const p of problems.slice(0, 20)) out(`  ${p}`);
    }
    return { ok: problems.length === 0, batches, records, elapsedMs };
  } finally {
    await runtime.stop();
  }
}

/**
 * The demo's instance owns its sink, as an instance started through the jobs API does
 * (engine/driver/sink-ownership.ts). Another instance that took it over (a replay --into
 * it without another sink, an instance started through the API) is named, not silently
 * mixed with.
 */
async function claimDemoSinks(job: JobDefinition, registry: JobRegistry, runtime: LocalRuntime): Promise<void> {
  const restart = 'start over with npm start -- --reset';
  try {
    const claim = { jobId: job.name, targets: sinkTargetsOf(job), force: false, forceHint: '--reset', otherSinkHint: restart };
    await claimSinks(claim, { registry, clock: runtime.ports.clock });
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
    throw new ConflictError(
      `the demo's job ${job.name} does not own its sink ${String(error.context.target)}: job ${String(error.context.owner)} ` +
        `took it over (a replay --into it without another sink, or an instance started through the jobs API); ${restart}`,
      { cause: error },
    );
  }
}

/**
 * Writes the input once. The marker file is written only after every record is stored,
 * so a run killed while writing starts the stream over instead of writing records twice.
 */
export async function ensureInput(runtime: LocalRuntime, settings: ClickstreamSettings, out: (line: string) => void): Promise<void> {
  const marker = join(runtime.dataDir, INPUT_MARKER);
  const wanted = JSON.stringify(settings);
  const existing = await readFile(marker, 'utf8').catch(() => null);
  if (existing !== null) {
    if (existing !== wanted) {
      throw new ConflictError(`${runtime.dataDir} holds the input of a different demo run; start over with --reset`);
    }
    out(`input already written (${settings.events.toLocaleString('en-US')} events): resuming the job from its write-ahead log`);
    return;
  }
  const kinesis = runtime.ports.clients.kinesis;
  await kinesis.send(new DeleteStreamCommand({ StreamName: CLICKSTREAM_JOB.streamName })).catch((error: unknown) => {
    if (!isNotFound(error)) throw error;
  });
  await createStream(kinesis, CLICKSTREAM_JOB.streamName, settings.partitions);
  const shards = (await kinesis.send(new ListShardsCommand({ StreamName: CLICKSTREAM_JOB.streamName }))).Shards ?? [];
  const hashKeys = shards.map((s) => s.HashKeyRange!.StartingHashKey!).sort(compareOffsets);
  const events = generateClickstream(settings);
  const encoder = new TextEncoder();
  out(`writing ${events.length.toLocaleString('en-US')} events to stream ${CLICKSTREAM_JOB.streamName} (${hashKeys.length} shards)`);
  let shown = 0;
  await putAllRecords(
    kinesis,
    CLICKSTREAM_JOB.streamName,
    events.map((e) => ({ key: e.user, data: encoder.encode(e.payload), explicitHashKey: hashKeys[e.partitionIndex]! })),
    {
      onProgress: (stored, total) => {
        if (stored - shown >= 10_000 || stored === total) {
          shown = stored;
          out(`  ${stored.toLocaleString('en-US')} / ${total.toLocaleString('en-US')}`);
        }
      },
    },
  );
  await writeFile(marker, wanted);
}

/**
 * One committed batch. A batch's `durationMs` runs from its planning: for a batch planned
 * before a kill and resumed by this process, the line shows this run's own duration (from
 * when this process started driving) and, separately, the time since it was planned.
 */
export function formatProgress({ batch }: FinishTaskResult, drivingSince: number): string {
  const m = batch.metrics;
  const duration = batch.resumed
    ? `${String(Math.min(m.durationMs, Date.now() - drivingSince)).padStart(5)} ms (planned ${m.durationMs} ms ago)`
    : `${String(m.durationMs).padStart(5)} ms`;
  const watermark = batch.watermarkMs === null ? '-' : new Date(batch.watermarkMs).toISOString().slice(11, 19);
  return [
    `batch ${String(batch.batchId).padStart(3)}${batch.resumed ? ' (resumed)' : ''}`,
    `records ${m.records.toLocaleString('en-US').padStart(6)}`,
    duration,
    `lag ${m.lagMs === null ? '-' : `${m.lagMs} ms`}`,
    `watermark ${watermark}`,
    `rows ${m.outputRows}`,
    `dead ${m.deadLetters}`,
    `late ${m.lateRecords}`,
  ].join('  ');
}

/** Where the demo's rows are, for its report. */
function sinkWhere(parquet: CommittedRows | null, streamed: StreamedRows | null): string {
  if (parquet !== null) {
    return `in ${parquet.files} Parquet files of ${parquet.entries} committed batches under s3://${LOCAL_RESOURCES.bucket}/${FILES_PREFIX}/ (read back with hyparquet)`;
  }
  if (streamed !== null) {
    return `in stream ${SINK_STREAM}: ${streamed.records.toLocaleString('en-US')} records, ${streamed.duplicates} of them copies with the id and data of an earlier one (deduplicated by id)`;
  }
  return `in table ${CLICKSTREAM_JOB.sinkTable}`;
}

function compare(expected: Map<string, number>, actual: Map<string, unknown>): string[] {
  const problems: string[] = [];
  for (const [key, count] of expected) {
    if (actual.get(key) !== count) problems.push(`${key}: expected ${count}, sink has ${String(actual.get(key) ?? 'nothing')}`);
  }
  for (const key of actual.keys()) if (!expected.has(key)) problems.push(`${key}: in the sink but not expected`);
  return problems;
}
