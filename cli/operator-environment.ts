/**
 * Where the operator commands (sluice replay, sluice checkpoints) find a job's
 * WAL, state and sink: the local runtime on a data directory (the stand-ins of the process
 * that runs it, `npm run api` or `npm start`, found through `<data-dir>/endpoints.json`;
 * when none runs, its stand-ins are started on it for the command), or AWS, with the table and
 * bucket names given and the endpoint, region and credentials from the usual SDK
 * configuration (AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL_DYNAMODB, ...).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { createSinkTable, createStream, destroyAwsClients } from '../engine/adapters/aws/index.js';
import { createAwsPorts, type AwsPorts } from '../engine/adapters/deployed-ports.js';
import { DynamoDbJobRegistry } from '../engine/adapters/aws/dynamodb-job-registry.js';
import { isNotFound } from '../engine/adapters/aws/aws-errors.js';
import { systemClock } from '../engine/adapters/system-clock.js';
import { resolveJob, type JobCatalog } from '../engine/driver/catalog.js';
import { NotFoundError } from '../engine/errors.js';
import type { JsonValue } from '../engine/json.js';
import type { JobDefinition } from '../engine/job/types.js';
import { consoleLogger } from '../local/console-logger.js';
import { readEndpointsFile, type LocalEndpoints } from '../local/endpoints-file.js';
import { LOCAL_RESOURCES, startLocalRuntime } from '../local/runtime.js';
import type { Logger } from '../engine/ports/index.js';
import type { JobRegistry } from '../engine/ports/job-registry.js';
import type { SinkSpec } from '../engine/ports/sink.js';

export type OperatorTarget =
  | { readonly kind: 'local'; readonly dataDir: string }
  | {
      readonly kind: 'aws';
      readonly walTable: string;
      readonly deadLetterTable: string;
      readonly bucket: string;
      readonly statePrefix?: string;
      readonly region?: string;
    };

export interface OperatorEnvironment {
  readonly ports: AwsPorts;
  readonly registry: JobRegistry;
  /** "the local runtime in /path/.sluice" or "AWS: WAL table ..., bucket ...". */
  readonly description: string;
  /** Local: creates the sink's table if missing. AWS: checks that it exists. */
  prepareSink(spec: SinkSpec): Promise<void>;
  close(): Promise<void>;
}

export async function openOperatorEnvironment(
  target: OperatorTarget,
  options: { readonly verbose?: boolean; readonly logger?: Logger } = {},
): Promise<OperatorEnvironment> {
  const logger = options.logger ?? consoleLogger({ quiet: !options.verbose });
  if (target.kind === 'local') {
    const dataDir = resolve(target.dataDir);
    if (!existsSync(dataDir)) {
      throw new NotFoundError(`no local runtime data in ${dataDir}: run npm start first, or pass --data-dir`);
    }
    const running = readEndpointsFile(dataDir);
    if (running.status === 'live') return onRunningStandIns(running.endpoints, logger);
    const runtime = await startLocalRuntime({ dataDir, logger });
    const ports = runtime.ports;
    return {
      ports,
      registry: new DynamoDbJobRegistry({ client: ports.clients.dynamodb, tableName: LOCAL_RESOURCES.walTable }),
      description: `the local runtime in ${dataDir}`,
      async prepareSink(spec) {
        if (spec.type === 'dynamodb') await createSinkTable(ports.clients.dynamodb, spec.tableName);
        // A Kinesis sink's stream on the local stand-in (one shard).
        if (spec.type === 'kinesis') await createStream(ports.clients.kinesis, spec.streamName, 1);
      },
      close: () => runtime.stop(),
    };
  }
  const ports = createAwsPorts({
    ...(target.region === undefined ? {} : { region: target.region }),
    walTable: target.walTable,
    deadLetterTable: target.deadLetterTable,
    bucket: target.bucket,
    ...(target.statePrefix === undefined ? {} : { statePrefix: target.statePrefix }),
    clock: systemClock,
    logger,
  });
  return {
    ports,
    registry: new DynamoDbJobRegistry({ client: ports.clients.dynamodb, tableName: target.walTable }),
    description: `AWS: WAL table ${target.walTable}, dead letters ${target.deadLetterTable}, bucket ${target.bucket}`,
    async prepareSink(spec) {
      if (spec.type !== 'dynamodb') return;
      try {
        await ports.clients.dynamodb.send(new DescribeTableCommand({ TableName: spec.tableName }));
      } catch (error) {
        if (!isNotFound(error)) throw error;
        throw new NotFoundError(`the sink table ${spec.tableName} does not exist: create it first (the CDK stack, or createSinkTable)`);
      }
    },
    async close() {
      destroyAwsClients(ports.clients);
    },
  };
}

/**
 * The ports on the stand-ins another process runs on the data directory (npm run api,
 * npm start): the command works beside it, and closing only closes its own clients.
 */
function onRunningStandIns(endpoints: LocalEndpoints, logger: Logger): OperatorEnvironment {
  const { resources } = endpoints;
  const ports = createAwsPorts({
    region: endpoints.region,
    endpoints: { dynamodb: endpoints.dynamodb, kinesis: endpoints.kinesis, s3: endpoints.s3 },
    ...resources,
    clock: systemClock,
    logger,
    ...(endpoints.kafka === null ? {} : { kafka: { brokers: [...endpoints.kafka.brokers], clientId: 'sluice-operator' } }),
  });
  return {
    ports,
    registry: new DynamoDbJobRegistry({ client: ports.clients.dynamodb, tableName: resources.walTable }),
    description: `the local runtime in ${endpoints.dataDir} (the stand-ins of process ${endpoints.pid}${endpoints.api === null ? '' : `, API ${endpoints.api}`})`,
    async prepareSink(spec) {
      if (spec.type === 'dynamodb') await createSinkTable(ports.clients.dynamodb, spec.tableName);
      if (spec.type === 'kinesis') await createStream(ports.clients.kinesis, spec.streamName, 1);
    },
    async close() {
      destroyAwsClients(ports.clients);
      await ports.kafka?.close();
    },
  };
}

/**
 * The job definition of a job instance, from the catalog: its job name and parameters
 * are the registry's record of the instance, overridden by `jobName` and `parameters`;
 * with no record and no name, the job id itself must name a catalog job.
 */
export async function jobOfInstance(args: {
  readonly jobId: string;
  readonly jobName?: string | undefined;
  readonly parameters: Readonly<Record<string, JsonValue>>;
  readonly registry: JobRegistry;
  readonly catalog: JobCatalog;
}): Promise<{ job: JobDefinition; jobName: string; parameters: Readonly<Record<string, JsonValue>> }> {
  const instance = await args.registry.get(args.jobId);
  const jobName = args.jobName ?? instance?.jobName ?? args.jobId;
  const parameters = {
    ...(args.jobName === undefined || args.jobName === instance?.jobName ? (instance?.parameters ?? {}) : {}),
    ...args.parameters,
  };
  return { job: resolveJob(args.catalog, jobName, parameters), jobName, parameters };
}
