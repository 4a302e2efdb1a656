/**
 * npm run bench:state [-- --keys 10000,100000,1000000] [--records 1000] [--json]
 * Executor memory by partition state size (bench/state-scale.ts).
 */
import { parseArgs } from 'node:util';
import { runStateScale, STATE_SCALE_DEFAULTS } from '../bench/state-scale.js';
import { formatStateScaleReport } from '../bench/state-scale-report.js';
import { fail, parseCli, positiveInteger } from '../cli/args.js';

const usage = `usage: npm run bench:state -- [options]

Measures what one executor needs as its partition's keyed state grows: for each state
size N, a committed batch with a snapshot of N keys is planted on the local runtime,
then a fresh process runs the next batch (read, load the state from S3, count, write a
delta or a snapshot, write the sink, commit) and reports its peak RSS, the heap its warm
cache keeps, and the batch time. Progress goes to stderr, the report to stdout.

options:
  --keys <n,n,...>   state sizes, keys per partition (default ${STATE_SCALE_DEFAULTS.keys.join(',')})
  --records <n>      records in the measured batch (default ${STATE_SCALE_DEFAULTS.records})
  --keep             keep the temporary data directory
  --json             print one JSON object instead of the text report
  -h, --help         show this help

exit codes: 0 done, 2 bad arguments, 3 failure`;

const args = parseCli(usage, () =>
  parseArgs({
    options: {
      keys: { type: 'string', default: STATE_SCALE_DEFAULTS.keys.join(',') },
      records: { type: 'string', default: String(STATE_SCALE_DEFAULTS.records) },
      keep: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: false,
  }),
);

const keys = args.values.keys.split(',').map((k) => positiveInteger(usage, '--keys', k.trim()));
const records = positiveInteger(usage, '--records', args.values.records);
if (records > Math.min(...keys)) fail(usage, `--records (${records}) must not exceed the smallest --keys (${Math.min(...keys)}): each record counts an existing key`);

try {
  const report = await runStateScale({ keys, records, keep: args.values.keep, progress: (line) => process.stderr.write(`${line}\n`) });
  console.log(args.values.json ? JSON.stringify(report, null, 2) : formatStateScaleReport(report));
} catch (error) {
  console.error(`bench:state failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(3);
}
