/**
 * The process the recovery benchmark kills and restarts: the local runtime (its stand-ins
 * keep their data in `dataDir`) with the recovery job run through the driver state
 * machines. Argument: one JSON object (ChildArgs). Lines on stdout start with
 * CHILD_PREFIX and carry one JSON event each.
 *
 *   crash   writes the input and plants 100,000 keys of state (plant.ts), launches the
 *           job, and reports every state its Express child enters, so the parent can
 *           kill -9 it inside the batch (batch 2: the first one the driver runs)
 *   resume  starts again on the same directory, resumes the job (LocalDriver.run), and
 *           reports the stand-ins' start-up, the time from the driver's restart to its
 *           first committed batch, the Lambda time and AWS requests in between, and
 *           whether the sink holds each user's count exactly
 */
import { fileURLToPath } from 'node:url';
import { createSinkTable, createStream, putAllRecords } from '../../engine/adapters/aws/index.js';
import { DynamoDbJobRegistry } from '../../engine/adapters/aws/dynamodb-job-registry.js';
import type { AwsPorts } from '../../engine/adapters/deployed-ports.js';
import type { FinishTaskResult } from '../../engine/driver/tasks.js';
import type { Logger } from '../../engine/ports/index.js';
import { TASK_STATES } from '../../infra/state-machines/definitions.js';
import { LocalDriver } from '../../local/driver-runtime.js';
import { LOCAL_RESOURCES, startLocalRuntime, type LocalRuntime } from '../../local/runtime.js';
import type { StepFunctionsObserver } from '../../local/step-functions.js';
import { RequestCounter } from '../request-counter.js';
import { warmUpStandIns } from './warm-up.js';
import { emptyPhaseTimes, timedPorts, type PhaseTimes } from './phase-timing.js';
import { plantState } from './plant.js';
import { RECOVERY, recoveryCatalog, recoveryJob, userOf } from './recovery-job.js';

export const CHILD_PREFIX = 'sluice-recovery ';

export interface ChildArgs {
  readonly phase: 'crash' | 'resume';
  readonly dataDir: string;
  readonly keys: number;
  /** Records of batch 2, each counting one of the keys. */
  readonly records: number;
  /** Warm the stand-ins up before the driver's restart (warm-up.ts). */
  readonly warmUp?: boolean;
}

export interface ResumeFigures {
  /** Process start (Node's time origin) to this program's first line: loading Node, tsx and the engine. */
  readonly loadMs: number;
  /** Starting DynamoDB Local, kinesalite and s3rver on the kept data (startLocalRuntime). */
  readonly standInsMs: number;
  /** The stand-ins' warm-up before the restart (warm-up.ts); null without it. */
  readonly warmUpMs: number | null;
  /** LocalDriver.run (the driver's restart) to the first committed batch. */
  readonly firstCommitMs: number;
  readonly batchId: number;
  readonly resumed: boolean;
  readonly records: number;
  readonly stateRows: number;
  /** Lambda time per function between the restart and the first commit (they run one after another). */
  readonly lambdaMs: Readonly<Record<string, number>>;
  /** AWS requests per operation between the restart and the first commit. */
  readonly requests: Readonly<Record<string, number>>;
  /** Stage 2's state load, state write and sink writes between the restart and the first commit (phase-timing.ts). */
  readonly phases: PhaseTimes;
  /** The sink holds, for every user the batch counted, 1 (the planted count) plus its records. */
  readonly exact: boolean;
  readonly problems: readonly string[];
}

const loadMs = performance.now();
const quiet: Logger = { info: () => {}, warn: () => {}, error: (message, fields) => console.error(message, fields ?? '') };
const emit = (event: object) => process.stdout.write(`${CHILD_PREFIX}${JSON.stringify(event)}\n`);

/** User of record i of batch 2: spread over the keys, some users several times. */
export const userOfRecord = (i: number, keys: number) => (i * 7919) % keys;

