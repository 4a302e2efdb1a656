/** `sluice bench` (and `npm run bench`): the engine's benchmark on the local runtime (bench/run-bench.ts). */
import type { Command } from 'commander';
import { formatReport, reportJson } from '../format/bench.js';
import { BENCH_DEFAULTS } from '../../bench/defaults.js';
import { positiveInteger } from '../flag-values.js';
import { newCommand } from '../program.js';

interface BenchOptions {
  readonly events: number;
  readonly recordsPerPartition: number;
  readonly emptyBatches: number;
  readonly keep?: boolean;
  readonly json?: boolean;
}

/** `name`: how the usage line calls it (bench under sluice; "npm run bench --" as the npm script). */
export function benchCommand(name = 'bench'): Command {
  return newCommand(name)
    .usage('[options]')
    .summary('benchmark the engine on the local runtime')
    .description(
      [
        `Benchmarks the engine on the local runtime (DynamoDB Local, kinesalite, s3rver) in a fresh temporary directory: end-to-end records/s of the clickstream job (at ${BENCH_DEFAULTS.recordsPerPartition.toLocaleString('en-US')} records per shard per batch, the cap the engine gives an available-now job that sets none, and at the ${BENCH_DEFAULTS.demoRecordsPerPartition.toLocaleString('en-US')} of the demo), raw Kinesis read records/s, the fixed cost of an empty batch, and the state bytes written to S3 per batch with deltas and with a snapshot every batch.`,
        'Progress goes to stderr, the report to stdout. These are local stand-in figures, not AWS figures.',
      ].join(' '),
    )
    .option(
      '--events <n>',
      `events to write to the 4-shard stream (default ${BENCH_DEFAULTS.events})`,
      positiveInteger,
      BENCH_DEFAULTS.events,
    )
    .option(
      '--records-per-partition <n>',
      `the measured job's records per shard per batch (default ${BENCH_DEFAULTS.recordsPerPartition}, the engine's default for the demo's available-now trigger; the demo's own ${BENCH_DEFAULTS.demoRecordsPerPartition} is measured too)`,
      positiveInteger,
      BENCH_DEFAULTS.recordsPerPartition,
    )
    .option(
      '--empty-batches <n>',
      `empty batches to time, each way (default ${BENCH_DEFAULTS.emptyBatches})`,
      positiveInteger,
      BENCH_DEFAULTS.emptyBatches,
    )
    .option('--keep', 'keep the temporary data directory')
    .option('--json', 'print one JSON object instead of the text report (with npm, use npm run -s bench -- --json so npm prints no header)')
    .addHelpText('after', "\nexit codes: 0 done, 1 the job's sink was not exact, 2 bad arguments, 3 failure")
    .action(async (options: BenchOptions) => {
      try {
        // Loaded when the command runs: the help of every command stays quick to print.
        const { runBench } = await import('../../bench/run-bench.js');
        const report = await runBench({
          events: options.events,
          recordsPerPartition: options.recordsPerPartition,
          emptyBatches: options.emptyBatches,
          keep: options.keep ?? false,
          progress: (line) => process.stderr.write(`${line}\n`),
        });
        console.log(options.json ? reportJson(report) : formatReport(report));
        process.exit(report.endToEnd.exact && report.snapshotEveryBatchRun.exact ? 0 : 1);
      } catch (error) {
        console.error(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        process.exit(3);
      }
    });
}
