/**
 * What a Lambda container builds once, from its environment (functions/env.ts): the
 * engine's ports on AWS, the job registry, the catalog, the driver settings and, for the
 * supervisor, the driver's executions. Built on the first invocation, not at import, so
 * the local runtime can import the handlers and give them its own.
 */
import { SFNClient } from '@aws-sdk/client-sfn';
import { z } from 'zod';
import type { ControlApiContext, ReadApiContext } from '../engine/api/context.js';
import {
  createAwsClients,
  DynamoDbDeadLetterQueue,
  DynamoDbSink,
  DynamoDbWriteAheadLog,
  S3BlobStore,
  type AwsClients,
} from '../engine/adapters/aws/index.js';
import { s3FileSinkOf } from '../engine/adapters/aws/s3-file-sinks.js';
import { AwsJobTargets, ENGINE_TABLE_USES } from '../engine/adapters/aws/aws-job-targets.js';
import { createAwsPorts } from '../engine/adapters/deployed-ports.js';
import { kafkaConnectionFromEnv } from '../engine/adapters/kafka/kafka-config.js';
import { DynamoDbJobRegistry } from '../engine/adapters/aws/dynamodb-job-registry.js';
import { StepFunctionsDriverExecutions } from '../engine/adapters/aws/step-functions-driver-executions.js';
import { systemClock } from '../engine/adapters/system-clock.js';
import { DEFAULT_DRIVER_SETTINGS, DEFAULT_RESTART_POLICY, checkDriverSettings, checkRestartPolicy } from '../engine/driver/settings.js';
import type { SupervisorContext } from '../engine/driver/supervisor.js';
import type { DriverTaskContext } from '../engine/driver/tasks.js';
import { StateCache } from '../engine/executor/state-cache.js';
import { ConfigurationError } from '../engine/errors.js';
import type { Logger } from '../engine/ports/index.js';
import type { Sink, SinkSpec } from '../engine/ports/sink.js';
import { BlobStateStore } from '../engine/state/blob-state-store.js';
import { parse, type ParseOptions } from '../engine/validation.js';
import { catalog } from '../jobs/catalog.js';
import type { ApiDependencies } from './api.js';
import { ENV } from './env.js';
import { lambdaLogger } from './logger.js';
import { emfMetrics, lambdaContainerMemory, type ContainerMemory, type EngineMetrics } from './metrics.js';

/** What the handlers need; the local runtime supplies its own. */
export interface FunctionDependencies {
  task(): DriverTaskContext;
  supervisor(): SupervisorContext;
  /** Where the Finish and execute tasks and the supervisor report CloudWatch metrics (none locally). */
  readonly metrics?: EngineMetrics;
  /** The executor container's memory against its limit (Lambda's; none locally). */
  readonly containerMemory?: () => ContainerMemory | null;
}

/** One JSON line per log entry, with the invocation's request id (Powertools Logger, functions/logger.ts). */
export const jsonLogger: Logger = lambdaLogger;

let task: DriverTaskContext | undefined;
let supervisor: SupervisorContext | undefined;

export const environmentDependencies: FunctionDependencies = {
  metrics: emfMetrics(process.env[ENV.deployment] ?? 'sluice'),
  containerMemory: () => lambdaContainerMemory(),
  task() {
    if (task !== undefined) return task;
    const env = readEnvironment(process.env);
    const kafka = kafkaConnectionFromEnv(process.env);
    const ports = createAwsPorts({
      ...(kafka ? { kafka } : {}),
      walTable: env.walTable,
      deadLetterTable: env.deadLetterTable,
      bucket: env.checkpointBucket,
      clock: systemClock,
      logger: jsonLogger,
    });
    task = {
      ports,
      registry: new DynamoDbJobRegistry({ client: ports.clients.dynamodb, tableName: env.walTable }),
      catalog,
      settings: env.settings,
      cache: new StateCache(),
    };
    return task;
  },
  supervisor() {
    if (supervisor !== undefined) return supervisor;
    const { ports, registry, catalog: jobs } = this.task();
    const stateMachineArn = required(process.env, ENV.driverStateMachineArn);
    supervisor = {
      registry,
      executions: new StepFunctionsDriverExecutions({ client: new SFNClient({}), stateMachineArn }),
      clock: ports.clock,
      logger: jsonLogger,
      policy: readRestartPolicy(process.env),
      // Parked jobs: the reconcile tick reads their sources and the WAL (engine/driver/parking.ts).
      work: { ports, catalog: jobs },
    };
    return supervisor;
  },
};

