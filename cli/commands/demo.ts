/**
 * `sluice demo` (and `npm start`): the clickstream demo on the local runtime
 * (local/demo/run-demo.ts).
 */
import { Option, type Command } from 'commander';
import { DEFAULT_CLICKSTREAM } from '../../jobs/clickstream/generate.js';
import { CLICKSTREAM_JOB } from '../../jobs/clickstream/settings.js';
import { DEFAULT_DATA_DIR } from '../../local/defaults.js';
import { positiveInteger } from '../flag-values.js';
import { newCommand } from '../program.js';

interface DemoOptions {
  readonly dataDir: string;
  readonly events: number;
  readonly maxRecords: number;
  readonly source: 'kinesis' | 'kafka';
  readonly sink: 'dynamodb' | 's3' | 'kinesis';
  readonly reset?: boolean;
  /** false with --no-check. */
  readonly check: boolean;
}

const DEFAULT_MAX_RECORDS = CLICKSTREAM_JOB.maxRecordsPerPartition ?? 1_000;

/** `name`: how the usage line calls it (demo under sluice; "npm start --" as the npm script). */
export function demoCommand(name = 'demo'): Command {
  return newCommand(name)
    .usage('[options]')
    .summary('run the clickstream demo on the local runtime')
    .description(
      'Runs the page-views job on the local runtime: writes a synthetic clickstream to a 4-shard Kinesis stream (kinesalite), processes it exactly once through the engine, and checks the DynamoDB sink against counts computed from the input alone.',
    )
    .option('--data-dir <dir>', `where the local stand-ins keep their data (default ${DEFAULT_DATA_DIR})`, DEFAULT_DATA_DIR)
    .option('--events <n>', `events to generate (default ${DEFAULT_CLICKSTREAM.events})`, positiveInteger, DEFAULT_CLICKSTREAM.events)
    .option(
      '--max-records <n>',
      `rate limit: records per shard per batch (default ${DEFAULT_MAX_RECORDS})`,
      positiveInteger,
      DEFAULT_MAX_RECORDS,
    )
    .addOption(
      new Option(
        '--source <s>',
        "kinesis (kinesalite, the default) or kafka (a 4-partition topic on librdkafka's mock cluster, through kcat: apt-get install kcat)",
      )
        .choices(['kinesis', 'kafka'])
        .default('kinesis'),
    )
    .addOption(
      new Option(
        '--sink <s>',
        'dynamodb (a table on DynamoDB Local, the default), s3 (Parquet files with a commit log on s3rver, read back with an independent Parquet reader) or kinesis (records with deterministic ids on a kinesalite stream, read back and deduplicated by id)',
      )
        .choices(['dynamodb', 's3', 'kinesis'])
        .default('dynamodb'),
    )
    .option('--reset', 'delete the data directory first')
    .option('--no-check', 'skip the final check')
    .addHelpText('after', '\nexit codes: 0 the sink is exact, 1 the check found differences, 2 bad arguments, 3 failure')
    .action(async (options: DemoOptions) => {
      try {
        // Loaded when the command runs: the help of every command stays quick to print.
        const { runDemo } = await import('../../local/demo/run-demo.js');
        const outcome = await runDemo({
          source: options.source,
          sink: options.sink,
          dataDir: options.dataDir,
          events: options.events,
          maxRecordsPerPartition: options.maxRecords,
          reset: options.reset ?? false,
          check: options.check,
          out: (line) => console.log(line),
        });
        process.exit(outcome.ok ? 0 : 1);
      } catch (error) {
        console.error(`demo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        process.exit(3);
      }
    });
}
