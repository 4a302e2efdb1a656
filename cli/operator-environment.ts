/**
 * Where the operator commands (scripts/replay.ts, scripts/checkpoints.ts) find a job's
 * WAL, state and sink: the local runtime on a data directory (its stand-ins are started
 * on it, so no other process may be using that directory), or AWS, with the table and
 * bucket names given and the endpoint, region and credentials from the usual SDK
 * configuration (AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL_DYNAMODB, ...).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { createAwsPorts, createSinkTable, destroyAwsClients, type AwsPorts } from '../engine/adapters/aws/index.js';
import { DynamoDbJobRegistry } from '../engine/adapters/aws/dynamodb-job-registry.js';
import { isNotFound } from '../engine/adapters/aws/aws-errors.js';
import { systemClock } from '../engine/adapters/system-clock.js';
import { resolveJob, type JobCatalog } from '../engine/driver/catalog.js';
import { InvalidArgumentError, NotFoundError } from '../engine/errors.js';
import type { JsonValue } from '../engine/json.js';
import type { JobDefinition } from '../engine/job/types.js';
import { consoleLogger } from '../local/console-logger.js';
import { DEFAULT_DATA_DIR, LOCAL_RESOURCES, startLocalRuntime } from '../local/runtime.js';
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
    const runtime = await startLocalRuntime({ dataDir, logger });
    const ports = runtime.ports;
    return {
      ports,
      registry: new DynamoDbJobRegistry({ client: ports.clients.dynamodb, tableName: LOCAL_RESOURCES.walTable }),
      description: `the local runtime in ${dataDir}`,
      async prepareSink(spec) {
        if (spec.type === 'dynamodb') await createSinkTable(ports.clients.dynamodb, spec.tableName);
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

/** The command-line options that choose the target (node:util parseArgs). */
export const OPERATOR_TARGET_OPTIONS = {
  'data-dir': { type: 'string' },
  aws: { type: 'boolean', default: false },
  'wal-table': { type: 'string' },
  'dead-letter-table': { type: 'string' },
  bucket: { type: 'string' },
  'state-prefix': { type: 'string' },
  region: { type: 'string' },
} as const;

export const OPERATOR_TARGET_USAGE = `where the job lives (default: the local runtime in ${DEFAULT_DATA_DIR}):
  --data-dir <dir>            the local runtime's data directory (its stand-ins are started on it:
                              stop npm start first)
  --aws                       AWS instead; endpoint, region and credentials from the usual SDK
                              configuration (AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL_DYNAMODB...)
  --wal-table <name>          with --aws (or $SLUICE_WAL_TABLE)
  --dead-letter-table <name>  with --aws (or $SLUICE_DEAD_LETTER_TABLE)
  --bucket <name>             with --aws: the checkpoint bucket (or $SLUICE_CHECKPOINT_BUCKET)
  --state-prefix <prefix>     with --aws: prefix of the state objects (default jobs/)
  --region <region>           with --aws (default: the SDK's)`;

export interface OperatorTargetValues {
  readonly 'data-dir'?: string | undefined;
  readonly aws?: boolean | undefined;
  readonly 'wal-table'?: string | undefined;
  readonly 'dead-letter-table'?: string | undefined;
  readonly bucket?: string | undefined;
  readonly 'state-prefix'?: string | undefined;
  readonly region?: string | undefined;
}

/**
 * The target the options name; throws InvalidArgumentError on a bad combination. The
 * environment variables are the Lambda functions' own (functions/env.ts).
 */
export function operatorTargetOf(values: OperatorTargetValues, env: NodeJS.ProcessEnv, defaultDataDir: string): OperatorTarget {
  const awsOnly = (['wal-table', 'dead-letter-table', 'bucket', 'state-prefix', 'region'] as const).filter((k) => values[k] !== undefined);
  if (!values.aws) {
    if (awsOnly.length > 0) throw new InvalidArgumentError(`--${awsOnly[0]} needs --aws`);
    return { kind: 'local', dataDir: values['data-dir'] ?? defaultDataDir };
  }
  if (values['data-dir'] !== undefined) throw new InvalidArgumentError('--data-dir and --aws exclude each other');
  const named = (flag: 'wal-table' | 'dead-letter-table' | 'bucket', variable: string): string => {
    const value = values[flag] ?? env[variable];
    if (value === undefined || value === '') throw new InvalidArgumentError(`--aws needs --${flag} (or $${variable})`);
    return value;
  };
  return {
    kind: 'aws',
    walTable: named('wal-table', 'SLUICE_WAL_TABLE'),
    deadLetterTable: named('dead-letter-table', 'SLUICE_DEAD_LETTER_TABLE'),
    bucket: named('bucket', 'SLUICE_CHECKPOINT_BUCKET'),
    ...(values['state-prefix'] === undefined ? {} : { statePrefix: values['state-prefix'] }),
    ...(values.region === undefined ? {} : { region: values.region }),
  };
}

/**
 * `name=value` pairs (--param) as catalog parameters: a value that is JSON (a number,
 * true, "quoted") is parsed, anything else is a string.
 */
export function parametersOf(pairs: readonly string[]): Record<string, JsonValue> {
  const parameters: Record<string, JsonValue> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at < 1) throw new InvalidArgumentError(`--param takes name=value, got ${JSON.stringify(pair)}`);
    const raw = pair.slice(at + 1);
    let value: JsonValue = raw;
    try {
      value = JSON.parse(raw) as JsonValue;
    } catch {
      value = raw;
    }
    parameters[pair.slice(0, at)] = value;
  }
  return parameters;
}

/**
 * The job definition of a job instance, from the catalog: its job name and parameters
 * are the registry's record of the instance, overridden by `jobName` and `parameters`;
 * with no record and no name, the job id itself must name a catalog job.
 */
export async function jobOfInstance(
  args: {
    readonly jobId: string;
    readonly jobName?: string | undefined;
    readonly parameters: Readonly<Record<string, JsonValue>>;
    readonly registry: JobRegistry;
    readonly catalog: JobCatalog;
  },
): Promise<{ job: JobDefinition; jobName: string; parameters: Readonly<Record<string, JsonValue>> }> {
  const instance = await args.registry.get(args.jobId);
  const jobName = args.jobName ?? instance?.jobName ?? args.jobId;
  const parameters = { ...(args.jobName === undefined || args.jobName === instance?.jobName ? (instance?.parameters ?? {}) : {}), ...args.parameters };
  return { job: resolveJob(args.catalog, jobName, parameters), jobName, parameters };
}
