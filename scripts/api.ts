/**
 * npm run api [-- --data-dir .sluice] [--port 4810] [--host 127.0.0.1] [--kafka]
 * The jobs API over HTTP on the local runtime (local/api-runtime.ts).
 */
import { parseArgs } from 'node:util';
import { createSinkTable } from '../engine/adapters/aws/index.js';
import { DynamoDbJobRegistry } from '../engine/adapters/aws/dynamodb-job-registry.js';
import { describeError } from '../engine/errors.js';
import { DEFAULT_API_HOST, DEFAULT_API_PORT } from '../local/api-server.js';
import { startLocalApi, type LocalApi } from '../local/api-runtime.js';
import { consoleLogger } from '../local/console-logger.js';
import { DEFAULT_DATA_DIR, LOCAL_RESOURCES, startLocalRuntime, type LocalRuntime } from '../local/runtime.js';
import { catalog } from '../jobs/catalog.js';
import { fail, parseCli } from '../cli/args.js';

const usage = `usage: npm run api -- [options]

Serves the jobs API over HTTP on this machine: the same Lambda handlers as on AWS, on the
local runtime (DynamoDB Local, kinesalite, s3rver), with jobs run by the local driver (the
driver state machines in-process). Jobs that were running when it last stopped resume.
Try it with curl, or with the sluice command (npx sluice --help).

options:
  --data-dir <dir>   the local runtime's data directory (default ${DEFAULT_DATA_DIR}; stop npm start first)
  --host <host>      the address to listen on (default ${DEFAULT_API_HOST}: this machine only; there is
                     no authorization locally)
  --port <port>      default ${DEFAULT_API_PORT}; 0 picks a free one
  --kafka            also start librdkafka's mock Kafka cluster (kcat) for jobs reading Kafka
  --verbose          log the engine's progress on stderr
  -h, --help         show this help

Ctrl-C stops it; running jobs stay RUNNING and resume at the next start.
exit codes: 0 stopped by a signal, 2 bad arguments, 3 could not start`;

const { values } = parseCli(usage, () =>
  parseArgs({
    options: {
      'data-dir': { type: 'string', default: DEFAULT_DATA_DIR },
      host: { type: 'string', default: DEFAULT_API_HOST },
      port: { type: 'string', default: String(DEFAULT_API_PORT) },
      kafka: { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    allowPositionals: false,
  }),
);
const port = Number(values.port);
if (!/^\d{1,5}$/.test(values.port) || port > 65_535) fail(usage, `--port must be 0 to 65535, got ${JSON.stringify(values.port)}`);

let runtime: LocalRuntime | undefined;
let api: LocalApi | undefined;
try {
  const logger = consoleLogger({ quiet: !values.verbose });
  console.log(`starting the local runtime in ${values['data-dir']}${values.kafka ? " (with librdkafka's mock Kafka cluster)" : ''}`);
  runtime = await startLocalRuntime({ dataDir: values['data-dir'], logger, kafka: values.kafka });
  const ports = runtime.ports;
  api = await startLocalApi({
    ports,
    registry: new DynamoDbJobRegistry({ client: ports.clients.dynamodb, tableName: LOCAL_RESOURCES.walTable }),
    catalog,
    host: values.host,
    port,
    // The supervisor's reconcile schedule (every 5 minutes on AWS).
    driver: { reconcileEveryMs: 30_000 },
    prepareJob: async (job) => {
      if (job.sink.type === 'dynamodb') await createSinkTable(ports.clients.dynamodb, job.sink.tableName);
    },
  });
} catch (error) {
  console.error(`could not start the local API: ${describeError(error)}`);
  await runtime?.stop();
  process.exit(3);
}

console.log(`sluice jobs API on ${api.url} (the local runtime in ${runtime.dataDir})`);
for (const job of api.resumed) console.log(`  resumed job ${job.jobId}: driver execution ${job.executionName}`);
console.log(`  curl -s ${api.url}/jobs`);
console.log(`  npx sluice jobs list${api.url === `http://${DEFAULT_API_HOST}:${DEFAULT_API_PORT}` ? '' : ` --endpoint ${api.url}`}`);
console.log('Ctrl-C stops it (running jobs resume at the next start)');

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping the API, the driver and the local runtime`);
  try {
    await api?.close();
    await runtime?.stop();
    console.log('stopped');
    process.exit(0);
  } catch (error) {
    console.error(`stopping failed: ${describeError(error)}`);
    process.exit(1);
  }
};
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