async function crash(args: ChildArgs, runtime: LocalRuntime): Promise<void> {
  const ports = runtime.ports;
  await createStream(ports.clients.kinesis, RECOVERY.streamName, 1);
  await createSinkTable(ports.clients.dynamodb, RECOVERY.sinkTable);
  const encoder = new TextEncoder();
  const users = Array.from({ length: args.records }, (_, i) => userOfRecord(i, args.keys));
  await putAllRecords(
    ports.clients.kinesis,
    RECOVERY.streamName,
    users.map((u) => ({ key: String(u), data: encoder.encode(JSON.stringify({ user: u })) })),
  );
  const snapshotBytes = await plantState(ports, args.keys, args.records);
  emit({ type: 'planted', keys: args.keys, snapshotBytes });
  const driver = localDriver(runtime, runtime.ports, args, {
    onTransition: (type, _execution, state) => {
      if (type === 'EXPRESS') emit({ type: 'state', state });
    },
  });
  await driver.run({ jobId: RECOVERY.jobId, jobName: RECOVERY.jobName });
  await driver.waitForJob(RECOVERY.jobId, 600_000);
  emit({ type: 'finished' }); // not killed: the parent reports it
}

async function resume(args: ChildArgs, runtime: LocalRuntime, standInsMs: number): Promise<ResumeFigures> {
  const warmUpMs = args.warmUp ? await warmUpStandIns(runtime.ports, LOCAL_RESOURCES.bucket, args.records) : null;
  const requests = new RequestCounter();
  requests.attach(runtime.ports.clients);
  const lambdaMs: Record<string, number> = {};
  let first: ((f: FinishTaskResult) => void) | undefined;
  const committed = new Promise<FinishTaskResult>((resolve) => (first = resolve));
  let restartedAt = 0;
  let firstCommitMs = -1;
  let requestsToCommit: Record<string, number> = {};
  const before = requests.snapshot();
  const phases = emptyPhaseTimes();
  const ports = timedPorts(runtime.ports, LOCAL_RESOURCES.bucket, phases, () => firstCommitMs < 0);
  const driver = localDriver(runtime, ports, args, {
    onLambda: (fn, ms) => {
      if (firstCommitMs < 0) lambdaMs[fn] = (lambdaMs[fn] ?? 0) + ms;
    },
    onTaskResult: (state, _input, output) => {
      if (state !== TASK_STATES.finish || firstCommitMs >= 0) return;
      firstCommitMs = performance.now() - restartedAt;
      requestsToCommit = requests.since(before);
      first?.(output as FinishTaskResult);
    },
  });
  restartedAt = performance.now();
  const run = await driver.run({ jobId: RECOVERY.jobId, jobName: RECOVERY.jobName });
  const { batch } = await committed;
  await driver.waitForJob(RECOVERY.jobId, 600_000);
  await driver.close();
  const problems = await checkSink(runtime, args);
  if (!run.resumed) problems.push('the driver did not resume the job: it was started afresh');
  return {
    loadMs,
    standInsMs,
    warmUpMs,
    firstCommitMs,
    batchId: batch.batchId,
    resumed: batch.resumed,
    records: batch.metrics.records,
    stateRows: batch.metrics.stateRows,
    lambdaMs,
    requests: requestsToCommit,
    phases,
    exact: problems.length === 0,
    problems,
  };
}

function localDriver(runtime: LocalRuntime, ports: AwsPorts, args: ChildArgs, observer: StepFunctionsObserver): LocalDriver {
  const registry = new DynamoDbJobRegistry({ client: runtime.ports.clients.dynamodb, tableName: LOCAL_RESOURCES.walTable });
  return new LocalDriver({ ports, registry, catalog: recoveryCatalog(args.records), observer });
}

async function checkSink(runtime: LocalRuntime, args: ChildArgs): Promise<string[]> {
  const expected = new Map<string, number>();
  for (let i = 0; i < args.records; i += 1) {
    const user = userOf(userOfRecord(i, args.keys));
    expected.set(user, (expected.get(user) ?? 1) + 1);
  }
  const rows = await runtime.ports.sinks(recoveryJob(args.records).sink).scan();
  const problems: string[] = [];
  const actual = new Map(rows.map((r) => [r.key, r.value.value]));
  for (const [user, n] of expected)
    if (actual.get(user) !== n) problems.push(`${user}: expected ${n}, the sink has ${String(actual.get(user))}`);
  if (actual.size !== expected.size) problems.push(`${actual.size} rows in the sink, ${expected.size} users counted`);
  return problems.slice(0, 20);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = JSON.parse(process.argv[2]!) as ChildArgs;
  const started = performance.now();
  startLocalRuntime({ dataDir: args.dataDir, logger: quiet })
    .then(async (runtime) => {
      const standInsMs = performance.now() - started;
      if (args.phase === 'crash') await crash(args, runtime);
      else emit({ type: 'figures', figures: await resume(args, runtime, standInsMs) });
      await runtime.stop();
      process.exit(0);
    })
    .catch((error: unknown) => {
      console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
      process.exit(1);
    });
}
