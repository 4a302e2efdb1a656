/**
 * npm run bench [-- --events 60000] [--empty-batches 20] [--keep] [--json]
 * Measures the engine on the local runtime (see bench/run-bench.ts).
 */
import { parseArgs } from 'node:util';
import { BENCH_DEFAULTS, runBench } from '../bench/run-bench.js';
import { formatReport, reportJson } from '../bench/report.js';
import { parseCli, positiveInteger } from '../cli/args.js';

const usage = `usage: npm run bench -- [options]

Benchmarks the engine on the local runtime (DynamoDB Local, kinesalite, s3rver) in a
fresh temporary directory: end-to-end records/s of the clickstream job, raw Kinesis read
records/s, the fixed cost of an empty batch, and the state bytes written to S3 per batch
with deltas and with a snapshot every batch. Progress goes to stderr, the report to stdout.
These are local stand-in figures, not AWS figures.

options:
  --events <n>          events to write to the 4-shard stream (default ${BENCH_DEFAULTS.events})
  --empty-batches <n>   empty batches to time, each way (default ${BENCH_DEFAULTS.emptyBatches})
  --keep                keep the temporary data directory
  --json                print one JSON object instead of the text report (with npm,
                        use npm run -s bench -- --json so npm prints no header)
  -h, --help            show this help

exit codes: 0 done, 1 the job's sink was not exact, 2 bad arguments, 3 failure`;

const args = parseCli(usage, () =>
  parseArgs({
    options: {
      events: { type: 'string', default: String(BENCH_DEFAULTS.events) },
      'empty-batches': { type: 'string', default: String(BENCH_DEFAULTS.emptyBatches) },
      keep: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: false,
  }),
);

const events = positiveInteger(usage, '--events', args.values.events);
const emptyBatches = positiveInteger(usage, '--empty-batches', args.values['empty-batches']);

try {
  const report = await runBench({
    events,
    emptyBatches,
    keep: args.values.keep,
    progress: (line) => process.stderr.write(`${line}\n`),
  });
  console.log(args.values.json ? reportJson(report) : formatReport(report));
  process.exit(report.endToEnd.exact && report.snapshotEveryBatchRun.exact ? 0 : 1);
} catch (error) {
  console.error(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(3);
}
