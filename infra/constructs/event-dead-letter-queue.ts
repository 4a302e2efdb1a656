/**
 * Where EventBridge puts the events it could not deliver to a target, after the target's
 * retries and maximum event age: an SQS queue, encrypted with SQS-managed keys (EventBridge
 * cannot send to a queue encrypted with the AWS managed aws/sqs KMS key), refusing
 * requests without TLS, keeping a message 14 days (SQS's longest). EventBridge may send to
 * it from the rules that name it only (the targets add that queue policy). The monitoring
 * construct alarms as soon as one message is in it.
 */
import { Duration } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { acknowledgeOn } from './nag-acknowledgements.js';

export function eventDeadLetterQueue(scope: Construct, id: string, what: string): sqs.Queue {
  const queue = new sqs.Queue(scope, id, {
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    retentionPeriod: Duration.days(14),
  });
  acknowledgeOn(queue, [
    {
      id: 'AwsSolutions-SQS3',
      reason: `This queue is itself the dead-letter queue of ${what}: it needs none of its own.`,
    },
  ]);
  return queue;
}
