/**
 * The AWS adapter of JobTargets (engine/ports/job-targets.ts): a Kinesis stream is
 * described (DescribeStreamSummary), a DynamoDB table too (DescribeTable), an S3 bucket is
 * asked for its head (HeadBucket); each not-found answer is `missing`. Anything else (the
 * function may not describe it: AccessDenied; a throttle; a network failure) is `unknown`
 * and the start goes on: the driver meets the same target and fails the job at once with
 * NotFoundError if it is missing. Kafka topics are asked through `topicPresence` when the
 * deployment gives one (the Kafka adapter's metadata: engine/adapters/deployed-ports.ts),
 * else they are `unknown` (the API is not in the cluster's VPC).
 */
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis';
import { HeadBucketCommand } from '@aws-sdk/client-s3';
import type { JobTarget, JobTargets, TargetPresence } from '../../ports/job-targets.js';
import { isNotFound } from './aws-errors.js';
import type { AwsClients } from './clients.js';

export interface AwsJobTargetsOptions {
  readonly clients: AwsClients;
  /** The engine's own tables by name, with what it keeps in each (the WAL and registry table, the dead-letter table). */
  readonly engineTables: Readonly<Record<string, string>>;
  /** Whether a Kafka topic exists; absent: `unknown`. */
  readonly topicPresence?: (topic: string) => Promise<TargetPresence>;
}

/** What the engine keeps in each of its tables, as the start's refusal names it. */
export const ENGINE_TABLE_USES = {
  walTable: 'the write-ahead log and job registry',
  deadLetterTable: 'the dead letters',
} as const;

export class AwsJobTargets implements JobTargets {
  constructor(private readonly options: AwsJobTargetsOptions) {}

  async presence(target: JobTarget): Promise<TargetPresence> {
    const { clients } = this.options;
    switch (target.type) {
      case 'kinesis-stream':
        return ask(() => clients.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: target.name })));
      case 'dynamodb-table':
        return ask(() => (clients.dynamodb as unknown as DynamoDBClient).send(new DescribeTableCommand({ TableName: target.name })));
      case 's3-bucket':
        return ask(() => clients.s3.send(new HeadBucketCommand({ Bucket: target.name })));
      case 'kafka-topic':
        return this.options.topicPresence === undefined ? 'unknown' : this.options.topicPresence(target.name).catch(() => 'unknown');
      case 'memory-stream':
        return 'unknown';
    }
  }

  engineUse(target: JobTarget): string | null {
    const tables = this.options.engineTables;
    return target.type === 'dynamodb-table' && Object.hasOwn(tables, target.name) ? tables[target.name]! : null;
  }
}

async function ask(call: () => Promise<unknown>): Promise<TargetPresence> {
  try {
    await call();
    return 'present';
  } catch (error) {
    return isNotFound(error) ? 'missing' : 'unknown';
  }
}