/**
 * The jobs API's context on Lambda. `read` (list, status, batches, dead letters, results)
 * gets the registry and the WAL in the WAL table, the dead-letter table, the driver
 * executions' status, and the jobs' sinks read back; `control` (start, stop, resume) the
 * registry, the WAL and the executions plus the state store, to start a job from another's
 * checkpoint, and the job targets' check. Each function is granted exactly what its
 * variables name (infra/constructs/sluice-api.ts). Every variable is required: a missing
 * one fails each request with a 500 naming it (ConfigurationError), never a half-working
 * function.
 */
export function readApiDependencies(): ApiDependencies<ReadApiContext> {
  return lazyApi(() => {
    const { clients, common } = apiCommon();
    const checkpointBucket = required(process.env, ENV.checkpointBucket);
    return {
      ...common,
      deadLetters: new DynamoDbDeadLetterQueue({ client: clients.dynamodb, tableName: required(process.env, ENV.deadLetterTable) }),
      sinks: (spec: SinkSpec) => resultSink(clients, spec, checkpointBucket),
    };
  });
}

/**
 * The sinks GET /jobs/{jobId}/results reads (engine/api/results.ts): a DynamoDB table, or
 * files through their commit log (a file sink without a bucket of its own is in the
 * checkpoint bucket). The function needs dynamodb:Scan on the table, and the log's list
 * and the files' get under the sink's prefix (SluiceApi.grantResultsRead).
 */
function resultSink(clients: AwsClients, spec: SinkSpec, checkpointBucket: string): Sink {
  if (spec.type === 'dynamodb') return new DynamoDbSink({ client: clients.dynamodb, tableName: spec.tableName });
  if (spec.type === 's3files') return s3FileSinkOf(clients.s3, spec, checkpointBucket);
  throw new ConfigurationError(`the jobs API reads DynamoDB and file sinks back, not ${spec.type} sinks`);
}

/**
 * The control function's context: the read function's ports but the dead letters, plus the
 * state store and the job targets' check. The targets are described where the function is
 * granted to (a target it may not describe, or a Kafka topic, is the driver's to find); the
 * engine's own tables it refuses are the WAL table and the dead-letter table, both named
 * by its environment.
 */
export function controlApiDependencies(): ApiDependencies<ControlApiContext> {
  return lazyApi(() => {
    const { clients, common } = apiCommon();
    return {
      ...common,
      state: new BlobStateStore(new S3BlobStore({ client: clients.s3, bucket: required(process.env, ENV.checkpointBucket) })),
      targets: new AwsJobTargets({
        clients,
        engineTables: {
          [required(process.env, ENV.walTable)]: ENGINE_TABLE_USES.walTable,
          [required(process.env, ENV.deadLetterTable)]: ENGINE_TABLE_USES.deadLetterTable,
        },
      }),
    };
  });
}

/** Built on the first request (a bad environment is a request's 500 with the reason, not an INIT crash), then kept. */
function lazyApi<C extends { readonly logger: Logger }>(build: () => C): ApiDependencies<C> {
  let context: C | undefined;
  return { logger: () => jsonLogger, api: () => (context ??= build()) };
}

function apiCommon() {
  const walTable = required(process.env, ENV.walTable);
  const stateMachineArn = required(process.env, ENV.driverStateMachineArn);
  const clients = createAwsClients({});
  const common = {
    registry: new DynamoDbJobRegistry({ client: clients.dynamodb, tableName: walTable }),
    wal: new DynamoDbWriteAheadLog({ client: clients.dynamodb, tableName: walTable }),
    executions: new StepFunctionsDriverExecutions({ client: new SFNClient({}), stateMachineArn }),
    catalog,
    clock: systemClock,
    logger: jsonLogger,
  };
  return { clients, common };
}

