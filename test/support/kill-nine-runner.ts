/**
 * The kill -9 test's runner for the sinks the demo does not carry (a Kafka topic, a user
 * sink): the demo's local runtime, input and driver (local/demo/run-demo.ts), with the
 * page-views job writing to one of them. Run in a child process, killed and started again
 * on the same data directory by test/scenario/kill-nine-sinks.test.ts:
 *
 *   node --import tsx test/support/kill-nine-runner.ts --data-dir D --events N --max-records M
 *     --sink kafka --brokers HOST:PORT,... --topic T     (a cluster outside the killed process group)
 *     --sink user                                        (test/support/kill-nine-user-sink.ts)
 *
 * It prints the demo's line per committed batch and, once the job has caught up,
 * "caught up"; it exits 0 then, 1 when the job failed.
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { kafkaSink } from '../../engine/job/index.js';
import type { FinishTaskResult } from '../../engine/driver/tasks.js';
import { JobState } from '../../engine/ports/job-registry.js';
import { DynamoDbJobRegistry } from '../../engine/adapters/aws/dynamodb-job-registry.js';
import { TASK_STATES } from '../../infra/state-machines/definitions.js';
import { DEFAULT_CLICKSTREAM } from '../../jobs/clickstream/generate.js';
import { clickstreamJob } from '../../jobs/clickstream/job.js';
import { ensureInput, formatProgress } from '../../local/demo/run-demo.js';
import { LocalDriver } from '../../local/driver-runtime.js';
import { LOCAL_RESOURCES, startLocalRuntime } from '../../local/runtime.js';
import { createUserSinkTables, tableUserSink } from './kill-nine-user-sink.js';

/** This file, to run as a script. */
export const RUNNER_SCRIPT = fileURLToPath(import.meta.url);

/** The job of each sink: its name is the job instance's id. */
export const RUNNER_JOBS = { kafka: 'page-views-kafka', user: 'page-views-user' } as const;
export type RunnerSink = keyof typeof RUNNER_JOBS;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      'data-dir': { type: 'string' },
      events: { type: 'string' },
      'max-records': { type: 'string' },
      sink: { type: 'string' },
      brokers: { type: 'string' },
      topic: { type: 'string' },
    },
  });
  const sink = values.sink as RunnerSink;
  const brokers = values.brokers?.split(',') ?? [];
  if (sink !== 'kafka' && sink !== 'user') throw new Error(`--sink kafka|user, got ${values.sink}`);
  if (sink === 'kafka' && (brokers.length === 0 || values.topic === undefined)) throw new Error('--sink kafka needs --brokers and --topic');
  const maxRecordsPerPartition = Number(values['max-records']);
  const settings = { ...DEFAULT_CLICKSTREAM, events: Number(values.events) };

  const started = Date.now();
  const runtime = await startLocalRuntime({ dataDir: values['data-dir']!, ...(sink === 'kafka' ? { kafka: { brokers } } : {}) });
  const out = (line: string): void => void process.stdout.write(`${line}\n`);
  try {
    await ensureInput(runtime, settings, out);
    if (sink === 'user') await createUserSinkTables(runtime.ports.clients.dynamodb);
    const job = clickstreamJob({
      name: RUNNER_JOBS[sink],
      maxRecordsPerPartition,
      sink: sink === 'kafka' ? kafkaSink({ topic: values.topic! }) : tableUserSink(runtime.ports.clients.dynamodb),
    });
    const registry = new DynamoDbJobRegistry({ client: runtime.ports.clients.dynamodb, tableName: LOCAL_RESOURCES.walTable });
    const driver = new LocalDriver({
      ports: runtime.ports,
      registry,
      catalog: { [job.name]: job },
      observer: {
        onTaskResult: (state, _input, output) => {
          if (state === TASK_STATES.finish) out(formatProgress(output as FinishTaskResult, started));
        },
      },
    });
    try {
      await driver.run({ jobId: job.name, jobName: job.name, parameters: {} });
      const ended = await driver.waitForJob(job.name, 30 * 60_000);
      if (ended.state === JobState.FAILED) {
        out(`job ${job.name} FAILED: ${ended.reason ?? 'no reason recorded'}`);
        return 1;
      }
    } finally {
      await driver.close();
    }
    out(`caught up: job ${job.name}`);
    return 0;
  } finally {
    await runtime.stop();
  }
}

if (process.argv[1] === RUNNER_SCRIPT) process.exit(await main());
