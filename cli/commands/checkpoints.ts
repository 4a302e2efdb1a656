/**
 * `sluice checkpoints list|show` (and `npm run checkpoints`): what a job's checkpoints keep
 * (engine/checkpoints/checkpoints.ts), or one partition's or key group's state
 * (engine/checkpoints/state-view.ts), on the local runtime or on AWS. The options both take belong to `checkpoints` itself, so that they may come before
 * or after list or show.
 */
import type { Command } from 'commander';
import { listCheckpoints } from '../../engine/checkpoints/checkpoints.js';
import { showState } from '../../engine/checkpoints/state-view.js';
import { describeError, isRefusal } from '../../engine/errors.js';
import type { AwsPorts } from '../../engine/adapters/deployed-ports.js';
import { MAX_KEY_GROUPS } from '../../engine/protocol/key-groups.js';
import { integer, positiveInteger } from '../flag-values.js';
import { formatCheckpointListing, formatStateView } from '../format/checkpoints.js';
import { runOperatorCommand } from '../operator-command.js';
import { withOperatorTargetOptions, type OperatorTargetValues } from '../operator-target-options.js';
import { newCommand, usageError } from '../program.js';

interface CommonOptions extends OperatorTargetValues {
  readonly job: string;
  readonly json?: boolean;
  readonly verbose?: boolean;
}

interface ShowOptions {
  readonly partition?: string;
  readonly group?: number;
  readonly version?: number;
  readonly limit: number;
  readonly valueChars: number;
}

const EXIT_CODES =
  'exit codes: 0 printed, 2 bad arguments, 3 no such job, partition, key group or version, 4 failure, 5 no AWS credentials (--aws)';

/** `name`: how the usage line calls it (checkpoints under sluice; "npm run checkpoints --" as the npm script). */
export function checkpointsCommand(name = 'checkpoints'): Command {
  const command = newCommand(name)
    .usage('list --job <id> [options]\nshow --job <id> (--partition <p> | --group <g>) [--version <v>] [--limit <n>] [options]')
    .summary("what a job's checkpoints keep, or one partition's or key group's state")
    .description(
      "What a job's checkpoints keep, or one partition's or key group's state, read from the job's write-ahead log and state directly.",
    )
    .requiredOption('--job <id>', 'the job instance (its id in the write-ahead log)')
    .option('--json', 'print JSON instead of text')
    .option('--verbose', "log the engine's progress on stderr");
  withOperatorTargetOptions(command);

  const list = newCommand('list')
    .usage('--job <id> [options]')
    .summary("what the job's checkpoints keep: batches, replays, state versions")
    .description(
      "What the job's checkpoints keep: the batches in the write-ahead log (status, replay generation, job version, key groups, records), its replays and the batches they superseded, and the state versions kept (delta or snapshot, rows, bytes) with the batches whose state they are and the batches that build on them: per key group for a job whose state lives in key groups (with each group's rows and the watermark at which a window is next due), per partition for the others.",
    )
    .action(async (_options: unknown, sub: Command) => {
      const options = sub.optsWithGlobals<CommonOptions>();
      await run(sub, options, async (ports) => {
        const listing = await listCheckpoints(options.job, ports);
        print(options, listing, () => formatCheckpointListing(listing));
      });
    });

  const show = newCommand('show')
    .usage('--job <id> (--partition <p> | --group <g>) [--version <v>] [--limit <n>] [options]')
    .summary("the keys and values of one partition's or key group's state at a version")
    .description(
      "The keys and values (cut to --value-chars) of one partition's or key group's state at a version (default: its state after the latest committed batch).",
    )
    .option('--partition <p>', 'the partition (a shard id, a Kafka partition)')
    .option(
      '--group <g>',
      `the key group, for a job whose state lives in key groups (0 to ${MAX_KEY_GROUPS - 1})`,
      integer({ min: 0, max: MAX_KEY_GROUPS - 1 }),
    )
    .option('--version <v>', 'the state version (0 is the empty state)', integer({ min: 0 }))
    .option('--limit <n>', 'at most this many entries (default 50)', positiveInteger, 50)
    .option('--value-chars <n>', "cut each value's JSON to this many characters (default 120)", positiveInteger, 120)
    .action(async (_options: unknown, sub: Command) => {
      const options = sub.optsWithGlobals<CommonOptions & ShowOptions>();
      if ((options.partition === undefined) === (options.group === undefined)) {
        usageError(sub, 'show needs one of --partition <p> and --group <g>');
      }
      await run(sub, options, async (ports) => {
        const view = await showState(
          {
            jobId: options.job,
            ...(options.partition === undefined ? {} : { partition: options.partition }),
            ...(options.group === undefined ? {} : { group: options.group }),
            ...(options.version === undefined ? {} : { version: options.version }),
            limit: options.limit,
            valueChars: options.valueChars,
          },
          ports,
        );
        print(options, view, () => formatStateView(view));
      });
    });

  for (const sub of [list, show]) sub.addHelpText('after', `\n${EXIT_CODES}`);
  return command
    .addCommand(list)
    .addCommand(show)
    .addHelpText('after', `\n${EXIT_CODES}`)
    .allowExcessArguments()
    .action((_options: unknown, self: Command) =>
      usageError(self, `expected one command, list or show; got ${self.args.length === 0 ? 'none' : self.args.join(' ')}`),
    );
}

/** Opens where the job lives, prints, closes; exits 0, 3 (no such job, partition, key group or version) or 4. */
async function run(command: Command, options: CommonOptions, print: (ports: AwsPorts) => Promise<void>): Promise<never> {
  return runOperatorCommand(
    command,
    options,
    async (env) => {
      await print(env.ports);
      return 0;
    },
    (error) => {
      const notFound = isRefusal(error);
      console.error(`checkpoints: ${notFound ? error.message : describeError(error)}`);
      return notFound ? 3 : 4;
    },
  );
}

function print(options: { readonly json?: boolean }, value: unknown, text: () => string[]): void {
  if (options.json) console.log(JSON.stringify(value, null, 2));
  else for (const line of text()) console.log(line);
}
