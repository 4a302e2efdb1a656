/**
 * What a job reads and writes outside the engine, as the jobs API checks it before a job
 * starts: its source stream or topic, its sink tables, streams, topics and buckets, its
 * lookup tables (engine/api/job-targets.ts lists them from a job definition).
 *
 * A target that is `missing` refuses the start (404, naming it); one whose presence is
 * `unknown` (the API may not describe it, or cannot reach it: a Kafka cluster in a VPC)
 * is left to the driver, which fails the job at once with the reason when it finds the
 * target missing (the adapters raise NotFoundError for it, never a retryable error).
 */

export type JobTargetType = 'kinesis-stream' | 'kafka-topic' | 'dynamodb-table' | 's3-bucket' | 'memory-stream';

export interface JobTarget {
  readonly type: JobTargetType;
  readonly name: string;
  /** What the job does with it: a source is read from, a sink written to, a lookup table read by key. */
  readonly role: 'source' | 'sink' | 'lookup';
}

/** present: it exists; missing: it does not; unknown: this deployment cannot tell. */
export type TargetPresence = 'present' | 'missing' | 'unknown';

export interface JobTargets {
  /** Whether the target exists. Never throws for a target it cannot see: that is `unknown`. */
  presence(target: JobTarget): Promise<TargetPresence>;
  /**
   * What the engine keeps in the target when it is one of the engine's own tables (the
   * write-ahead log and job registry, the dead letters), as a phrase such as "the
   * write-ahead log and job registry"; null for anything else. A job may not name them.
   */
  engineUse(target: JobTarget): string | null;
}

/** How a target is named in messages: "Kinesis stream orders". */
export function describeTarget(target: Pick<JobTarget, 'type' | 'name'>): string {
  const kinds: Record<JobTargetType, string> = {
    'kinesis-stream': 'Kinesis stream',
    'kafka-topic': 'Kafka topic',
    'dynamodb-table': 'DynamoDB table',
    's3-bucket': 'S3 bucket',
    'memory-stream': 'memory stream',
  };
  return `${kinds[target.type]} ${target.name}`;
}