/** Problems read "environment variable SLUICE_WAL_TABLE is not set". */
const ENVIRONMENT: ParseOptions = {
  name: 'the environment',
  error: ConfigurationError,
  describe: (p) => `environment variable ${p.field} ${p.message}`,
};

/** An empty variable counts as unset (a template that leaves it blank). */
const unsetWhenEmpty = (value: unknown) => (value === '' ? undefined : value);

const variable = z.preprocess(unsetWhenEmpty, z.string({ error: 'is not set' }));

/** A number given as text; unset: `fallback`. */
function numberVariable(fallback: number, kind: 'number' | 'integer' = 'number') {
  const text = z
    .string()
    .refine((raw) => Number.isFinite(Number(raw)), {
      error: (issue) => `must be a number, got ${JSON.stringify(issue.input)}`,
      abort: true,
    })
    .refine((raw) => kind === 'number' || Number.isSafeInteger(Number(raw)), {
      error: (issue) => `must be an integer, got ${Number(issue.input)}`,
    });
  return z.preprocess(unsetWhenEmpty, text.optional()).transform((raw) => (raw === undefined ? fallback : Number(raw)));
}

const integerVariable = (fallback: number) => numberVariable(fallback, 'integer');

const TaskEnvironment = z.object({
  [ENV.walTable]: variable,
  [ENV.deadLetterTable]: variable,
  [ENV.checkpointBucket]: variable,
  [ENV.childBudgetMs]: integerVariable(DEFAULT_DRIVER_SETTINGS.childBudgetMs),
  [ENV.handBackAfterMs]: integerVariable(DEFAULT_DRIVER_SETTINGS.handBackAfterMs),
  [ENV.childRunsPerGeneration]: integerVariable(DEFAULT_DRIVER_SETTINGS.childRunsPerGeneration),
  [ENV.maxIdleIntervalMs]: integerVariable(DEFAULT_DRIVER_SETTINGS.maxIdleIntervalMs),
  [ENV.idleBackoffFactor]: numberVariable(DEFAULT_DRIVER_SETTINGS.idleBackoffFactor),
  [ENV.parkAfterIdleMs]: integerVariable(DEFAULT_DRIVER_SETTINGS.parkAfterIdleMs),
});

export function readEnvironment(env: NodeJS.ProcessEnv) {
  const e = parse(TaskEnvironment, env, ENVIRONMENT);
  return {
    walTable: e[ENV.walTable],
    deadLetterTable: e[ENV.deadLetterTable],
    checkpointBucket: e[ENV.checkpointBucket],
    settings: checkDriverSettings({
      childBudgetMs: e[ENV.childBudgetMs],
      handBackAfterMs: e[ENV.handBackAfterMs],
      childRunsPerGeneration: e[ENV.childRunsPerGeneration],
      maxIdleIntervalMs: e[ENV.maxIdleIntervalMs],
      idleBackoffFactor: e[ENV.idleBackoffFactor],
      parkAfterIdleMs: e[ENV.parkAfterIdleMs],
    }),
  };
}

const RestartEnvironment = z.object({
  [ENV.maxRestarts]: integerVariable(DEFAULT_RESTART_POLICY.maxRestarts),
  [ENV.restartWindowMs]: integerVariable(DEFAULT_RESTART_POLICY.windowMs),
  [ENV.restartBackoffBaseMs]: integerVariable(DEFAULT_RESTART_POLICY.backoffBaseMs),
  [ENV.restartBackoffMaxMs]: integerVariable(DEFAULT_RESTART_POLICY.backoffMaxMs),
});

export function readRestartPolicy(env: NodeJS.ProcessEnv) {
  const e = parse(RestartEnvironment, env, ENVIRONMENT);
  return checkRestartPolicy({
    maxRestarts: e[ENV.maxRestarts],
    windowMs: e[ENV.restartWindowMs],
    backoffBaseMs: e[ENV.restartBackoffBaseMs],
    backoffMaxMs: e[ENV.restartBackoffMaxMs],
  });
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  return parse(variable, env[name], { ...ENVIRONMENT, name });
}
