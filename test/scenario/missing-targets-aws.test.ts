/**
 * A stream or table that does not exist, on kinesalite and DynamoDB Local: the AWS
 * adapters answer it with NotFoundError naming it (not retryable), so a job that meets it
 * is FAILED at once with the reason, never RUNNING through a restart loop of retried errors.
 */
import { DeleteStreamCommand, DescribeStreamSummaryCommand, GetRecordsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { afterEach, describe, expect, it } from 'vitest';
import { DynamoDbJobRegistry } from '../../engine/adapters/aws/dynamodb-job-registry.js';
import { DynamoDbSink, KinesisSink, KinesisSourceReader, putAllRecords, S3BlobStore } from '../../engine/adapters/aws/index.js';
import { NotFoundError, isRetryable } from '../../engine/errors.js';
import { count, defineJob, dynamoDbSink, kinesisSource } from '../../engine/job/index.js';
import { JobState } from '../../engine/ports/job-registry.js';
import { LocalDriver } from '../../local/driver-runtime.js';
import { createTestPorts, createTestStream, createTestWalTable, shardHashKeys, testAwsClients, uniqueName } from '../support/aws.js';

const drivers: LocalDriver[] = [];
afterEach(async () => {
  await Promise.all(drivers.splice(0).map((d) => d.close()));
});

async function notFound(promise: Promise<unknown>): Promise<NotFoundError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(NotFoundError);
  expect(isRetryable(error)).toBe(false);
  return error as NotFoundError;
}

describe('the AWS adapters on a missing stream or table', () => {
  const kinesis = testAwsClients().kinesis;

  it('the Kinesis reader: listing and reading a stream that does not exist', async () => {
    const stream = uniqueName('nostream');
    const reader = new KinesisSourceReader({ client: kinesis, streamName: stream });
    expect((await notFound(reader.listPartitions())).message).toBe(
      `source stream ${stream} does not exist in this account and region: create it, or fix the job's streamName`,
    );
    const read = await notFound(reader.read({ partition: 'shardId-000000000000', start: { type: 'EARLIEST' }, maxRecords: 10 }));
    expect(read.message).toMatch(new RegExp(`^source stream ${stream} or its shard shardId-000000000000 does not exist`));
  });

  it('the Kinesis reader: a stream deleted between taking the iterator and reading its records', async () => {
    const stream = await createTestStream(1, 'deleted');
    const [shard] = [...(await shardHashKeys(stream)).keys()];
    // The stream goes away after the iterator was taken, before GetRecords reads with it.
    const client = {
      send: async (command: unknown) => {
        if (command instanceof GetRecordsCommand) {
          await kinesis.send(new DeleteStreamCommand({ StreamName: stream }));
          for (let i = 0; i < 100; i += 1) {
            const gone = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: stream })).then(
              () => false,
              () => true,
            );
            if (gone) break;
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
        }
        return kinesis.send(command as never);
      },
    } as unknown as KinesisClient;
    const reader = new KinesisSourceReader({ client, streamName: stream });
    const error = await notFound(reader.read({ partition: shard!, start: { type: 'EARLIEST' }, maxRecords: 10 }));
    expect(error.message).toMatch(new RegExp(`^source stream ${stream} or its shard ${shard} does not exist`));
  });

  it('the S3 blob store (state, exchange, file sinks): a bucket that does not exist', async () => {
    const bucket = uniqueName('nobucket');
    const blobs = new S3BlobStore({ client: testAwsClients().s3, bucket });
    const message = `S3 bucket ${bucket} does not exist in this account and region: create it, or fix the bucket name`;
    expect((await notFound(blobs.put('a', new Uint8Array([1])))).message).toMatch(new RegExp(`^${message}`));
    expect((await notFound(blobs.list(''))).message).toMatch(new RegExp(`^${message}`));
    expect((await notFound(blobs.get('a'))).message).toMatch(new RegExp(`^${message}`));
  });

  it('the DynamoDB sink and the Kinesis sink: a write to a table or stream that does not exist', async () => {
    const table = uniqueName('notable');
    const write = { jobId: 'j', batchId: 1, generation: 0, partition: 'p0', rows: [{ key: 'a', value: { n: 1 } }] };
    const sink = new DynamoDbSink({ client: testAwsClients().dynamodb, tableName: table });
    expect((await notFound(sink.write(write))).message).toMatch(
      new RegExp(`^sink table ${table} does not exist in this account and region`),
    );
    const stream = uniqueName('nostream');
    expect((await notFound(new KinesisSink({ client: kinesis, streamName: stream }).write(write))).message).toMatch(
      new RegExp(`^Kinesis stream ${stream} does not exist`),
    );
  });
});

describe('a job on a missing stream or table through the driver state machines', { timeout: 60_000 }, () => {
  async function run(source: string, sinkTable: string) {
    const ports = await createTestPorts();
    const registry = new DynamoDbJobRegistry({ client: ports.clients.dynamodb, tableName: await createTestWalTable('registry') });
    const job = defineJob<{ page: string }>({
      name: 'orders-per-page',
      version: 1,
      source: kinesisSource({ streamName: source, startingPosition: 'EARLIEST' }),
      decode: 'json',
      pipeline: (s) => s.keyBy((e) => e.page).aggregate(count()),
      sink: dynamoDbSink({ tableName: sinkTable }),
      outputMode: 'update',
      trigger: { type: 'interval', intervalMs: 10 },
    });
    const driver = new LocalDriver({
      ports,
      registry,
      catalog: { 'orders-per-page': { description: 'counts per page', create: () => job } },
      retryDelayMs: 1,
      restartPolicy: { backoffBaseMs: 1, backoffMaxMs: 1 },
    });
    drivers.push(driver);
    await driver.launch({ jobId: 'orders', jobName: 'orders-per-page' });
    return driver.waitForJob('orders', 50_000);
  }

  it('a missing source stream: FAILED at once with the reason, one generation, no restart', async () => {
    const stream = uniqueName('nostream');
    const ended = await run(stream, uniqueName('sink'));
    expect(ended).toMatchObject({ state: JobState.FAILED, generation: 1, restarts: [] });
    expect(ended.reason).toBe(
      `NotFoundError: source stream ${stream} does not exist in this account and region: create it, or fix the job's streamName`,
    );
  });

  it('a missing sink table: FAILED at the first batch with rows, with the reason, no restart', async () => {
    const stream = await createTestStream(1, 'orders');
    const encoder = new TextEncoder();
    await putAllRecords(testAwsClients().kinesis, stream, [{ key: 'k', data: encoder.encode(JSON.stringify({ page: '/home' })) }]);
    const table = uniqueName('nosink');
    const ended = await run(stream, table);
    expect(ended).toMatchObject({ state: JobState.FAILED, generation: 1, restarts: [] });
    expect(ended.reason).toMatch(new RegExp(`^NotFoundError: sink table ${table} does not exist in this account and region`));
  });
});
