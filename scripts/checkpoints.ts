/**
 * npm run checkpoints -- list --job <id>
 * npm run checkpoints -- show --job <id> --partition <p> [--version <v>] [--limit <n>]
 * Lists what a job's checkpoints keep, or shows one partition's state
 * (engine/checkpoints/checkpoints.ts), on the local runtime or on AWS.
 */
import { parseArgs } from 'node:util';
import { listCheckpoints, showState } from '../engine/checkpoints/checkpoints.js';
import { formatCheckpointListing, formatStateView } from '../cli/format/checkpoints.js';
import { describeError, isRefusal } from '../engine/errors.js';
import { DEFAULT_DATA_DIR } from '../local/runtime.js';
import {
  OPERATOR_TARGET_OPTIONS,
  OPERATOR_TARGET_USAGE,
  openOperatorEnvironment,
  operatorTargetOf,
  type OperatorEnvironment,
} from '../cli/operator-environment.js';
import { fail, parseCli, positiveInteger } from '../cli/args.js';

const usage = `usage: npm run checkpoints -- list --job <id> [options]
       npm run checkpoints -- show --job <id> --partition <p> [--version <v>] [--limit <n>] [options]

list   what the job's checkpoints keep: the batches in the write-ahead log (status,
       replay generation, job version, records), its replays and the batches they
       superseded, and per partition the state versions kept (delta or snapshot, rows,
       bytes) with the batches whose state they are and the batches that build on them
show   the keys and values (cut to --value-chars) of one partition's state at a version
       (default: its state after the latest committed batch)

options:
  --job <id>            the job instance (its id in the write-ahead log)
  --partition <p>       show: the partition (a shard id)
  --version <v>         show: the state version (0 is the empty state)
  --limit <n>           show: at most this many entries (default 50)
  --value-chars <n>     show: cut each value's JSON to this many characters (default 120)
  --json                print JSON instead of text
  --verbose             log the engine's progress on stderr
  -h, --help            show this help

${OPERATOR_TARGET_USAGE}

exit codes: 0 printed, 2 bad arguments, 3 no such job, partition or version, 4 failure`;

const args = parseCli(usage, () =>
  parseArgs({
    options: {
      job: { type: 'string' },
      partition: { type: 'string' },
      version: { type: 'string' },
      limit: { type: 'string', default: '50' },
      'value-chars': { type: 'string', default: '120' },
      json: { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
      ...OPERATOR_TARGET_OPTIONS,
    },
    allowPositionals: true,
  }),
);

const { values, positionals } = args;
const command = positionals[0];
if (positionals.length !== 1 || (command !== 'list' && command !== 'show')) {
  fail(usage, `expected one command, list or show; got ${positionals.length === 0 ? 'none' : positionals.join(' ')}`);
}
if (values.job === undefined) fail(usage, '--job is required');
const jobId = values.job;
if (command === 'show' && values.partition === undefined) fail(usage, 'show needs --partition');
if (command === 'list' && (values.partition !== undefined || values.version !== undefined)) {
  fail(usage, '--partition and --version go with show');
}
const version = values.version === undefined ? undefined : versionNumber(values.version);
const limit = positiveInteger(usage, '--limit', values.limit);
const valueChars = positiveInteger(usage, '--value-chars', values['value-chars']);
const target = (() => {
  try {
    return operatorTargetOf(values, process.env, DEFAULT_DATA_DIR);
  } catch (error) {
    return fail(usage, error instanceof Error ? error.message : String(error));
  }
})();

let env: OperatorEnvironment | undefined;
let code = 0;
try {
  env = await openOperatorEnvironment(target, { verbose: values.verbose });
  const ports = env.ports;
  if (command === 'list') {
    const listing = await listCheckpoints(jobId, ports);
    print(listing, () => formatCheckpointListing(listing));
  } else {
    const view = await showState({ jobId, partition: values.partition!, ...(version === undefined ? {} : { version }), limit, valueChars }, ports);
    print(view, () => formatStateView(view));
  }
} catch (error) {
  const notFound = isRefusal(error);
  console.error(`checkpoints: ${notFound ? error.message : describeError(error)}`);
  code = notFound ? 3 : 4;
} finally {
  await env?.close();
}
process.exit(code);

function print(value: unknown, text: () => string[]): void {
  if (values.json) console.log(JSON.stringify(value, null, 2));
  else for (const line of text()) console.log(line);
}

function versionNumber(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n)) fail(usage, `--version must be an integer >= 0, got ${JSON.stringify(value)}`);
  return n;
}
