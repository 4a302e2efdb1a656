/**
 * `sluice bench state` (and `npm run bench:state`): executor memory by partition state
 * size (bench/state-scale.ts).
 */
import type { Command } from 'commander';
import { STATE_SCALE_DEFAULTS } from '../../bench/defaults.js';
import { integerList, positiveInteger } from '../flag-values.js';
import { newCommand, usageError } from '../program.js';

interface BenchStateOptions {
  readonly keys: readonly number[];
  readonly records: number;
  readonly keep?: boolean;
  readonly json?: boolean;
}

/** `name`: how the usage line calls it (state under sluice bench; "npm run bench:state --" as the npm script). */
export function benchStateCommand(name = 'state'): Command {
  const command = newCommand(name)
    .usage('[options]')
    .summary('executor memory by partition state size')
    .description(
      [
        "Measures what one executor needs as its partition's keyed state grows: for each state size N, a committed batch with a snapshot of N keys is planted on the local runtime, then a fresh process runs the next batch (read, load the state from S3, count, write a delta or a snapshot, write the sink, commit) and reports its peak RSS, the heap its warm cache keeps, and the batch time.",
        'Progress goes to stderr, the report to stdout.',
      ].join(' '),
    )
    .option(
      '--keys <n,n,...>',
      `state sizes, keys per partition (default ${STATE_SCALE_DEFAULTS.keys.join(',')})`,
      integerList({ min: 1 }),
      [...STATE_SCALE_DEFAULTS.keys],
    )
    .option(
      '--records <n>',
      `records in the measured batch (default ${STATE_SCALE_DEFAULTS.records})`,
      positiveInteger,
      STATE_SCALE_DEFAULTS.records,
    )
    .option('--keep', 'keep the temporary data directory')
    .option('--json', 'print one JSON object instead of the text report')
    .addHelpText('after', '\nexit codes: 0 done, 2 bad arguments, 3 failure');
  return command.action(async (options: BenchStateOptions) => {
    const { keys, records } = options;
    if (records > Math.min(...keys))
      usageError(
        command,
        `--records (${records}) must not exceed the smallest --keys (${Math.min(...keys)}): each record counts an existing key`,
      );
    try {
      // Loaded when the command runs: the help of every command stays quick to print.
      const { runStateScale } = await import('../../bench/state-scale.js');
      const { formatStateScaleReport } = await import('../format/state-scale.js');
      const report = await runStateScale({
        keys,
        records,
        keep: options.keep ?? false,
        progress: (line) => process.stderr.write(`${line}\n`),
      });
      console.log(options.json ? JSON.stringify(report, null, 2) : formatStateScaleReport(report));
    } catch (error) {
      console.error(`bench:state failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      process.exit(3);
    }
  });
}
