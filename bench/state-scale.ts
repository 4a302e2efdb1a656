/**
 * How an executor's memory and batch time grow with the keyed state of its partition.
 *
 * A Lambda executor holds the partition's whole state in memory (as Spark's HDFS-backed
 * state store does): it loads the state the batch builds on, applies the batch, writes a
 * delta or a snapshot, and keeps the state in its warm cache for the next batch. So the
 * state a partition can hold is bounded by the executor's memory (infra: 1,024 MB).
 *
 * For each state size N, the parent process plants the checkpoint of a committed batch 1
 * on the local stand-ins (a snapshot of N keys in S3, batch 1 committed in the WAL), then
 * a fresh child process (fresh heap, peak RSS of its own) runs batch 2 through the real
 * driver and executor functions: it reads `records` events from a one-shard Kinesis
 * stream, each counting one of the N existing keys, loads the state from S3 (a cold
 * executor), writes state version 2 (a delta, or a snapshot when measuring that) and the
 * touched rows to the DynamoDB sink, and commits. The child reports its peak RSS, the
 * heap its warm cache keeps, and the batch time; it checks the state still has N keys.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createSinkTable, createStream, destroyAwsClients, localAwsConfig, putAllRecords } from '../engine/adapters/aws/index.js';
import { createAwsPorts, type AwsPorts } from '../engine/adapters/deployed-ports.js';
import { systemClock } from '../engine/adapters/system-clock.js';
import { runDriver } from '../engine/driver/run-driver.js';
import { ConfigurationError, InvariantError } from '../engine/errors.js';
import { runPartition } from '../engine/executor/run-partition.js';
import { StateCache } from '../engine/executor/state-cache.js';
import { count, defineJob, dynamoDbSink, kinesisSource } from '../engine/job/index.js';
import type { JobDefinition } from '../engine/job/types.js';
import type { JsonValue } from '../engine/json.js';
import type { Logger } from '../engine/ports/index.js';
import { BatchStatus } from '../engine/protocol/batch-records.js';
import type { StandInEndpoints } from '../local/stand-ins.js';
import { LOCAL_RESOURCES } from '../local/runtime.js';
import { startEnvironment, type Progress } from './environment.js';
import { plantCommittedBatch } from './plant-checkpoint.js';
import { EXECUTOR_MEMORY_MB } from './defaults.js';
import { now } from './stats.js';

const STREAM = 'state-scale';

export interface StateScaleCase {
  readonly keys: number;
  readonly records: number;
  /** Batch 2 writes a snapshot (true) or a delta (false). */
  readonly snapshot: boolean;
  /** The untimed first run that warms the stand-ins up. */
  readonly warmUp?: boolean;
}

export interface StateScaleFigures extends StateScaleCase {
  /** The planted snapshot of N keys in S3. */
  readonly snapshotBytes: number;
  /** RSS of the child with its clients built, before the batch. */
  readonly baselineRssMb: number;
  /** Peak RSS of the child over its life (getrusage maxrss). */
  readonly peakRssMb: number;
  /** Heap the warm executor keeps after the batch (its cached state), after a full GC. */
  readonly retainedHeapMb: number;
  /** Plan, read, load, apply, write state and sink, commit. */
  readonly batchMs: number;
  readonly stateRowsAfter: number;
  readonly stateBytesWritten: number;
}

export interface StateScaleReport {
  readonly note: string;
  readonly records: number;
  readonly cases: readonly StateScaleFigures[];
  /** Keys per key group at which the snapshot batches' peak RSS reaches the executor's memory (a straight line through the two largest cases). */
  readonly keysAtExecutorMemory: number | null;
}

const jobIdOf = (c: StateScaleCase) => `scale-${c.keys}-${c.snapshot ? 'snapshot' : 'delta'}${c.warmUp ? '-warm-up' : ''}`;

function scaleJob(c: StateScaleCase): JobDefinition {
  return defineJob({
    name: 'state-scale',
    version: 1,
    source: kinesisSource({ streamName: STREAM }),
    pipeline: (events) => events.keyBy((e) => userOf(Number(e.user))).aggregate(count()),
    sink: dynamoDbSink({ tableName: jobIdOf(c) }),
    trigger: { type: 'availableNow' },
    maxRecordsPerPartition: c.records,
    // A snapshot every batch, or none for a long while: batch 2 writes one or a delta.
    checkpoint: { snapshotEvery: c.snapshot ? 1 : 1_000, retainBatches: 10 },
    // One key group: one stage-2 executor holds all N keys, the figure this measures.
    keyGroups: 1,
  });
}

const userOf = (i: number) => `user-${i}`;

/** The state key `count()` keeps for a group key (see `checkpoints show`). */
const stateKeyOf = (group: string) => JSON.stringify([group]);

