/**
 * The Sluice stack, as a script: the engine's storage; the jobs' sources (Kinesis streams,
 * an MSK cluster) and sink tables; the driver on Step Functions (its Lambda functions, the
 * Standard driver and Express batches state machines, the supervisor); the jobs API; and
 * the alarms and dashboard.
 */
import { CfnOutput, Stack } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { catalog as projectCatalog } from '../../jobs/catalog.js';
import { deriveCatalogGrants } from '../catalog-grants.js';
import { withCatalogTargets } from '../catalog-settings.js';
import { stackPropsFromContext } from '../context.js';
import { SluiceApi } from '../constructs/sluice-api.js';
import { SluiceDriver } from '../constructs/sluice-driver.js';
import { parseFileSinkLocation, type FileSinkLocation } from '../constructs/file-sink-grants.js';
import { SluiceMonitoring } from '../constructs/sluice-monitoring.js';
import { SluiceSources, checkStreamName, type SluiceSourcesProps } from '../constructs/sluice-sources.js';
import { SluiceStorage, sinkTable } from '../constructs/sluice-storage.js';
import type { SluiceStackProps } from './sluice-stack-props.js';

export type { SluiceLookupsProps, SluiceSinksProps, SluiceStackProps } from './sluice-stack-props.js';

export class SluiceStack extends Stack {
  public readonly storage: SluiceStorage;
  public readonly sources: SluiceSources;
  /** The sink tables of `sinks` (existing ones imported, created ones). */
  public readonly sinkTables: readonly dynamodb.ITable[];
  /** The late-records tables of `sinks` (existing ones imported, created ones). */
  public readonly lateRecordTables: readonly dynamodb.ITable[];
  /** The Kinesis streams of `sinks.streams` the jobs write (imported by name or ARN). */
  public readonly sinkStreams: readonly kinesis.IStream[];
  /** The file sinks' locations of `sinks.files` (another bucket imported by name; none: the checkpoint bucket). */
  public readonly sinkFiles: readonly FileSinkLocation[];
  /** The lookup tables of `lookups` (imported by name). */
  public readonly lookupTables: readonly dynamodb.ITable[];
  public readonly driver: SluiceDriver;
  public readonly api: SluiceApi;
  public readonly monitoring: SluiceMonitoring;

