/**
 * The driver on Step Functions: the Lambda functions of functions/, the Standard driver
 * and its Express batches child (definitions in infra/state-machines/, deployed with
 * DefinitionSubstitutions for the function ARNs), and the supervisor with its EventBridge
 * rule (driver executions that FAILED, TIMED_OUT or were ABORTED) and its reconcile schedule.
 *
 * Reads as a script: functions (each grant next to the environment variable naming its
 * resource), state machines, supervisor wiring.
 */
import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { DriverSettings, RestartPolicy } from '../../engine/driver/settings.js';
import { ENV } from '../../functions/env.js';
import { PLACEHOLDERS, batchesDefinition, driverDefinition } from '../state-machines/definitions.js';
import { DRIVER_FUNCTIONS, type DriverFunction, type FunctionSpec } from '../state-machines/functions.js';
import { environmentOf } from './driver-environment.js';
import { eventDeadLetterQueue } from './event-dead-letter-queue.js';
import { grantFileSink, type FileSinkLocation } from './file-sink-grants.js';
import { acknowledgeOn, acknowledgeWildcards } from './nag-acknowledgements.js';
import { sluiceFunction } from './sluice-function.js';
import type { SluiceKafkaAccess } from './sluice-sources.js';
import type { SluiceStorage } from './sluice-storage.js';

/** What the supervisor calls on a source stream to see whether a parked job has work: KinesisSourceReader's listPartitions and a one-record read. */
export const SUPERVISOR_STREAM_ACTIONS = ['kinesis:ListShards', 'kinesis:GetShardIterator', 'kinesis:GetRecords'] as const;

/** The statuses of a driver execution that the supervisor restarts after. */
export const RESTART_ON_STATUSES = ['FAILED', 'TIMED_OUT', 'ABORTED'] as const;

export interface SluiceDriverProps {
  readonly storage: SluiceStorage;
  /** Settings of the driver (functions/env.ts); unset ones take the engine's defaults. */
  readonly settings?: Partial<DriverSettings>;
  readonly restartPolicy?: Partial<RestartPolicy>;
  /**
   * Kinesis streams the jobs of the catalog read (the planner lists their shards, the executors read them).
   * @default - none
   */
  readonly sourceStreams?: readonly kinesis.IStream[];
  /**
   * DynamoDB sink tables the jobs of the catalog write.
   * @default - none
   */
  readonly sinkTables?: readonly dynamodb.ITable[];
  /**
   * Kinesis streams the jobs of the catalog write (kinesisSink): the executors of both
   * stages are granted kinesis:PutRecords on them (and encryption with the stream's key,
   * when it has one), nothing else.
   * @default - none
   */
  readonly sinkStreams?: readonly kinesis.IStream[];
  /**
   * Kafka topics the jobs of the catalog write (kafkaSink), on the `kafka` cluster: the
   * executors of both stages run in its VPC with its connection, and are granted what
   * writing needs (SluiceKafkaAccess.grantWrite), nothing more.
   * @default - none
   */
  readonly sinkTopics?: readonly string[];
  /**
   * DynamoDB tables the jobs of the catalog write late records to (JobSpec.lateRecords):
   * stage 1 (the execute function, which also runs one-stage batches) writes them.
   * @default - none
   */
  readonly lateRecordTables?: readonly dynamodb.ITable[];
  /**
   * Where the jobs' file sinks (s3FileSink) write: the executors put files under each
   * prefix, Finish and Plan commit its log (file-sink-grants.ts).
   * @default - none
   */
  readonly sinkFiles?: readonly FileSinkLocation[];
  /**
   * DynamoDB tables the jobs' lookup stages read (Stream.lookup): the executors are
   * granted dynamodb:BatchGetItem on them, and nothing else.
   * @default - none
   */
  readonly lookupTables?: readonly dynamodb.ITable[];
  /**
   * The Kafka cluster the jobs read (SluiceSources): the plan and execute functions run in
   * its VPC, with its connection in their environment and the kafka-cluster grants; with
   * `sinkTopics`, the execute-groups function too (it writes them).
   * @default - no Kafka
   */
  readonly kafka?: SluiceKafkaAccess | null;
  /**
   * The name of the deployment in the engine's metrics (their Deployment dimension).
   * @default - the stack name
   */
  readonly deployment?: string;
  /**
   * How often the supervisor reconciles (restarts a job that should run and has no live driver,
   * and wakes a parked job whose source has data: the longest wake-up delay of a parked job).
   * @default Duration.minutes(5)
   */
  readonly reconcileEvery?: Duration;
  /**
   * How long function and state machine logs are kept.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

export class SluiceDriver extends Construct {
  public readonly functions: Readonly<Record<DriverFunction, nodejs.NodejsFunction>>;
  /** The Standard driver: one execution per job generation, `<jobId>-<generation>`. */
  public readonly driver: sfn.StateMachine;
  /** The Express child that runs micro-batches for a few minutes. */
  public readonly batches: sfn.StateMachine;
  /** Driver executions that ended FAILED, TIMED_OUT or ABORTED → the supervisor. */
  public readonly restartRule: events.Rule;
  public readonly reconcileSchedule: events.Rule;
  /** Events of both rules that EventBridge could not deliver to the supervisor (SluiceMonitoring alarms on it). */
  public readonly supervisorDeadLetters: sqs.Queue;

