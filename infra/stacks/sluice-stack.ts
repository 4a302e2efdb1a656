/**
 * The Sluice stack: the engine's storage, and the driver on Step Functions (its Lambda
 * functions, the Standard driver and Express batches state machines, the supervisor).
 * The HTTP API joins it in later work.
 */
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { SluiceDriver, type SluiceDriverProps } from '../constructs/sluice-driver.js';
import { SluiceStorage, type SluiceStorageProps } from '../constructs/sluice-storage.js';

export interface SluiceStackProps extends StackProps {
  /**
   * Settings of the tables and buckets (names, removal policy, access-log bucket).
   * @default - CloudFormation-generated names, RETAIN, a dedicated access-log bucket
   */
  readonly storage?: SluiceStorageProps;
  /**
   * Settings of the driver (its settings, restart policy, the jobs' streams and sinks).
   * @default - the engine's defaults, no source streams or sink tables
   */
  readonly driver?: Omit<SluiceDriverProps, 'storage'>;
}

export class SluiceStack extends Stack {
  public readonly storage: SluiceStorage;
  public readonly driver: SluiceDriver;

  constructor(scope: Construct, id: string, props: SluiceStackProps = {}) {
    super(scope, id, {
      description: 'Sluice: exactly-once stream processing on AWS serverless (storage and driver)',
      ...props,
    });

    this.storage = new SluiceStorage(this, 'Storage', props.storage);
    this.driver = new SluiceDriver(this, 'Driver', { ...props.driver, storage: this.storage });

    new CfnOutput(this, 'WalTableName', {
      description: 'DynamoDB write-ahead-log table (the engine\'s walTable)',
      value: this.storage.walTable.tableName,
    });
    new CfnOutput(this, 'DeadLetterTableName', {
      description: 'DynamoDB dead-letter table (the engine\'s deadLetterTable)',
      value: this.storage.deadLetterTable.tableName,
    });
    new CfnOutput(this, 'DriverStateMachineArn', {
      description: 'The driver state machine: start a job generation as execution <jobId>-<generation>',
      value: this.driver.driver.stateMachineArn,
    });
    new CfnOutput(this, 'CheckpointBucketName', {
      description: 'S3 bucket of state checkpoints (the engine\'s bucket)',
      value: this.storage.checkpointBucket.bucketName,
    });
  }
}
