/**
 * `sluice produce <stream|topic>`: writes JSON Lines (a file, or stdin) as records of a
 * Kinesis stream or, with --kafka, a Kafka topic: by default the local runtime's (the
 * stand-ins recorded in <data-dir>/endpoints.json by npm run api or npm start), or a real
 * account's with --aws. The input is checked whole before anything is written
 * (cli/produce-input.ts); the writing is in produce-run.ts.
 */
import { Option, type Command } from 'commander';
import { DEFAULT_DATA_DIR } from '../../local/defaults.js';
import { newCommand, usageError } from '../program.js';
import type { ProduceOptions } from './produce-run.js';

export const PRODUCE_EXIT_CODES =
  'exit codes: 0 every record written, 2 bad arguments, 3 refused before writing anything (bad input, no local runtime, no such stream), 4 failed part way (some records were written; running it again writes them again), 5 no AWS credentials (--aws; nothing was written)';

export function produceCommand(): Command {
  const command = newCommand('produce')
    .usage('<stream|topic> [--file <path.jsonl>] [--key-field <field>] [--kafka] [options]')
    .summary('write JSON Lines as records of a Kinesis stream or a Kafka topic')
    .description(
      [
        'Writes each line of a JSON Lines file (or of stdin) as one record of a Kinesis stream, or with --kafka of a Kafka topic, in batches (Kinesis PutRecords: up to 500 records and 5 MiB a call, refused entries retried).',
        'The record is the line as written; its partition key (Kafka: message key) is the --key-field of the line, else its line number. The whole input is checked first: a line that is not JSON, or has no usable key, refuses it with its line number and nothing is written.',
        "By default the stream or topic is the local runtime's (npm run api, npm start: the stand-ins in <data-dir>/endpoints.json); a missing local stream is created with 4 shards.",
      ].join(' '),
    )
    .argument('<stream|topic>')
    .option('--file <path>', 'the JSON Lines file (default: stdin)')
    .option('--key-field <field>', "the field whose value is each record's partition key (default: the line number)")
    .option('--kafka', 'write to a Kafka topic (locally the mock cluster of npm run api -- --kafka)')
    .option('--data-dir <dir>', `the local runtime's data directory (default $SLUICE_DATA_DIR, else ${DEFAULT_DATA_DIR})`)
    .addOption(
      new Option(
        '--aws',
        "a real account's stream: endpoint, region and credentials from the usual SDK configuration (AWS_REGION, AWS_PROFILE...)",
      ),
    )
    .addOption(new Option('--region <region>', "with --aws (default: the SDK's)"))
    .addOption(new Option('--endpoint <url>', 'with --aws: a Kinesis endpoint of its own (AWS_ENDPOINT_URL_KINESIS works too)'))
    .addOption(new Option('--brokers <list>', 'with --kafka --aws: bootstrap brokers host:port,... of a cluster without authentication'))
    .addHelpText('after', `\n${PRODUCE_EXIT_CODES}`)
    .action(async (target: string, options: ProduceOptions) => {
      const awsOnly = (['region', 'endpoint', 'brokers'] as const).filter((k) => options[k] !== undefined);
      if (!options.aws && awsOnly.length > 0) usageError(command, `--${awsOnly[0]} needs --aws`);
      if (options.aws && options.dataDir !== undefined) usageError(command, '--data-dir and --aws exclude each other');
      if (options.aws && options.kafka && options.brokers === undefined) usageError(command, '--kafka --aws needs --brokers');
      if (!options.kafka && options.brokers !== undefined) usageError(command, '--brokers needs --kafka');
      if (options.kafka && options.endpoint !== undefined) usageError(command, '--endpoint is a Kinesis endpoint: not with --kafka');
      // Loaded when the command runs: the help of every command stays quick to print.
      const { produce } = await import('./produce-run.js');
      process.exit(await produce(target, options));
    });
  return command;
}
