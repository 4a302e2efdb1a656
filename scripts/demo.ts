/**
 * npm start [-- --data-dir .sluice] [--events 60000] [--max-records 1000] [--source kinesis|kafka] [--reset] [--no-check]
 * Runs the clickstream demo on the local runtime (see local/demo/run-demo.ts).
 */
import { parseArgs } from 'node:util';
import { runDemo } from '../local/demo/run-demo.js';
import { DEFAULT_CLICKSTREAM } from '../jobs/clickstream/generate.js';
import { CLICKSTREAM_JOB } from '../jobs/clickstream/job.js';
import { DEFAULT_DATA_DIR } from '../local/runtime.js';
import { fail, parseCli, positiveInteger } from '../cli/args.js';

const usage = `usage: npm start -- [options]

Runs the page-views job on the local runtime: writes a synthetic clickstream to a
4-shard Kinesis stream (kinesalite), processes it exactly once through the engine, and
checks the DynamoDB sink against counts computed from the input alone.

options:
  --data-dir <dir>   where the local stand-ins keep their data (default ${DEFAULT_DATA_DIR})
  --events <n>       events to generate (default ${DEFAULT_CLICKSTREAM.events})
  --max-records <n>  rate limit: records per shard per batch (default ${CLICKSTREAM_JOB.maxRecordsPerPartition})
  --source <s>       kinesis (kinesalite, the default) or kafka (a 4-partition topic on
                     librdkafka's mock cluster, through kcat: apt-get install kcat)
  --reset            delete the data directory first
  --no-check         skip the final check
  -h, --help         show this help

exit codes: 0 the sink is exact, 1 the check found differences, 2 bad arguments, 3 failure`;

const args = parseCli(usage, () =>
  parseArgs({
    options: {
      'data-dir': { type: 'string', default: DEFAULT_DATA_DIR },
      events: { type: 'string', default: String(DEFAULT_CLICKSTREAM.events) },
      'max-records': { type: 'string', default: String(CLICKSTREAM_JOB.maxRecordsPerPartition) },
      source: { type: 'string', default: 'kinesis' },
      reset: { type: 'boolean', default: false },
      'no-check': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: false,
  }),
);

const source = args.values.source;
if (source !== 'kinesis' && source !== 'kafka') fail(usage, `--source must be kinesis or kafka, got ${JSON.stringify(source)}`);

try {
  const outcome = await runDemo({
    source,
    dataDir: args.values['data-dir'],
    events: positiveInteger(usage, '--events', args.values.events),
    maxRecordsPerPartition: positiveInteger(usage, '--max-records', args.values['max-records']),
    reset: args.values.reset,
    check: !args.values['no-check'],
    out: (line) => console.log(line),
  });
  process.exit(outcome.ok ? 0 : 1);
} catch (error) {
  console.error(`demo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(3);
}
