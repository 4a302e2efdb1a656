/**
 * npm run replay -- --job <id> --from-batch <N> [--to-batch <M>] [--into <new job id>] [--dry-run]
 * Replays a job's committed batches N+1..M with the job definition in code now
 * (engine/replay/replay-job.ts), on the local runtime or on AWS.
 */
import { parseArgs } from 'node:util';
import { JobSpecError, describeError, isRefusal } from '../engine/errors.js';
import { DEFAULT_DATA_DIR } from '../local/runtime.js';
import {
  OPERATOR_TARGET_OPTIONS,
  OPERATOR_TARGET_USAGE,
  jobOfInstance,
  openOperatorEnvironment,
  operatorTargetOf,
  parametersOf,
  type OperatorEnvironment,
} from '../cli/operator-environment.js';
import { describeSink, formatReplayOutcome, formatReplayPreview, formatReplayProgress } from '../cli/format/replay.js';
import { previewReplay, replayJob, type ReplayContext, type ReplayRequest } from '../engine/replay/replay-job.js';
import { catalog } from '../jobs/catalog.js';
import { fail, parseCli } from '../cli/args.js';

const usage = `usage: npm run replay -- --job <id> --from-batch <N> [--to-batch <M>] [--into <new job id>] [--dry-run]

Re-runs the committed batches N+1..M of a job with the job definition in code now (after
fixing a bug in it, say), from the state after batch N. Each batch reads exactly the
records its first run read. In place, the replayed batches replace batches N+1..M in the
write-ahead log (the replaced ones are archived) and their rows replace the old rows in
the sink; the job's driver must be stopped, and can resume after batch M. With --into,
a new job instance starts from a copy of batch N and its state, and the job's own WAL,
state and sink are left as they are. A replay that fails is finished by running the same
command again. docs/replay.md has the details.

options:
  --job <id>            the job instance to replay (its id in the write-ahead log)
  --from-batch <N>      start from the state after batch N (0: from the empty state)
  --to-batch <M>        the last batch to replay (default: the latest committed batch)
  --into <new job id>   replay into a new job instance instead of in place
  --dry-run             print what would be read and written, per batch and partition; write nothing
  --job-name <name>     the job in jobs/catalog.ts (default: the job registry's record of the
                        instance, else the job id itself)
  --param <name=value>  a catalog parameter of the job (repeatable), e.g. --param sinkTable=other
                        points the page-views job at another sink table
  --verbose             log the engine's progress on stderr
  -h, --help            show this help

${OPERATOR_TARGET_USAGE}

exit codes: 0 replayed (or dry run printed), 2 bad arguments, 3 refused (the job, the batch
or the job version does not allow it; nothing was written), 4 failed part way (run the same
command again to finish it)`;

const args = parseCli(usage, () =>
  parseArgs({
    options: {
      job: { type: 'string' },
      'from-batch': { type: 'string' },
      'to-batch': { type: 'string' },
      into: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      'job-name': { type: 'string' },
      param: { type: 'string', multiple: true, default: [] },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
      ...OPERATOR_TARGET_OPTIONS,
    },
    allowPositionals: false,
  }),
);

const { values } = args;
if (values.job === undefined) fail(usage, '--job is required');
if (values['from-batch'] === undefined) fail(usage, '--from-batch is required');
const request: ReplayRequest = {
  jobId: values.job,
  fromBatchId: batchNumber('--from-batch', values['from-batch'], 0),
  ...(values['to-batch'] === undefined ? {} : { toBatchId: batchNumber('--to-batch', values['to-batch'], 1) }),
  ...(values.into === undefined ? {} : { intoJobId: values.into }),
};
const { target, flagParameters } = (() => {
  try {
    return { target: operatorTargetOf(values, process.env, DEFAULT_DATA_DIR), flagParameters: parametersOf(values.param) };
  } catch (error) {
    return fail(usage, error instanceof Error ? error.message : String(error));
  }
})();

let env: OperatorEnvironment | undefined;
let code = 0;
try {
  env = await openOperatorEnvironment(target, { verbose: values.verbose });
  code = await run(env);
} catch (error) {
  // Thrown before the replay wrote anything: a refusal, or the environment failed.
  const refused = isRefusal(error) || error instanceof JobSpecError;
  console.error(`replay ${refused ? 'refused' : 'failed'}: ${message(error)}`);
  code = refused ? 3 : 4;
} finally {
  await env?.close();
}
process.exit(code);

async function run(env: OperatorEnvironment): Promise<number> {
  // The job definition the source job runs (the registry's record, else its id), with --job-name and --param.
  const { job, jobName, parameters } = await jobOfInstance({
    jobId: request.jobId,
    jobName: values['job-name'],
    parameters: flagParameters,
    registry: env.registry,
    catalog,
  });
  let recordsSoFar = 0;
  const tty = process.stderr.isTTY === true;
  const ctx: ReplayContext = {
    ports: env.ports,
    job,
    registry: env.registry,
    onProgress: (progress) => {
      recordsSoFar += progress.records;
      const line = formatReplayProgress(progress, recordsSoFar);
      process.stderr.write(tty ? `\r${line}${progress.index === progress.total ? '\n' : ''}` : `${line}\n`);
    },
  };
  const scope = await previewReplay(request, ctx);
  const preview = formatReplayPreview(scope, job);
  console.log(`${values['dry-run'] ? 'dry run (nothing is written): ' : ''}job ${jobName} on ${env.description}`);
  if (values['dry-run']) {
    for (const line of preview) console.log(line);
    return 0;
  }
  const header = preview.indexOf('');
  for (const line of header === -1 ? preview : preview.slice(0, header)) console.log(line);
  console.log('');
  await env.prepareSink(job.sink);
  try {
    const outcome = await replayJob(request, ctx);
    for (const line of formatReplayOutcome(outcome)) console.log(line);
    if (outcome.scope.mode === 'into') {
      console.log(`  its rows went to ${describeSink(job.sink)}`);
      console.log(`  to go on, start job ${request.intoJobId} as ${jobName} with parameters ${JSON.stringify(parameters)}`);
    }
    return 0;
  } catch (error) {
    if (tty) process.stderr.write('\n');
    console.error(`replay failed: ${message(error)}`);
    console.error('run the same command again (once the cause is fixed, if it needs fixing): the replay continues where it stopped');
    return 4;
  }
}

function batchNumber(flag: string, value: string, min: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < min) fail(usage, `${flag} must be an integer >= ${min}, got ${JSON.stringify(value)}`);
  return n;
}

function message(error: unknown): string {
  return isRefusal(error) || error instanceof JobSpecError ? error.message : describeError(error);
}
