/** What the local jobs API creates before a job starts (local/prepare-job.ts), on the test stand-ins. */
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { DescribeStreamSummaryCommand } from '@aws-sdk/client-kinesis';
import { describe, expect, it } from 'vitest';
import { createAwsPorts } from '../../engine/adapters/deployed-ports.js';
import { silentLogger } from '../../engine/adapters/memory/index.js';
import { systemClock } from '../../engine/adapters/system-clock.js';
import { BadRequestError } from '../../engine/api/errors.js';
import { resolveJob } from '../../engine/driver/catalog.js';
import { catalog } from '../../jobs/catalog.js';
import { LOCAL_SOURCE_SHARDS, localJobPreparer } from '../../local/prepare-job.js';
import { testAwsClients, testAwsConfig, uniqueName } from '../support/aws.js';

const ports = createAwsPorts({
  ...testAwsConfig(),
  walTable: 'unused',
  deadLetterTable: 'unused',
  bucket: 'unused',
  clock: systemClock,
  logger: silentLogger,
});

describe('preparing a job on the local runtime', () => {
  it('creates its missing source stream with 4 shards and its sink table, and leaves them as they are the second time', async () => {
    const streamName = uniqueName('prep-src');
    const sinkTable = uniqueName('prep-sink');
    const lines: string[] = [];
    const prepare = localJobPreparer(ports, (line) => lines.push(line));
    const job = resolveJob(catalog, 'page-views', { streamName, sinkTable });
    await prepare(job);
    const { StreamDescriptionSummary } = await testAwsClients().kinesis.send(new DescribeStreamSummaryCommand({ StreamName: streamName }));
    expect(StreamDescriptionSummary).toMatchObject({ StreamStatus: 'ACTIVE', OpenShardCount: LOCAL_SOURCE_SHARDS });
    const { Table } = await testAwsClients().dynamodb.send(new DescribeTableCommand({ TableName: sinkTable }));
    expect(Table?.TableStatus).toBe('ACTIVE');
    expect(lines).toEqual([`created source stream ${streamName} (${LOCAL_SOURCE_SHARDS} shards) for job page-views`]);
    await prepare(job);
    expect(lines).toHaveLength(1);
  });

  it('refuses a Kafka job when the local runtime runs without Kafka, saying how to start it', async () => {
    const job = resolveJob(catalog, 'page-views', { topic: 'orders' });
    const prepared = localJobPreparer(ports)(job);
    await expect(prepared).rejects.toThrow(BadRequestError);
    await expect(prepared).rejects.toThrow(
      /reads Kafka topic orders, but this local API runs without Kafka: restart it with npm run api -- --kafka/,
    );
  });
});
