/**
 * npm run bench:recovery [-- --keys 100000] [--records 200] [--runs 3] [--kill-at ExecuteKeyGroups] [--warm-up] [--cpu-prof <dir>] [--json]
 * Recovery time after kill -9 of the local runtime during a batch (bench/recovery/).
 */
import { Command } from 'commander';
import { integer, positiveInteger } from '../cli/flag-values.js';

interface Options {
  readonly keys: number;
  readonly records: number;
  readonly runs: number;
  readonly killAt: string;
  readonly killAfterMs: number;
  readonly keep?: boolean;
  readonly cpuProf?: string;
  readonly warmUp?: boolean;
  readonly json?: boolean;
}

await new Command('npm run bench:recovery --')
  .description(
    'Recovery time: kill -9 the local runtime while a batch over one key group of --keys keys of state runs, restart it on the same ' +
      'data, and time the driver restart to its first committed batch (stand-in start-up reported apart). Progress on stderr, the report on stdout.',
  )
  .option('--keys <n>', 'state keys in the one key group', positiveInteger, 100_000)
  .option(
    '--records <n>',
    'records the killed batch reads (each a sink row to write again: keep it small to time the recovery, not the sink)',
    positiveInteger,
    200,
  )
  .option('--runs <n>', 'kill and restart this many times, each in a fresh directory', positiveInteger, 3)
  .option(
    '--kill-at <state>',
    'the batch state whose start the kill waits for: ExecutePartition, Route, ExecuteKeyGroups or Finish',
    'ExecuteKeyGroups',
  )
  .option('--kill-after-ms <n>', 'then wait this long before the kill', integer({ min: 0 }), 0)
  .option('--keep', 'keep the data directories')
  .option(
    '--warm-up',
    "warm the stand-ins up before the driver's restart (cold DynamoDB Local runs its first requests slowly); the warm-up is reported apart",
  )
  .option('--cpu-prof <dir>', 'write a V8 CPU profile of each resuming process into this directory (node --cpu-prof)')
  .option('--json', 'print one JSON object instead of the text report')
  .action(async (o: Options) => {
    try {
      const { runRecoveryBench } = await import('../bench/recovery/run-recovery-bench.js');
      const { formatRecoveryReport } = await import('../bench/recovery/format-recovery.js');
      const report = await runRecoveryBench({
        keys: o.keys,
        records: o.records,
        runs: o.runs,
        killAt: o.killAt,
        killAfterMs: o.killAfterMs,
        keep: o.keep ?? false,
        warmUp: o.warmUp ?? false,
        ...(o.cpuProf === undefined ? {} : { cpuProfDir: o.cpuProf }),
        progress: (line) => process.stderr.write(`${line}\n`),
      });
      console.log(o.json ? JSON.stringify(report, null, 2) : formatRecoveryReport(report));
      process.exit(report.exact ? 0 : 1);
    } catch (error) {
      console.error(`bench:recovery failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      process.exit(3);
    }
  })
  .parseAsync();
