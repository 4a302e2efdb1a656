/**
 * `sluice cost` (and `npm run cost`): the cost meter (bench/cost-bench.ts) counts what the
 * driver state machines bill on the local runtime and prints the monthly cost of an
 * always-on job.
 */
import { type Command, Option } from 'commander';
import { DYNAMODB_SINK_WRITES, type DynamoDbSinkWrites } from '../../engine/ports/sink.js';
import { formatCostReport } from '../format/cost.js';
import { positiveInteger } from '../flag-values.js';
import { newCommand } from '../program.js';

interface CostOptions {
  readonly batches: number;
  readonly json?: boolean;
  readonly lambdasAtOnce?: boolean;
  readonly sinkWrites: DynamoDbSinkWrites;
}

/** `name`: how the usage line calls it (cost under sluice; "npm run cost --" as the npm script). */
export function costCommand(name = 'cost'): Command {
  return newCommand(name)
    .usage('[options]')
    .summary('the monthly cost of an always-on job, counted on the local runtime')
    .description(
      [
        'Runs the clickstream job through the driver state machines (Standard parent, Express child, Lambda handlers in-process) on the local runtime with the cost meter on: state transitions, Lambda invocations and GB-seconds, DynamoDB capacity units and S3 requests per batch.',
        'Prints the monthly cost of an always-on job at 1 s, 10 s and 60 s triggers, idle and at 4,000 records/s over 4 shards, beside the naive Standard loop, and the batch overhead through the state machine.',
        'Progress goes to stderr, the report to stdout.',
      ].join(' '),
    )
    .option('--batches <n>', 'empty batches to measure (default 20)', positiveInteger, 20)
    .option('--json', 'print one JSON object instead of the text report')
    .option(
      '--lambdas-at-once',
      'time the in-process Lambda calls as the driver runs them, executors at once on one event loop (by default each runs alone, as on Lambda)',
    )
    .addOption(
      new Option(
        '--sink-writes <mode>',
        "how the demo's rows go to its sink table: transactions (the default; 2 WRU a row, a round trip per 100 rows) or puts (one conditional put a row, 1 WRU)",
      )
        .choices(DYNAMODB_SINK_WRITES)
        .default('transactions'),
    )
    .addHelpText('after', '\nexit codes: 0 done, 2 bad arguments, 3 failure')
    .action(async (options: CostOptions) => {
      try {
        // Loaded when the command runs: the help of every command stays quick to print.
        const { runCostBench } = await import('../../bench/cost-bench.js');
        const report = await runCostBench({
          batches: options.batches,
          progress: (line) => process.stderr.write(`${line}\n`),
          lambdaTiming: options.lambdasAtOnce ? 'at-once' : 'one-at-a-time',
          sinkWrites: options.sinkWrites,
        });
        console.log(options.json ? JSON.stringify(report, null, 2) : formatCostReport(report));
      } catch (error) {
        console.error(`cost failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        process.exit(3);
      }
    });
}
