/**
 * `sluice replay` (and `npm run replay`): replays a job's committed batches N+1..M with the
 * job definition in code now (engine/replay/replay-job.ts), on the local runtime or on AWS.
 */
import type { Command } from 'commander';
import { JobSpecError, describeError, isRefusal } from '../../engine/errors.js';
import type { JsonValue } from '../../engine/json.js';
import { previewReplay, replayJob } from '../../engine/replay/replay-job.js';
import type { ReplayContext, ReplayRequest } from '../../engine/replay/replay-types.js';
import { catalog } from '../../jobs/catalog.js';
import { integer, parameter } from '../flag-values.js';
import { describeSink, formatReplayOutcome, formatReplayPreview, formatReplayProgress } from '../format/replay.js';
import { runOperatorCommand } from '../operator-command.js';
import { jobOfInstance, type OperatorEnvironment } from '../operator-environment.js';
import { withOperatorTargetOptions, type OperatorTargetValues } from '../operator-target-options.js';
import { newCommand } from '../program.js';

interface ReplayOptions extends OperatorTargetValues {
  readonly job: string;
  readonly fromBatch: number;
  readonly toBatch?: number;
  readonly into?: string;
  readonly dryRun?: boolean;
  readonly jobName?: string;
  readonly param: Readonly<Record<string, JsonValue>>;
  readonly verbose?: boolean;
}

const DESCRIPTION = [
  'Re-runs the committed batches N+1..M of a job with the job definition in code now (after fixing a bug in it, say), from the state after batch N. Each batch reads exactly the records its first run read.',
  "In place, the replayed batches replace batches N+1..M in the write-ahead log (the replaced ones are archived) and their rows replace the old rows in the sink; the job's driver must be stopped, and can resume after batch M. With --into, a new job instance starts from a copy of batch N and its state, and the job's own WAL, state and sink are left as they are.",
  'A replay that fails is finished by running the same command again. docs/replay.md has the details.',
].join('\n\n');

const EXIT_CODES = `exit codes: 0 replayed (or dry run printed), 2 bad arguments, 3 refused (the job, the batch
or the job version does not allow it; nothing was written), 4 failed part way (run the same
command again to finish it)`;

/** `name`: how the usage line calls it (replay under sluice; "npm run replay --" as the npm script). */
export function replayCommand(name = 'replay'): Command {
  const command = newCommand(name)
    .usage('--job <id> --from-batch <N> [--to-batch <M>] [--into <new job id>] [--dry-run] [options]')
    .summary("replay a job's committed batches with the job definition in code now")
    .description(DESCRIPTION)
    .requiredOption('--job <id>', 'the job instance to replay (its id in the write-ahead log)')
    .requiredOption('--from-batch <N>', 'start from the state after batch N (0: from the empty state)', integer({ min: 0 }))
    .option('--to-batch <M>', 'the last batch to replay (default: the latest committed batch)', integer({ min: 1 }))
    .option('--into <new job id>', 'replay into a new job instance instead of in place')
    .option('--dry-run', 'print what would be read and written, per batch and partition; write nothing')
    .option('--job-name <name>', "the job in jobs/catalog.ts (default: the job registry's record of the instance, else the job id itself)")
    .option(
      '--param <name=value>',
      'a catalog parameter of the job (repeatable), e.g. --param sinkTable=other points the page-views job at another sink table',
      parameter,
      {},
    )
    .option('--verbose', "log the engine's progress on stderr");
  return withOperatorTargetOptions(command)
    .addHelpText('after', `\n${EXIT_CODES}`)
    .action(async (options: ReplayOptions) => {
      const request: ReplayRequest = {
        jobId: options.job,
        fromBatchId: options.fromBatch,
        ...(options.toBatch === undefined ? {} : { toBatchId: options.toBatch }),
        ...(options.into === undefined ? {} : { intoJobId: options.into }),
      };
      return runOperatorCommand(
        command,
        options,
        (env) => replay(env, request, options),
        (error) => {
          // Thrown before the replay wrote anything: a refusal, or the environment failed.
          const refused = isRefusal(error) || error instanceof JobSpecError;
          console.error(`replay ${refused ? 'refused' : 'failed'}: ${message(error)}`);
          return refused ? 3 : 4;
        },
      );
    });
}

async function replay(env: OperatorEnvironment, request: ReplayRequest, options: ReplayOptions): Promise<number> {
  // The job definition the source job runs (the registry's record, else its id), with --job-name and --param.
  const { job, jobName, parameters } = await jobOfInstance({
    jobId: request.jobId,
    jobName: options.jobName,
    parameters: options.param,
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
  console.log(`${options.dryRun ? 'dry run (nothing is written): ' : ''}job ${jobName} on ${env.description}`);
  if (options.dryRun) {
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

function message(error: unknown): string {
  return isRefusal(error) || error instanceof JobSpecError ? error.message : describeError(error);
}
