/** The body of `sluice api` (cli/commands/api.ts): the local runtime and the jobs API on it, until a signal stops it. */
import { DynamoDbJobRegistry } from '../../engine/adapters/aws/dynamodb-job-registry.js';
import { describeError } from '../../engine/errors.js';
import { catalog } from '../../jobs/catalog.js';
import { startLocalApi, type LocalApi } from '../../local/api-runtime.js';
import { consoleLogger } from '../../local/console-logger.js';
import { describeEndpoints } from '../../local/endpoints-file.js';
import { localJobPreparer } from '../../local/prepare-job.js';
import { RecoveryTimes } from '../../local/recovery-times.js';
import { LOCAL_RESOURCES, startLocalRuntime, type LocalRuntime } from '../../local/runtime.js';
import { DEFAULT_API_HOST, DEFAULT_API_PORT } from '../../local/defaults.js';

export interface ApiOptions {
  readonly dataDir: string;
  readonly host: string;
  readonly port: number;
  readonly kafka?: boolean;
  readonly verbose?: boolean;
}

export async function serve(options: ApiOptions): Promise<void> {
  const kafka = options.kafka ?? false;
  let runtime: LocalRuntime | undefined;
  let api: LocalApi | undefined;
  let recovery: RecoveryTimes;
  try {
    const logger = consoleLogger({ quiet: !options.verbose });
    console.log(`starting the local runtime in ${options.dataDir}${kafka ? " (with librdkafka's mock Kafka cluster)" : ''}`);
    const startedAt = Date.now();
    runtime = await startLocalRuntime({ dataDir: options.dataDir, logger, kafka });
    const standInsMs = Date.now() - startedAt;
    console.log(`  stand-ins up in ${standInsMs} ms`);
    // A job resumed below reports its recovery: this start to its first committed batch.
    recovery = new RecoveryTimes({ startedAt, standInsMs, report: (jobId, line) => console.log(`  resumed job ${jobId}: ${line}`) });
    const ports = runtime.ports;
    api = await startLocalApi({
      ports,
      registry: new DynamoDbJobRegistry({ client: ports.clients.dynamodb, tableName: LOCAL_RESOURCES.walTable }),
      catalog,
      host: options.host,
      port: options.port,
      // The supervisor's reconcile schedule (every 5 minutes on AWS).
      driver: { reconcileEveryMs: 30_000, observer: recovery.observer },
      // Locally only: the job's source stream or topic and its sink tables are created when missing.
      prepareJob: localJobPreparer(ports, (line) => console.log(line)),
    });
    await runtime.publishApi(api.url);
  } catch (error) {
    console.error(`could not start the local API: ${describeError(error)}`);
    await runtime?.stop();
    process.exit(3);
  }

  console.log(`sluice jobs API on ${api.url} (the local runtime in ${runtime.dataDir})`);
  for (const line of describeEndpoints(runtime.endpoints)) console.log(line);
  for (const job of api.resumed) console.log(`  resumed job ${job.jobId}: driver execution ${job.executionName}`);
  recovery.report(api.resumed.map((job) => job.jobId));
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
}
