/**
 * npm run cost [-- --batches 20] [--json]
 * The cost meter (bench/cost-bench.ts): counts what the driver state machines bill
 * on the local runtime and prints the monthly cost of an always-on job.
 */
import { parseArgs } from 'node:util';
import { runCostBench } from '../bench/cost-bench.js';
import { formatCostReport } from '../bench/cost-report.js';
import { parseCli, positiveInteger } from '../cli/args.js';

const usage = `usage: npm run cost -- [options]

Runs the clickstream job through the driver state machines (Standard parent, Express
child, Lambda handlers in-process) on the local runtime with the cost meter on: state
transitions, Lambda invocations and GB-seconds, DynamoDB capacity units and S3 requests
per batch. Prints the monthly cost of an always-on job at 1 s, 10 s and 60 s triggers,
idle and at 4,000 records/s over 4 shards, beside the naive Standard loop, and the batch
overhead through the state machine. Progress goes to stderr, the report to stdout.

options:
  --batches <n>   empty batches to measure (default 20)
  --json          print one JSON object instead of the text report
  -h, --help      show this help

exit codes: 0 done, 2 bad arguments, 3 failure`;

const args = parseCli(usage, () =>
  parseArgs({
    options: {
      batches: { type: 'string', default: '20' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: false,
  }),
);

try {
  const report = await runCostBench({
    batches: positiveInteger(usage, '--batches', args.values.batches),
    progress: (line) => process.stderr.write(`${line}\n`),
  });
  console.log(args.values.json ? JSON.stringify(report, null, 2) : formatCostReport(report));
} catch (error) {
  console.error(`cost failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(3);
}
