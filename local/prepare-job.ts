/**
 * What the local jobs API does before a job starts (engine/api/jobs.ts `prepareJob`), on
 * the local runtime only: it creates what the job needs and the stand-ins do not have yet.
 *
 *   source   a Kinesis stream that does not exist is created with LOCAL_SOURCE_SHARDS
 *            shards and waited for until ACTIVE; a Kafka topic is created by asking the
 *            mock cluster for its metadata (the mock creates a topic on first use, with 4
 *            partitions). A job that reads Kafka on an API started without --kafka is a 400
 *            that says how to start it.
 *   sinks    every DynamoDB sink table (the job's sinks, its side outputs', its late records'
 *            and dead letters') and every Kinesis sink stream (one shard), when missing.
 *
 * Nothing here runs in the deployed API: there, streams, topics and tables belong to the
 * deployment (the CDK stack, or the account), and a start that names a missing one fails.
 */
import { DescribeStreamSummaryCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { BadRequestError } from '../engine/api/errors.js';
import { createSinkTable, createStream } from '../engine/adapters/aws/index.js';
import { isNotFound } from '../engine/adapters/aws/aws-errors.js';
import type { AwsPorts } from '../engine/adapters/deployed-ports.js';
import type { JobDefinition } from '../engine/job/types.js';
import type { SinkSpec } from '../engine/ports/sink.js';

/** Shards of a source stream the local runtime creates (the demo's stream has 4 as well, and so has a mock Kafka topic). */
export const LOCAL_SOURCE_SHARDS = 4;
/** Shards of a Kinesis sink stream the local runtime creates. */
export const LOCAL_SINK_SHARDS = 1;

export function localJobPreparer(ports: AwsPorts, log: (line: string) => void = () => {}): (job: JobDefinition) => Promise<void> {
  return async (job) => {
    const source = job.source.spec;
    if (source.type === 'kinesis') {
      if (await ensureStream(ports.clients.kinesis, source.streamName, LOCAL_SOURCE_SHARDS)) {
        log(`created source stream ${source.streamName} (${LOCAL_SOURCE_SHARDS} shards) for job ${job.name}`);
      }
    } else if (source.type === 'kafka') {
      if (ports.kafka === null) {
        throw BadRequestError.of([
          {
            field: 'jobName',
            message: `names job ${job.name}, which reads Kafka topic ${source.topic}, but this local API runs without Kafka: restart it with npm run api -- --kafka`,
          },
        ]);
      }
      await (await ports.kafka.admin()).fetchTopicMetadata({ topics: [source.topic] });
    }
    for (const sink of sinksOf(job)) {
      if (sink.type === 'dynamodb') await createSinkTable(ports.clients.dynamodb, sink.tableName);
      if (sink.type === 'kinesis') await ensureStream(ports.clients.kinesis, sink.streamName, LOCAL_SINK_SHARDS);
    }
  };
}

/** Every sink a job writes: its own, its side outputs', its late records' and its dead letters'. */
function sinksOf(job: JobDefinition): SinkSpec[] {
  return [
    ...job.sinks,
    ...Object.values(job.outputs).flat(),
    ...(job.lateRecords === undefined ? [] : [job.lateRecords.sink]),
    ...(job.deadLetters === undefined ? [] : [job.deadLetters.sink]),
  ];
}

/** Creates the stream when it does not exist and waits until it is ACTIVE; true when it created it. */
export async function ensureStream(client: KinesisClient, streamName: string, shards: number): Promise<boolean> {
  try {
    await client.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
    return false;
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  await createStream(client, streamName, shards);
  return true;
}
