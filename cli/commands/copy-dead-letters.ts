/**
 * `sluice copy-dead-letters` (and `npm run copy-dead-letters`): copies a dead-letter
 * table's letters of the layout before bundles into bundles, then deletes the old items
 * (local/dead-letter-copy.ts), on the local runtime or on AWS. Safe to stop at any point:
 * running it again finishes the copy, with no letter lost or listed twice.
 */
import type { Command } from 'commander';
import { describeError, isRefusal } from '../../engine/errors.js';
import { positiveInteger } from '../flag-values.js';
import { runOperatorCommand } from '../operator-command.js';
import { operatorTargetOf, withOperatorTargetOptions, type OperatorTargetValues } from '../operator-target-options.js';
import { newCommand } from '../program.js';

interface CopyOptions extends OperatorTargetValues {
  readonly job?: string;
  readonly dryRun?: boolean;
  readonly lettersPerPut: number;
  readonly verbose?: boolean;
}

const DESCRIPTION = [
  'Copies the dead letters a table holds in the layout before bundles (one item per letter, which the readers skip) into bundles, the layout the engine writes and reads, then deletes the old items.',
  'An old item is deleted only after the bundle that holds its letter is written: if the copy stops part way (killed, throttled, no network), run the same command again; no letter is lost, and none is listed twice. Items of the old layout that are not letters are left as they are and listed.',
].join('\n\n');

const EXIT_CODES = `exit codes: 0 copied (or dry run printed), 2 bad arguments, 3 refused (no local runtime data
in the data directory; nothing was copied), 4 failed part way (run the same command again to finish),
5 no AWS credentials (--aws)`;

/** `name`: how the usage line calls it (copy-dead-letters under sluice; "npm run copy-dead-letters --" as the npm script). */
export function copyDeadLettersCommand(name = 'copy-dead-letters'): Command {
  const command = newCommand(name)
    .usage('[--job <id>] [--dry-run] [options]')
    .summary('copy dead letters of the layout before bundles into bundles')
    .description(DESCRIPTION)
    .option('--job <id>', "only this job instance's letters (default: every job's, a scan of the table)")
    .option('--dry-run', 'count the letters to copy, per job; write and delete nothing')
    .option('--letters-per-put <n>', 'letters written (and their old items deleted) per step (default 500)', positiveInteger, 500)
    .option('--verbose', "log the engine's progress on stderr");
  return withOperatorTargetOptions(command)
    .addHelpText('after', `\n${EXIT_CODES}`)
    .action(async (options: CopyOptions) =>
      runOperatorCommand(
        command,
        options,
        async (env) => {
          // Loaded when the command runs: the help of every command stays quick to print.
          const { copyOldDeadLetters } = await import('../../local/dead-letter-copy.js');
          const target = operatorTargetOf(options, process.env);
          const tableName =
            target.kind === 'aws' ? target.deadLetterTable : (await import('../../local/runtime.js')).LOCAL_RESOURCES.deadLetterTable;
          const report = await copyOldDeadLetters({
            client: env.ports.clients.dynamodb,
            tableName,
            queue: env.ports.deadLetters,
            lettersPerPut: options.lettersPerPut,
            ...(options.job === undefined ? {} : { jobId: options.job }),
            ...(options.dryRun ? { dryRun: true } : {}),
            onProgress: (p) => {
              if (options.verbose) console.error(`copied ${p.copied} letters`);
            },
          });
          const jobs = Object.entries(report.letters).sort(([a], [b]) => a.localeCompare(b));
          console.log(`${env.description}, dead-letter table ${tableName}`);
          if (jobs.length === 0) console.log('no letters of the layout before bundles');
          for (const [jobId, n] of jobs) console.log(`  ${jobId}: ${n} letters ${options.dryRun ? 'to copy' : 'copied'}`);
          if (!options.dryRun) console.log(`copied ${report.copied} letters into bundles; their old items are deleted`);
          for (const s of report.skipped) console.log(`  left as it is, not a letter: pk ${s.pk}, sk ${s.sk} (${s.why})`);
          return 0;
        },
        (error) => {
          if (isRefusal(error)) {
            console.error(`copy-dead-letters refused: ${error.message}`);
            return 3;
          }
          console.error(`copy-dead-letters failed: ${describeError(error)}; run the same command again to finish the copy`);
          return 4;
        },
      ),
    );
}
