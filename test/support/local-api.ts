/**
 * The jobs API of `npm run api`, for tests of the `sluice` command: served in the test
 * process on the test stand-ins (fresh WAL, dead-letter table and bucket), with a data
 * directory whose endpoints.json names the stand-ins and the API, as `npm run api` writes
 * it.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDbJobRegistry } from '../../engine/adapters/aws/dynamodb-job-registry.js';
import { createAwsPorts, type AwsPorts } from '../../engine/adapters/deployed-ports.js';
import { silentLogger } from '../../engine/adapters/memory/index.js';
import { systemClock } from '../../engine/adapters/system-clock.js';
import { catalog } from '../../jobs/catalog.js';
import { startLocalApi, type LocalApi } from '../../local/api-runtime.js';
import { writeEndpointsFile } from '../../local/endpoints-file.js';
import { localJobPreparer } from '../../local/prepare-job.js';
import { createTestBucket, createTestDeadLetterTable, createTestWalTable, standInEndpoints, testAwsConfig } from './aws.js';

export interface LocalApiOnStandIns {
  readonly api: LocalApi;
  readonly ports: AwsPorts;
  readonly dataDir: string;
}

/** `prefix` names the resources and the data directory. */
export async function startLocalApiOnStandIns(prefix: string): Promise<LocalApiOnStandIns> {
  const [walTable, deadLetterTable, bucket] = await Promise.all([
    createTestWalTable(`${prefix}-wal`),
    createTestDeadLetterTable(`${prefix}-dlq`),
    createTestBucket(`${prefix}-bucket`),
  ]);
  const ports = createAwsPorts({ ...testAwsConfig(), walTable, deadLetterTable, bucket, clock: systemClock, logger: silentLogger });
  const api = await startLocalApi({
    ports,
    registry: new DynamoDbJobRegistry({ client: ports.clients.dynamodb, tableName: walTable }),
    catalog,
    port: 0,
    prepareJob: localJobPreparer(ports),
    driver: { retryDelayMs: 10 },
  });
  const dataDir = await mkdtemp(join(tmpdir(), `sluice-${prefix}-`));
  await writeEndpointsFile({
    version: 1,
    pid: process.pid,
    startedAt: new Date().toISOString(),
    dataDir,
    region: 'us-east-1',
    ...standInEndpoints(),
    kafka: null,
    api: api.url,
    resources: { walTable, deadLetterTable, bucket },
  });
  return { api, ports, dataDir };
}