  constructor(scope: Construct, id: string, props: SluiceDriverProps) {
    super(scope, id);
    const retention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    const { storage } = props;
    const stack = Stack.of(this);

    // 1. Functions, each with what it touches, next to the environment variable naming it:
    //    the control tasks and the executors of partitions the engine's storage (grantEngine),
    //    the planner and those executors the jobs' streams, every executor the jobs' sinks;
    //    on a two-stage batch stage 1 writes the exchange, stage 2 reads it (with no more than
    //    it needs: grantStageTwo), Route touches nothing, Finish deletes a committed batch's objects.
    const settingsEnv = environmentOf(props.settings, props.restartPolicy);
    const kafka = props.kafka ?? null;
    const sinkTopics = props.sinkTopics ?? [];
    if (sinkTopics.length > 0 && kafka === null) {
      throw new Error(
        `sinks.topics (${sinkTopics.join(', ')}) needs the Kafka cluster they are on: give sources.kafka (context sluice:kafka)`,
      );
    }
    // Kafka sinks: both stages send messages (a keyed job's rows are written by stage 2).
    const writesKafka = (name: DriverFunction) => sinkTopics.length > 0 && (name === 'execute' || name === 'executeGroups');
    // The supervisor stays out of the Kafka VPC (it calls Step Functions, which the VPC's gateway
    // endpoints do not reach): it checks parked Kinesis jobs' streams, and wakes parked Kafka jobs unchecked.
    const readsKafka = (name: DriverFunction) => kafka !== null && (name === 'plan' || name === 'execute' || writesKafka(name));
    const make = (name: DriverFunction) =>
      sluiceFunction(this, `${name[0]!.toUpperCase()}${name.slice(1)}Function`, DRIVER_FUNCTIONS[name], {
        logRetention: retention,
        logGroupId: `${name}Logs`,
        environment: settingsEnv,
        ...(readsKafka(name) ? { network: kafka!.network } : {}),
      });
    const functions = {
      startGeneration: make('startGeneration'),
      plan: make('plan'),
      execute: make('execute'),
      route: make('route'),
      executeGroups: make('executeGroups'),
      finish: make('finish'),
      endGeneration: make('endGeneration'),
      supervisor: make('supervisor'),
    };
    this.functions = functions;
    for (const name of ['startGeneration', 'plan', 'execute', 'route', 'executeGroups', 'finish', 'endGeneration'] as const) {
      // Every task function builds the engine's ports from these names; the grants below say what it may do.
      const fn = functions[name];
      fn.addEnvironment(ENV.walTable, storage.walTable.tableName);
      fn.addEnvironment(ENV.deadLetterTable, storage.deadLetterTable.tableName);
      fn.addEnvironment(ENV.checkpointBucket, storage.checkpointBucket.bucketName);
    }
    for (const name of ['startGeneration', 'plan', 'execute', 'finish', 'endGeneration'] as const) storage.grantEngine(functions[name]);
    storage.grantExchange(functions.execute, 'write');
    storage.grantStageTwo(functions.executeGroups);
    storage.grantExchange(functions.finish, 'delete');
    for (const stream of props.sourceStreams ?? []) {
      for (const fn of [functions.plan, functions.execute]) stream.grantRead(fn);
      // The supervisor's check of a parked job (engine/driver/parking.ts): list the shards, read one record after the commit.
      stream.grant(functions.supervisor, ...SUPERVISOR_STREAM_ACTIONS);
      stream.encryptionKey?.grantDecrypt(functions.supervisor);
    }
    for (const table of props.sinkTables ?? []) {
      table.grantReadWriteData(functions.execute);
      // Stage 2 only puts rows (DynamoDbSink: conditional puts, alone or in a transaction).
      table.grant(functions.executeGroups, 'dynamodb:PutItem');
    }
    // Kinesis sinks: both stages put records (a keyed job's rows are written by stage 2), stage 1 also late records.
    for (const stream of props.sinkStreams ?? []) {
      for (const fn of [functions.execute, functions.executeGroups]) {
        stream.grant(fn, 'kinesis:PutRecords');
        stream.encryptionKey?.grantEncrypt(fn);
      }
    }
    for (const location of props.sinkFiles ?? []) {
      grantFileSink(location.bucket ?? storage.checkpointBucket, location.prefix, {
        writers: [functions.execute, functions.executeGroups],
        committers: [functions.plan, functions.finish],
      });
    }
    // Late records are decided and written by stage 1 (or a one-stage executor) only.
    for (const table of props.lateRecordTables ?? []) table.grantReadWriteData(functions.execute);
    // Lookups: stage 1 (or the one stage) reads the tables and keeps what it read per batch; the commit's retention deletes it.
    for (const table of props.lookupTables ?? []) table.grant(functions.execute, 'dynamodb:BatchGetItem');
    storage.grantLookupRecords(functions.execute, 'write');
    storage.grantLookupRecords(functions.finish, 'delete');
    if (kafka !== null) {
      for (const fn of [functions.plan, functions.execute]) {
        for (const [name, value] of Object.entries(kafka.environment)) fn.addEnvironment(name, value);
        kafka.grantRead(fn);
      }
      if (sinkTopics.length > 0) {
        for (const [name, value] of Object.entries(kafka.environment)) functions.executeGroups.addEnvironment(name, value);
        for (const fn of [functions.execute, functions.executeGroups]) kafka.grantWrite(fn, sinkTopics);
      }
    }
    // The engine's metrics (functions/metrics.ts): the Finish task per batch, the executors their memory, the supervisor per restart.
    for (const fn of [functions.execute, functions.executeGroups, functions.finish, functions.supervisor])
      fn.addEnvironment(ENV.deployment, props.deployment ?? stack.stackName);

    // 2. State machines. The child first: the driver's definition names it.
    const substitutions: Record<string, string> = {};
    for (const [name, spec] of Object.entries(DRIVER_FUNCTIONS) as [DriverFunction, FunctionSpec][]) {
      if (spec.placeholder !== undefined) substitutions[spec.placeholder] = functions[name].functionArn;
    }
    this.batches = new sfn.StateMachine(this, 'Batches', {
      stateMachineType: sfn.StateMachineType.EXPRESS,
      comment: 'Sluice: micro-batches for a few minutes (Express, at-least-once; every step idempotent)',
      definitionBody: sfn.DefinitionBody.fromString(JSON.stringify(batchesDefinition())),
      definitionSubstitutions: substitutions,
      tracingEnabled: true,
      // ERROR, not ALL: at a 1 s trigger, ALL would log ~10 events a second per job and
      // cost more in CloudWatch Logs than the whole driver.
      logs: { destination: this.logGroup('BatchesLogs', retention), level: sfn.LogLevel.ERROR, includeExecutionData: false },
    });
    const batchesInvokes = (['plan', 'execute', 'route', 'executeGroups', 'finish'] as const).map((name) => functions[name]);
    for (const fn of batchesInvokes) fn.grantInvoke(this.batches);
    acknowledgeWildcards(this.batches.role, [{ resource: '*', reason: STATE_MACHINE_STAR_REASON }, ...invokeVersions(batchesInvokes)]);
    acknowledgeOn(this.batches, [
      {
        id: 'AwsSolutions-SF1',
        reason:
          'The Express batches child logs ERROR only: at a 1 s trigger, ALL would log ~10 events a second per job, more CloudWatch cost than the whole driver. The Standard driver logs ALL.',
      },
    ]);

    // The driver starts its next generation (continue-as-new) by its own ARN: a fixed
    // name gives that ARN without a dependency cycle.
    const driverName = `${stack.stackName}-driver`;
    const driverArn = stack.formatArn({
      service: 'states',
      resource: 'stateMachine',
      resourceName: driverName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const driverExecutionsArn = stack.formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${driverName}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    this.driver = new sfn.StateMachine(this, 'Driver', {
      stateMachineName: driverName,
      stateMachineType: sfn.StateMachineType.STANDARD,
      comment: 'Sluice: the supervised driver of one job instance, one execution per generation',
      definitionBody: sfn.DefinitionBody.fromString(JSON.stringify(driverDefinition())),
      definitionSubstitutions: { ...substitutions, [PLACEHOLDERS.batchesStateMachine]: this.batches.stateMachineArn },
      tracingEnabled: true,
      logs: { destination: this.logGroup('DriverLogs', retention), level: sfn.LogLevel.ALL, includeExecutionData: true },
    });
    const driverInvokes = [functions.startGeneration, functions.endGeneration];
    for (const fn of driverInvokes) fn.grantInvoke(this.driver);
    // RunBatches: startExecution.sync:2 of the child (it polls through a managed EventBridge rule).
    this.batches.grantStartExecution(this.driver);
    const batchesExecutions = stack.formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${this.batches.stateMachineName}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    this.driver.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['states:DescribeExecution', 'states:StopExecution'], resources: [batchesExecutions] }),
    );
    this.driver.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['events:PutTargets', 'events:PutRule', 'events:DescribeRule'],
        resources: [
          stack.formatArn({ service: 'events', resource: 'rule', resourceName: 'StepFunctionsGetEventsForStepFunctionsExecutionRule' }),
        ],
      }),
    );
    // ContinueAsNew: start the next generation of itself.
    this.driver.addToRolePolicy(new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: [driverArn] }));
    acknowledgeWildcards(this.driver.role, [
      { resource: '*', reason: STATE_MACHINE_STAR_REASON },
      ...invokeVersions(driverInvokes),
      {
        resource: batchesExecutions,
        reason:
          'startExecution.sync:2 polls and may stop the executions of the batches state machine only; their names are generated at run time.',
      },
    ]);

    // 3. Supervisor: the registry (in the WAL table) and the driver's executions.
    const supervisor = functions.supervisor;
    supervisor.addEnvironment(ENV.walTable, storage.walTable.tableName);
    storage.walTable.grantReadWriteData(supervisor);
    supervisor.addEnvironment(ENV.deadLetterTable, storage.deadLetterTable.tableName);
    supervisor.addEnvironment(ENV.checkpointBucket, storage.checkpointBucket.bucketName);
    supervisor.addEnvironment(ENV.driverStateMachineArn, this.driver.stateMachineArn);
    supervisor.addToRolePolicy(new iam.PolicyStatement({ actions: ['states:StartExecution'], resources: [driverArn] }));
    supervisor.addToRolePolicy(new iam.PolicyStatement({ actions: ['states:DescribeExecution'], resources: [driverExecutionsArn] }));
    acknowledgeWildcards(supervisor.role, [
      {
        resource: driverExecutionsArn,
        reason:
          'The supervisor describes executions of the driver state machine only; their names (<jobId>-<generation>) are known at run time.',
      },
    ]);

    // Events EventBridge could not deliver after its retries land here, not nowhere.
    this.supervisorDeadLetters = eventDeadLetterQueue(this, 'SupervisorDeadLetters', "the supervisor's EventBridge targets");
    const deadLetterQueue = this.supervisorDeadLetters;

    this.restartRule = new events.Rule(this, 'RestartRule', {
      description: 'Sluice: a driver execution failed, timed out or was aborted: the supervisor restarts it',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: { status: [...RESTART_ON_STATUSES], stateMachineArn: [this.driver.stateMachineArn] },
      },
      targets: [new targets.LambdaFunction(supervisor, { retryAttempts: 8, maxEventAge: Duration.hours(2), deadLetterQueue })],
    });
    this.reconcileSchedule = new events.Rule(this, 'ReconcileSchedule', {
      description: 'Sluice: restart every job that should run and has no live driver (EventBridge delivery is best effort)',
      schedule: events.Schedule.rate(props.reconcileEvery ?? Duration.minutes(5)),
      targets: [new targets.LambdaFunction(supervisor, { retryAttempts: 2, deadLetterQueue })],
    });
  }

  private logGroup(id: string, retention: logs.RetentionDays): logs.LogGroup {
    return new logs.LogGroup(this, id, { retention });
  }
}

/**
 * What a state machine with tracing and logging is granted on every resource (the CDK adds
 * it): X-Ray's and CloudWatch Logs delivery's actions support no resource-level permissions.
 */
const STATE_MACHINE_STAR_REASON =
  'X-Ray tracing (xray:PutTraceSegments, xray:PutTelemetryRecords, xray:GetSamplingRules, xray:GetSamplingTargets) and the delivery of ' +
  'its execution logs to its log group (logs:CreateLogDelivery, logs:GetLogDelivery, logs:UpdateLogDelivery, logs:DeleteLogDelivery, ' +
  'logs:ListLogDeliveries, logs:PutResourcePolicy, logs:DescribeResourcePolicies, logs:DescribeLogGroups) support no resource-level permissions.';

/** grantInvoke's `<arn>:*` (the function's versions and aliases), acknowledged for each function a state machine invokes. */
function invokeVersions(fns: readonly lambda.IFunction[]): { resource: string; reason: string }[] {
  return fns.map((fn) => ({
    resource: `${fn.functionArn}:*`,
    reason: 'grantInvoke covers the function and its versions and aliases (<arn>:*): the state machine invokes this function only.',
  }));
}
