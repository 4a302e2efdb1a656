/** `sluice jobs <command>`: the jobs API from a shell (cli/api-client.ts), one file per command under jobs/. */
import type { Command } from 'commander';
import { newCommand, withHelpCommand } from '../program.js';
import { JOBS_EXIT_CODES } from './jobs/api-options.js';
import { batchesCommand } from './jobs/batches.js';
import { deadLettersCommand } from './jobs/dead-letters.js';
import { listCommand } from './jobs/list.js';
import { resultsCommand } from './jobs/results.js';
import { resumeCommand } from './jobs/resume.js';
import { startCommand } from './jobs/start.js';
import { statusCommand } from './jobs/status.js';
import { stopCommand } from './jobs/stop.js';

export function jobsCommand(): Command {
  return withHelpCommand(newCommand('jobs'))
    .usage('<command> [options]')
    .summary('start, list, follow and stop jobs through the jobs API')
    .description(
      "Start, list, follow and stop jobs through the jobs API: the local one (npm run api) or the deployed stack's (--endpoint, signed with SigV4).",
    )
    .addCommand(startCommand())
    .addCommand(listCommand())
    .addCommand(statusCommand())
    .addCommand(batchesCommand())
    .addCommand(deadLettersCommand())
    .addCommand(resultsCommand())
    .addCommand(stopCommand())
    .addCommand(resumeCommand())
    .addHelpText('after', `\n"sluice jobs <command> --help" shows a command's options.\n\n${JOBS_EXIT_CODES}`);
}