  constructor(scope: Construct, id: string, props: SluiceStackProps = {}) {
    super(scope, id, {
      description: 'Sluice: exactly-once stream processing on AWS serverless (storage, driver, jobs API, alarms)',
      ...props,
    });

    // Settings from CDK context (infra/context.ts); props given in code take precedence.
    const context = stackPropsFromContext(this);
    const storage = { ...context.storage, ...props.storage };
    const removalPolicy = storage.removalPolicy;
    // A created stream goes with the stack's data unless it says otherwise.
    const merged: SluiceSourcesProps = { ...context.sources, ...props.sources };
    const create = merged.kinesis?.createStream;
    const configured: SluiceSourcesProps =
      create === undefined || create.removalPolicy !== undefined || removalPolicy === undefined
        ? merged
        : { ...merged, kinesis: { ...merged.kinesis, createStream: { ...create, removalPolicy } } };
    // What the catalog's jobs read and write is granted besides what the settings name (catalog-grants.ts).
    const parameters = props.jobParameters ?? context.jobParameters;
    const grants = deriveCatalogGrants(props.catalog ?? projectCatalog, {
      kafka: configured.kafka !== undefined,
      ...(parameters === undefined ? {} : { parameters }),
    });
    const { sources, sinks, lookups } = withCatalogTargets(
      { sources: configured, sinks: { ...context.sinks, ...props.sinks }, lookups: { ...context.lookups, ...props.lookups } },
      grants,
    );
    const monitoring = { ...context.monitoring, ...props.monitoring };

    this.storage = new SluiceStorage(this, 'Storage', storage);
    this.sources = new SluiceSources(this, 'Sources', sources);
    this.sinkTables = [
      ...(sinks.tables ?? []).map((name, i) => dynamodb.Table.fromTableName(this, `SinkTable${i}`, name)),
      ...(sinks.createTables ?? []).map((name, i) =>
        sinkTable(this, `CreatedSinkTable${i}`, { tableName: name, ...(removalPolicy ? { removalPolicy } : {}) }),
      ),
    ];
    this.lateRecordTables = [
      ...(sinks.lateRecordTables ?? []).map((name, i) => dynamodb.Table.fromTableName(this, `LateRecordTable${i}`, name)),
      ...(sinks.createLateRecordTables ?? []).map((name, i) =>
        sinkTable(this, `CreatedLateRecordTable${i}`, { tableName: name, ...(removalPolicy ? { removalPolicy } : {}) }),
      ),
    ];
    this.sinkStreams = (sinks.streams ?? []).map((nameOrArn, i) =>
      kinesis.Stream.fromStreamArn(
        this,
        `SinkStream${i}`,
        nameOrArn.startsWith('arn:')
          ? nameOrArn
          : this.formatArn({ service: 'kinesis', resource: 'stream', resourceName: checkStreamName(nameOrArn) }),
      ),
    );
    this.sinkFiles = (sinks.files ?? []).map((entry, i) => {
      const { bucketName, prefix } = parseFileSinkLocation(entry);
      return bucketName === undefined ? { prefix } : { bucket: s3.Bucket.fromBucketName(this, `SinkFilesBucket${i}`, bucketName), prefix };
    });
    this.lookupTables = (lookups.tables ?? []).map((name, i) => dynamodb.Table.fromTableName(this, `LookupTable${i}`, name));
    // What the jobs read and write: the settings' and the catalog's targets, and the driver props' own.
    const jobs = {
      sourceStreams: [...(props.driver?.sourceStreams ?? []), ...this.sources.streams],
      sinkTables: [...(props.driver?.sinkTables ?? []), ...this.sinkTables],
      sinkStreams: [...(props.driver?.sinkStreams ?? []), ...this.sinkStreams],
      lateRecordTables: [...(props.driver?.lateRecordTables ?? []), ...this.lateRecordTables],
      sinkFiles: [...(props.driver?.sinkFiles ?? []), ...this.sinkFiles],
      lookupTables: [...(props.driver?.lookupTables ?? []), ...this.lookupTables],
    };
    this.driver = new SluiceDriver(this, 'Driver', {
      ...props.driver,
      ...jobs,
      storage: this.storage,
      sinkTopics: [...(props.driver?.sinkTopics ?? []), ...(sinks.topics ?? [])],
      kafka: this.sources.kafka,
      deployment: this.stackName,
    });
    this.api = new SluiceApi(this, 'Api', { ...props.api, storage: this.storage, driver: this.driver });
    // A start describes each target (Kafka topics: nothing); results read the sink tables and file sinks.
    this.api.grantStartChecks({
      streams: [...jobs.sourceStreams, ...jobs.sinkStreams],
      tables: [...jobs.sinkTables, ...jobs.lateRecordTables, ...jobs.lookupTables],
      buckets: jobs.sinkFiles.flatMap((f) => (f.bucket === undefined ? [] : [f.bucket])),
    });
    this.api.grantResultsRead(jobs.sinkTables, jobs.sinkFiles);
    this.monitoring = new SluiceMonitoring(this, 'Monitoring', {
      ...monitoring,
      deployment: this.stackName,
      driver: this.driver,
      api: this.api,
    });

    new CfnOutput(this, 'WalTableName', {
      description: "DynamoDB write-ahead-log table (the engine's walTable)",
      value: this.storage.walTable.tableName,
    });
    new CfnOutput(this, 'DeadLetterTableName', {
      description: "DynamoDB dead-letter table (the engine's deadLetterTable)",
      value: this.storage.deadLetterTable.tableName,
    });
    new CfnOutput(this, 'DriverStateMachineArn', {
      description: 'The driver state machine: start a job generation as execution <jobId>-<generation>',
      value: this.driver.driver.stateMachineArn,
    });
    new CfnOutput(this, 'CheckpointBucketName', {
      description: "S3 bucket of state checkpoints (the engine's bucket)",
      value: this.storage.checkpointBucket.bucketName,
    });
    if (this.sources.createdStream !== null) {
      new CfnOutput(this, 'StreamName', {
        description: 'The Kinesis stream the stack created for the jobs',
        value: this.sources.createdStream.streamName,
      });
    }
    if (this.sources.kafkaSecurityGroup !== null) {
      new CfnOutput(this, 'KafkaClientSecurityGroupId', {
        description:
          "The security group of the functions that read Kafka: the cluster's security group must admit it on the listener's port",
        value: this.sources.kafkaSecurityGroup.securityGroupId,
      });
    }
    new CfnOutput(this, 'DashboardName', { description: 'The CloudWatch dashboard', value: this.monitoring.dashboard.dashboardName });
  }
}
