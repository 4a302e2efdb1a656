/**
 * `sluice smoke` (and `npm run smoke`): the step after `cdk deploy`. It runs the catalog's
 * smoke job (jobs/smoke/job.ts) through the deployed jobs API on a stream and a table it
 * creates, checks that the sink holds exactly the counts of the records it produced, stops
 * the job and deletes the stream and the table. The stages are in smoke-run.ts.
 */
import type { Command } from 'commander';
import { DEFAULT_DATA_DIR } from '../../local/defaults.js';
import { SMOKE_JOB } from '../../jobs/smoke/settings.js';
import { positiveInteger } from '../flag-values.js';
import { newCommand, usageError } from '../program.js';
import type { SmokeOptions } from './smoke-run.js';

export const SMOKE_EXIT_CODES = [
  'exit codes: 0 passed (and cleaned up), 2 bad arguments, 3 no jobs API (the stack, its ApiUrl output, or the API itself),',
  '4 could not create the stream or the table (or they exist: an earlier run left them; delete them first), 5 no AWS credentials,',
  '6 the start was refused, 7 producing the records failed, 8 the results were not exact in time (or the job failed),',
  '9 the job did not stop in time, 10 passed, but deleting the stream or the table failed.',
  'After a failure the job is stopped and the stream and table are deleted all the same (unless --keep).',
].join('\n');

export function smokeCommand(name = 'smoke'): Command {
  const command = newCommand(name)
    .usage('--stack <name> [options]\n--endpoint <url> [options]')
    .summary('run a tiny job through a deployed stack and check its results')
    .description(
      [
        `Runs after cdk deploy: creates a Kinesis stream and a DynamoDB table named ${SMOKE_JOB.name} (--name), starts the catalog's smoke job on them through the jobs API,`,
        "writes records to the stream, waits until the job's results (GET /jobs/{id}/results) are exactly the count of records per key, stops the job,",
        'and deletes the stream and the table. The job instance stays in the registry, STOPPED (the API deletes no instance).',
        "On AWS the stream and the table are created with the SDK's credentials and region; with a local API (npm run api) on the local runtime's stand-ins.",
      ].join(' '),
    )
    .option('--stack <name>', 'the deployed stack: the jobs API is its ApiUrl output (CloudFormation DescribeStacks)')
    .option('--endpoint <url>', 'the jobs API itself, instead of --stack (a local one: npm run api)')
    .option('--region <region>', "the stack's region (default: the endpoint's, else $AWS_REGION)")
    .option(
      '--name <name>',
      `the stream and the table (default ${SMOKE_JOB.name}: the stack grants the smoke job that one; another needs sluice:jobParameters {"smoke":[{"name":"..."}]})`,
      SMOKE_JOB.name,
    )
    .option('--records <n>', 'records to produce (default 100)', positiveInteger, 100)
    .option('--timeout <seconds>', 'for the results to be exact (default 300)', positiveInteger, 300)
    .option('--keep', 'keep the stream and the table, to look into them (the job is stopped all the same)')
    .option(
      '--data-dir <dir>',
      `with a local API: the local runtime's data directory, whose stand-ins hold the stream and table (default $SLUICE_DATA_DIR, else ${DEFAULT_DATA_DIR})`,
    )
    .addHelpText('after', `\n${SMOKE_EXIT_CODES}`)
    .action(async (options: SmokeOptions) => {
      if ((options.stack === undefined) === (options.endpoint === undefined))
        usageError(command, 'give one of --stack <name> or --endpoint <url>');
      if (options.endpoint !== undefined) {
        let url: URL | undefined;
        try {
          url = new URL(options.endpoint);
        } catch {
          usageError(command, `--endpoint must be a URL, got ${JSON.stringify(options.endpoint)}`);
        }
        if (url.protocol !== 'http:' && url.protocol !== 'https:')
          usageError(command, `--endpoint must be an http or https URL, got ${JSON.stringify(options.endpoint)}`);
      }
      // A Kinesis stream name and a DynamoDB table name both (the stricter of the two: a table's 3 characters, a stream's 128).
      if (!/^[A-Za-z0-9_.-]{3,128}$/.test(options.name))
        usageError(command, `--name must be 3 to 128 letters, digits, _, . or -, got ${JSON.stringify(options.name)}`);
      // Loaded when the command runs: the help of every command stays quick to print.
      const { smoke } = await import('./smoke-run.js');
      process.exit(await smoke(options));
    });
  return command;
}
