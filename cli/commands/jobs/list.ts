/** `sluice jobs list`: the job instances (GET /jobs). */
import type { Command } from 'commander';
import { formatJobList } from '../../format/jobs.js';
import { newCommand } from '../../program.js';
import { clientOf, printAnswer, withApiOptions, type ApiOptions } from './api-options.js';
import { EXIT, runOnApi } from './run-on-api.js';

interface ListOptions extends ApiOptions {
  readonly state?: string;
}

export function listCommand(): Command {
  const command = newCommand('list')
    .usage('[--state RUNNING|STOPPING|STOPPED|FAILED] [options]')
    .summary('list the job instances')
    .description('Lists the job instances (GET /jobs).')
    .option('--state <state>', 'only the instances in this state: RUNNING, STOPPING, STOPPED or FAILED');
  return withApiOptions(command).action(async (options: ListOptions) => {
    const client = clientOf(command, options);
    await runOnApi(client, async () => {
      const answer = await client.listJobs(options.state === undefined ? {} : { state: options.state.toUpperCase() });
      printAnswer(options, answer, () => formatJobList(answer.jobs));
      return EXIT.ok;
    });
  });
}
