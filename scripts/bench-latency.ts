/**
 * npm run bench:latency [-- --rate 500] [--seconds 20] [--trigger-ms 1000] [--max-records 10000|default] [--search] [--json]
 * Latency under sustained load on the local runtime (bench/latency/).
 */
import { Command } from 'commander';
import { positiveInteger } from '../cli/flag-values.js';

interface Options {
  readonly rate: number;
  readonly seconds: number;
  readonly triggerMs: number;
  readonly search?: boolean;
  readonly keys: number;
  readonly pollMs: number;
  readonly maxRate: number;
  readonly maxRecords: number | 'default';
  readonly keep?: boolean;
  readonly json?: boolean;
}

await new Command('npm run bench:latency --')
  .description(
    'Latency under sustained load: a producer at a fixed rate into kinesalite, a per-key job on an interval trigger through the ' +
      'driver state machines, the sink polled. Prints p50/p95/p99 of event arrival to sink row visible, lag every second and, ' +
      'with --search, the highest sustainable rate (then measures at half of it). Progress on stderr, the report on stdout.',
  )
  .option('--rate <n>', 'records/s: the measured rate, or the first rate the search tries', positiveInteger, 500)
  .option('--seconds <n>', 'seconds the producer runs at each rate', positiveInteger, 20)
  .option('--trigger-ms <n>', "the job's interval trigger", positiveInteger, 1000)
  .option('--search', 'step search for the highest sustainable rate, then measure at half of it')
  .option(
    '--max-records <n|default>',
    "records per shard per batch at most; 'default': the job sets none and gets its trigger's default",
    // 'default' stays a string: commander turns an answer of null into ''.
    (value: string): number | 'default' => (value === 'default' ? value : positiveInteger(value)),
    10_000,
  )
  .option('--keys <n>', 'distinct keys (rows in the sink)', positiveInteger, 64)
  .option('--poll-ms <n>', 'how often the sink table is scanned', positiveInteger, 50)
  .option('--max-rate <n>', 'the highest rate the search tries', positiveInteger, 16_000)
  .option('--keep', 'keep the temporary data directory')
  .option('--json', 'print one JSON object instead of the text report')
  .action(async (o: Options) => {
    try {
      const { runLatencyBench } = await import('../bench/latency/run-latency-bench.js');
      const { formatLatencyReport } = await import('../bench/latency/format-latency.js');
      const report = await runLatencyBench({
        rate: o.rate,
        seconds: o.seconds,
        triggerMs: o.triggerMs,
        search: o.search ?? false,
        keys: o.keys,
        shards: 4,
        pollMs: o.pollMs,
        maxRecordsPerPartition: o.maxRecords === 'default' ? null : o.maxRecords,
        maxRate: o.maxRate,
        keep: o.keep ?? false,
        progress: (line) => process.stderr.write(`${line}\n`),
      });
      console.log(o.json ? JSON.stringify(report, null, 2) : formatLatencyReport(report));
      process.exit(report.measured.exact === true ? 0 : 1);
    } catch (error) {
      console.error(`bench:latency failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      process.exit(3);
    }
  })
  .parseAsync();
