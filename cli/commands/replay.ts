/**
 * `sluice replay` (and `npm run replay`): replays a job's committed batches N+1..M with the
 * job definition in code now (engine/replay/replay-job.ts), on the local runtime or on AWS.
 */
import type { Command } from 'commander';
import { JobSpecError, isRefusal } from '../../engine/errors.js';
import type { ReplayRequest } from '../../engine/replay/replay-types.js';
import { integer, parameter } from '../flag-values.js';
import { runOperatorCommand } from '../operator-command.js';
import { withOperatorTargetOptions } from '../operator-target-options.js';
import { newCommand } from '../program.js';
import { replayErrorMessage as message } from './replay-messages.js';
import type { ReplayOptions } from './replay-run.js';

const DESCRIPTION = [
  'Re-runs the committed batches N+1..M of a job with the job definition in code now (after fixing a bug in it, say), from the state after batch N. Each batch reads exactly the records its first run read.',
  "In place, the replayed batches replace batches N+1..M in the write-ahead log (the replaced ones are archived) and their rows replace the old rows in the sink; the job's driver must be stopped, and can resume after batch M. With --into, a new job instance starts from a copy of batch N and its state, and the job's own WAL, state and sink are left as they are.",
  "With --regroup, the state after batch N is re-sliced into the key groups the job's code declares (keyGroups): the only way to change the layout of a checkpoint's state, from state kept per partition, or from another number of key groups (into a new job only). A key that several partitions kept a share of is merged with the aggregate's merge; without one, the regroup is refused. Without --regroup, code that declares another layout than the checkpoint's is refused.",
  "The instance the replay writes for (the job itself, or the new job) must own the job's sinks in the job registry: a sink another instance owns is refused, and --force takes it over from a stopped or failed one. With --into, name another sink with --param (sinkTable=... for page-views), or the new job would write the source job's sink.",
  'A replay that fails is finished by running the same command again (with --regroup when it had it). docs/replay.md has the details.',
].join('\n\n');

const EXIT_CODES = `exit codes: 0 replayed (or dry run printed), 2 bad arguments, 3 refused (the job, the batch
or the job version does not allow it; nothing was written), 4 failed part way (run the same
command again to finish it), 5 no AWS credentials (--aws)`;

/** `name`: how the usage line calls it (replay under sluice; "npm run replay --" as the npm script). */
export function replayCommand(name = 'replay'): Command {
  const command = newCommand(name)
    .usage('--job <id> --from-batch <N> [--to-batch <M>] [--into <new job id>] [--regroup] [--force] [--dry-run] [options]')
    .summary("replay a job's committed batches with the job definition in code now")
    .description(DESCRIPTION)
    .requiredOption('--job <id>', 'the job instance to replay (its id in the write-ahead log)')
    .requiredOption('--from-batch <N>', 'start from the state after batch N (0: from the empty state)', integer({ min: 0 }))
    .option('--to-batch <M>', 'the last batch to replay (default: the latest committed batch)', integer({ min: 1 }))
    .option('--into <new job id>', 'replay into a new job instance instead of in place')
    .option(
      '--regroup',
      "re-slice the state after batch N into the key groups the job declares (the only way to change a checkpoint's layout)",
    )
    .option(
      '--force',
      "take the job's sinks over from the stopped or failed instance that owns them (without it, a sink another instance owns is refused)",
    )
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
        ...(options.regroup === true ? { regroup: true } : {}),
        ...(options.force === true ? { force: true } : {}),
      };
      return runOperatorCommand(
        command,
        options,
        // The replay is loaded when the command runs: the help of every command stays quick to print.
        async (env) => (await import('./replay-run.js')).replay(env, request, options),
        (error) => {
          // Thrown before the replay wrote anything: a refusal, or the environment failed.
          const refused = isRefusal(error) || error instanceof JobSpecError;
          console.error(`replay ${refused ? 'refused' : 'failed'}: ${message(error)}`);
          return refused ? 3 : 4;
        },
      );
    });
}
