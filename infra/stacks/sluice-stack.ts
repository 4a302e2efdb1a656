/**
 * The Sluice stack. This slice holds the engine's storage; the driver state machine, the
 * Lambda functions and the HTTP API join it in later work.
 */
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { SluiceStorage, type SluiceStorageProps } from '../constructs/sluice-storage.js';

export interface SluiceStackProps extends StackProps {
  /**
   * Settings of the tables and buckets (names, removal policy, access-log bucket).
   * @default - CloudFormation-generated names, RETAIN, a dedicated access-log bucket
   */
  readonly storage?: SluiceStorageProps;
}

export class SluiceStack extends Stack {
  public readonly storage: SluiceStorage;

  constructor(scope: Construct, id: string, props: SluiceStackProps = {}) {
    super(scope, id, {
      description: 'Sluice: exactly-once stream processing on AWS serverless (engine storage)',
      ...props,
    });

    this.storage = new SluiceStorage(this, 'Storage', props.storage);

    new CfnOutput(this, 'WalTableName', {
      description: 'DynamoDB write-ahead-log table (the engine\'s walTable)',
      value: this.storage.walTable.tableName,
    });
    new CfnOutput(this, 'DeadLetterTableName', {
      description: 'DynamoDB dead-letter table (the engine\'s deadLetterTable)',
      value: this.storage.deadLetterTable.tableName,
    });
    new CfnOutput(this, 'CheckpointBucketName', {
      description: 'S3 bucket of state checkpoints (the engine\'s bucket)',
      value: this.storage.checkpointBucket.bucketName,
    });
  }
}
