/**
 * `sluice api` (and `npm run api`): the jobs API over HTTP on the local runtime
 * (local/api-runtime.ts), until a signal stops it.
 */
import type { Command } from 'commander';
import { DEFAULT_API_HOST, DEFAULT_API_PORT } from '../../local/defaults.js';
import { DEFAULT_DATA_DIR } from '../../local/defaults.js';
import { integer } from '../flag-values.js';
import type { ApiOptions } from './api-serve.js';
import { newCommand } from '../program.js';

/** `name`: how the usage line calls it (api under sluice; "npm run api --" as the npm script). */
export function apiCommand(name = 'api'): Command {
  return (
    newCommand(name)
      .usage('[options]')
      .summary('serve the jobs API over HTTP on this machine')
      .description(
        [
          'Serves the jobs API over HTTP on this machine: the same Lambda handlers as on AWS, on the local runtime (DynamoDB Local, kinesalite, s3rver), with jobs run by the local driver (the driver state machines in-process).',
          'Jobs that were running when it last stopped resume. Try it with curl, or with the sluice command (npx sluice --help).',
        ].join(' '),
      )
      .option(
        '--data-dir <dir>',
        `the local runtime's data directory (default ${DEFAULT_DATA_DIR}; stop npm start first)`,
        DEFAULT_DATA_DIR,
      )
      .option(
        '--host <host>',
        `the address to listen on (default ${DEFAULT_API_HOST}: this machine only; there is no authorization locally)`,
        DEFAULT_API_HOST,
      )
      .option('--port <port>', `default ${DEFAULT_API_PORT}; 0 picks a free one`, integer({ min: 0, max: 65_535 }), DEFAULT_API_PORT)
      .option('--kafka', "also start librdkafka's mock Kafka cluster (kcat) for jobs reading Kafka")
      .option('--verbose', "log the engine's progress on stderr")
      .addHelpText(
        'after',
        '\nCtrl-C stops it; running jobs stay RUNNING and resume at the next start.\nexit codes: 0 stopped by a signal, 2 bad arguments, 3 could not start',
      )
      // The runtime is loaded when the command runs: the help of every command stays quick to print.
      .action(async (options: ApiOptions) => (await import('./api-serve.js')).serve(options))
  );
}