/** Runs every case in its own child process on fresh local stand-ins. */
export async function runStateScale(options: {
  readonly keys: readonly number[];
  readonly records: number;
  readonly progress: Progress;
  readonly keep?: boolean;
}): Promise<StateScaleReport> {
  const { progress, records } = options;
  const env = await startEnvironment(progress);
  try {
    const ports = env.runtime.ports;
    await createStream(ports.clients.kinesis, STREAM, 1);
    const minKeys = Math.min(...options.keys);
    progress(`writing ${records.toLocaleString('en-US')} events to stream ${STREAM} (1 shard)`);
    const encoder = new TextEncoder();
    // Every event counts a key that every case's state holds, so the state keeps N keys.
    const users = Array.from({ length: records }, (_, i) => (i * 7919) % minKeys);
    await putAllRecords(
      ports.clients.kinesis,
      STREAM,
      users.map((u) => ({ key: String(u), data: encoder.encode(JSON.stringify({ user: u })) })),
    );
    const warmUp: StateScaleCase = { keys: minKeys, records, snapshot: false, warmUp: true };
    progress(`warming the stand-ins up: ${minKeys.toLocaleString('en-US')} keys, untimed`);
    await plantCheckpoint(ports, warmUp);
    await runChild(warmUp, env.runtime.standIns.endpoints);
    const cases: StateScaleFigures[] = [];
    for (const keys of options.keys) {
      for (const snapshot of [false, true]) {
        const c: StateScaleCase = { keys, records, snapshot };
        progress(`${keys.toLocaleString('en-US')} keys, batch 2 writes a ${snapshot ? 'snapshot' : 'delta'}: planting batch 1`);
        const snapshotBytes = await plantCheckpoint(ports, c);
        progress('  running batch 2 in a fresh process');
        const figures = await runChild(c, env.runtime.standIns.endpoints);
        cases.push({ ...figures, snapshotBytes });
        progress(`  peak RSS ${figures.peakRssMb.toFixed(0)} MB, batch ${figures.batchMs.toFixed(0)} ms`);
      }
    }
    return {
      note: "measured on local stand-ins (s3rver, DynamoDB Local, kinesalite); memory figures are the Node process's own and carry over to Lambda, times do not",
      records,
      cases,
      keysAtExecutorMemory: keysAt(
        EXECUTOR_MEMORY_MB,
        cases.filter((c) => c.snapshot),
      ),
    };
  } finally {
    await env.close(options.keep ?? false);
  }
}

/** Batch 1 of the case's job, committed, with a snapshot of N keys as its key group's state version 1. */
async function plantCheckpoint(ports: AwsPorts, c: StateScaleCase): Promise<number> {
  await createSinkTable(ports.clients.dynamodb, jobIdOf(c));
  const full = new Map<string, JsonValue>();
  for (let i = 0; i < c.keys; i += 1) full.set(stateKeyOf(userOf(i)), 1);
  return plantCommittedBatch(ports, { jobId: jobIdOf(c), job: scaleJob(c), state: full });
}

/** Keys at which a line through the two largest cases' peak RSS reaches `mb`. */
function keysAt(mb: number, cases: readonly StateScaleFigures[]): number | null {
  const sorted = [...cases].sort((a, b) => a.keys - b.keys);
  const [a, b] = sorted.slice(-2);
  if (a === undefined || b === undefined || b.peakRssMb <= a.peakRssMb) return null;
  const perKey = (b.peakRssMb - a.peakRssMb) / (b.keys - a.keys);
  return Math.round(b.keys + (mb - b.peakRssMb) / perKey);
}

function runChild(c: StateScaleCase, endpoints: StandInEndpoints): Promise<StateScaleFigures> {
  const entry = fileURLToPath(import.meta.url);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', entry, JSON.stringify({ case: c, endpoints })], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`the state-scale child for ${jobIdOf(c)} exited with ${code}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').at(-1)!) as StateScaleFigures);
      } catch (error) {
        reject(new Error(`the state-scale child for ${jobIdOf(c)} printed no figures: ${String(error)}`));
      }
    });
  });
}

const quiet: Logger = { info: () => {}, warn: () => {}, error: (message, fields) => console.error(message, fields ?? '') };

/** The child: batch 2 of the case's job, measured. Prints one JSON line. */
async function measureBatch(c: StateScaleCase, endpoints: StandInEndpoints): Promise<StateScaleFigures> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new ConfigurationError('run the state-scale child with --expose-gc');
  const ports = createAwsPorts({ ...localAwsConfig(endpoints), ...LOCAL_RESOURCES, clock: systemClock, logger: quiet });
  const job = scaleJob(c);
  const jobId = jobIdOf(c);
  await ports.sources(job.source.spec).listPartitions(); // clients connected before the baseline
  gc();
  const baseline = process.memoryUsage();
  const cache = new StateCache();
  let stateRowsAfter = -1;
  let stateBytesWritten = -1;
  const started = now();
  await runDriver(job, ports, {
    jobId,
    maxBatches: 1,
    executorAttempts: 1,
    runExecutor: (input) => runPartition(input, { ports, job, cache }),
    onBatch: ({ commit }) => {
      stateRowsAfter = commit.metrics.stateRows;
      stateBytesWritten = commit.metrics.stateBytesWritten;
    },
  });
  const batchMs = now() - started;
  gc();
  const after = process.memoryUsage();
  const record = await ports.wal.getBatch(jobId, 2);
  if (record?.status !== BatchStatus.COMMITTED) throw new InvariantError(`batch 2 of ${jobId} did not commit`);
  if (stateRowsAfter !== c.keys) throw new InvariantError(`batch 2 of ${jobId} left ${stateRowsAfter} state rows, expected ${c.keys}`);
  destroyAwsClients(ports.clients);
  const mb = (bytes: number) => bytes / 2 ** 20;
  return {
    ...c,
    snapshotBytes: 0,
    baselineRssMb: mb(baseline.rss),
    peakRssMb: mb(process.resourceUsage().maxRSS * 1024),
    retainedHeapMb: mb(after.heapUsed + after.arrayBuffers - baseline.heapUsed - baseline.arrayBuffers),
    batchMs,
    stateRowsAfter,
    stateBytesWritten,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { case: c, endpoints } = JSON.parse(process.argv[2]!) as { case: StateScaleCase; endpoints: StandInEndpoints };
  measureBatch(c, endpoints).then(
    (figures) => {
      process.stdout.write(`${JSON.stringify(figures)}\n`);
      process.exit(0);
    },
    (error: unknown) => {
      console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
      process.exit(1);
    },
  );
}
