import type { SinkSpec } from '../ports/sink.js';
import { allSinksOf, type JobOutputs } from './outputs.js';

/**
 * The place a sink writes to, as the job registry records its owner (engine/driver/
 * sink-ownership.ts): two sink specs with the same `id` write the same rows, whatever
 * else they say (a file sink's format, a stream sink's partition key function).
 *
 *   dynamodb  the table                   dynamodb:<table>
 *   s3files   the bucket and prefix       s3files:<bucket>/<prefix>  (bucket empty: the deployment's checkpoint bucket)
 *   kinesis   the stream                  kinesis:<stream>           shared
 *   kafka     the topic                   kafka:<topic>              shared
 *   user      the user sink's name        user:<name>
 *   memory    the memory sink's name      memory:<name>
 *
 * An exclusive target has one owner: its stored rows carry (generation, batch) of one
 * job instance's WAL, so another instance's rows would be refused as older (DynamoDB,
 * memory), overwrite its files and commit log (files), or be taken for a retry of a
 * (generation, batch, partition) already written (a user sink's idempotence). A shared
 * target may be written by several instances: the Kinesis and Kafka sinks append every
 * record and refuse none, and each record names its instance (jobId in the envelope,
 * and in its sluiceId), so a consumer keeps the latest row per (jobId, key).
 */
export interface SinkTarget {
  readonly id: string;
  /** For messages: "DynamoDB table order-totals". */
  readonly description: string;
  readonly shared: boolean;
}

export function sinkTargetOf(spec: SinkSpec): SinkTarget {
  switch (spec.type) {
    case 'dynamodb':
      return { id: `dynamodb:${spec.tableName}`, description: `DynamoDB table ${spec.tableName}`, shared: false };
    case 's3files': {
      const where = spec.bucket === undefined ? `the checkpoint bucket's ${spec.prefix}/` : `s3://${spec.bucket}/${spec.prefix}/`;
      return { id: `s3files:${spec.bucket ?? ''}/${spec.prefix}`, description: `files under ${where}`, shared: false };
    }
    case 'kinesis':
      return { id: `kinesis:${spec.streamName}`, description: `Kinesis stream ${spec.streamName}`, shared: true };
    case 'kafka':
      return { id: `kafka:${spec.topic}`, description: `Kafka topic ${spec.topic}`, shared: true };
    case 'user':
      return { id: `user:${spec.name}`, description: `user sink ${spec.name}`, shared: false };
    case 'memory':
      return { id: `memory:${spec.name}`, description: `memory sink ${spec.name}`, shared: false };
  }
}

/** The targets a job writes (every sink of allSinksOf), each once, in the order the job names them. */
export function sinkTargetsOf(job: Pick<JobOutputs, 'sinks' | 'outputs' | 'lateRecords' | 'deadLetters'>): SinkTarget[] {
  const byId = new Map<string, SinkTarget>();
  for (const spec of allSinksOf(job)) {
    const target = sinkTargetOf(spec);
    if (!byId.has(target.id)) byId.set(target.id, target);
  }
  return [...byId.values()];
}
