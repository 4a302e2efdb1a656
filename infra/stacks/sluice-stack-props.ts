/**
 * The Sluice stack's props, in a file of their own: the stack (sluice-stack.ts) and the
 * settings it reads from CDK context (infra/context.ts) both use them, and neither imports
 * the other's module for it.
 */
import type { StackProps } from 'aws-cdk-lib';
import type { JobCatalog } from '../../engine/driver/catalog.js';
import type { DeployedParameters } from '../catalog-grants.js';
import type { SluiceApiProps } from '../constructs/sluice-api.js';
import type { SluiceDriverProps } from '../constructs/sluice-driver.js';
import type { SluiceMonitoringProps } from '../constructs/sluice-monitoring.js';
import type { SluiceSourcesProps } from '../constructs/sluice-sources.js';
import type { SluiceStorageProps } from '../constructs/sluice-storage.js';

export interface SluiceSinksProps {
  /**
   * Existing DynamoDB tables the jobs write, by name (the executors are granted read and write on them).
   * @default - none
   */
  readonly tables?: readonly string[];
  /**
   * Sink tables the stack creates, by name (DynamoDbSink's key schema; on demand, encrypted,
   * point-in-time recovery, kept when the stack is deleted unless `storage.removalPolicy` says otherwise).
   * @default - none
   */
  readonly createTables?: readonly string[];
  /**
   * Existing DynamoDB tables the jobs' late records go to (JobSpec.lateRecords), by name.
   * Only the executors of stage 1 (and of one-stage batches) write late records: they are
   * granted read and write, stage 2 nothing.
   * @default - none
   */
  readonly lateRecordTables?: readonly string[];
  /**
   * Late-records tables the stack creates, by name (as `createTables`).
   * @default - none
   */
  readonly createLateRecordTables?: readonly string[];
  /**
   * Existing Kinesis streams the jobs write (kinesisSink), each by name (in the stack's
   * account and region) or by ARN. The executors of both stages are granted
   * kinesis:PutRecords on them, and nothing else (a stream encrypted with a customer key
   * also needs kms:GenerateDataKey on it: give the driver's sinkStreams as constructs).
   * @default - none
   */
  readonly streams?: readonly string[];
  /**
   * Where the jobs' file sinks write (s3FileSink): `prefix` in the checkpoint bucket, or
   * `s3://bucket/prefix`. The executors may put objects under it, Finish and Plan commit
   * its log; nothing may delete its data files (the bucket's lifecycle rules do).
   * @default - none
   */
  readonly files?: readonly string[];
  /**
   * Kafka topics the jobs write (kafkaSink), on the cluster of `sources.kafka` (required
   * with them). The executors of both stages run in the cluster's VPC with its connection
   * and, with IAM authentication, are granted kafka-cluster:Connect on the cluster and
   * DescribeTopic and WriteData on these topics; with SCRAM, the secret's read.
   * @default - none
   */
  readonly topics?: readonly string[];
}

export interface SluiceLookupsProps {
  /**
   * Existing DynamoDB tables the jobs' lookup stages read, by name (the executors are granted dynamodb:BatchGetItem on them).
   * @default - none
   */
  readonly tables?: readonly string[];
}

export interface SluiceStackProps extends StackProps {
  /**
   * The jobs the deployment runs: each job's source, sinks and lookup tables are granted
   * (infra/catalog-grants.ts), besides what `sources`, `sinks` and `lookups` name.
   * @default - the project's catalog, jobs/catalog.ts
   */
  readonly catalog?: JobCatalog;
  /**
   * The parameter sets the deployment starts each catalog job with (context sluice:jobParameters).
   * @default - each job with its default parameters
   */
  readonly jobParameters?: DeployedParameters;
  /**
   * Settings of the tables and buckets (names, removal policy, access-log bucket).
   * @default - CloudFormation-generated names, RETAIN, a dedicated access-log bucket
   */
  readonly storage?: SluiceStorageProps;
  /**
   * Where the jobs read: Kinesis streams (existing, or one created) and an MSK cluster.
   * @default - none (give the driver's sourceStreams instead, or both)
   */
  readonly sources?: SluiceSourcesProps;
  /**
   * The DynamoDB tables the jobs write.
   * @default - none
   */
  readonly sinks?: SluiceSinksProps;
  /**
   * The DynamoDB tables the jobs look items up in (Stream.lookup).
   * @default - none
   */
  readonly lookups?: SluiceLookupsProps;
  /**
   * Settings of the driver (its settings, restart policy, more streams and sinks as constructs).
   * @default - the engine's defaults
   */
  readonly driver?: Omit<SluiceDriverProps, 'storage' | 'kafka'>;
  /**
   * Settings of the jobs API (throttling, log retention).
   * @default - 50 requests per second, bursts of 100
   */
  readonly api?: Omit<SluiceApiProps, 'storage' | 'driver'>;
  /**
   * Alarm destination and thresholds.
   * @default - alarms without actions, the default thresholds
   */
  readonly monitoring?: Omit<SluiceMonitoringProps, 'deployment' | 'driver' | 'api'>;
}
