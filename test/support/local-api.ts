/**
 * The jobs API of `npm run api`, for tests of the `sluice` command: served in the test
 * process on the test stand-ins (fresh WAL, dead-letter table and bucket), with a data
 * directory whose endpoints.json names the stand-ins and the API, as `npm run api` writes
 * it.
 */
import { mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDbJobRegistry } from '../../engine/adapters/aws/dynamodb-job-registry.js';
import { createAwsPorts, type AwsPorts } from '../../engine/adapters/deployed-ports.js';
import { silentLogger } from '../../engine/adapters/memory/index.js';
import { systemClock } from '../../engine/adapters/system-clock.js';
import type { JobCatalog } from '../../engine/driver/catalog.js';
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

/**
 * What the API is built from. By default this repository's modules; a test of a copy of
 * the repository passes the copy's own, loaded from its files, so the copy's code runs.
 */
export interface LocalApiModules {
  readonly catalog: JobCatalog;
  readonly createAwsPorts: (config: Parameters<typeof createAwsPorts>[0]) => AwsPorts;
  readonly DynamoDbJobRegistry: new (options: ConstructorParameters<typeof DynamoDbJobRegistry>[0]) => DynamoDbJobRegistry;
  readonly silentLogger: typeof silentLogger;
  readonly systemClock: typeof systemClock;
  readonly startLocalApi: typeof startLocalApi;
  readonly writeEndpointsFile: typeof writeEndpointsFile;
  readonly localJobPreparer: typeof localJobPreparer;
}

const THIS_REPOSITORY: LocalApiModules = {
  catalog,
  createAwsPorts,
  DynamoDbJobRegistry,
  silentLogger,
  systemClock,
  startLocalApi,
  writeEndpointsFile,
  localJobPreparer,
};

/** `prefix` names the resources and, unless `dataDir` is given, the temporary data directory. */
export async function startLocalApiOnStandIns(
  prefix: string,
  options: { readonly modules?: LocalApiModules; readonly dataDir?: string } = {},
): Promise<LocalApiOnStandIns> {
  const m = options.modules ?? THIS_REPOSITORY;
  const [walTable, deadLetterTable, bucket] = await Promise.all([
    createTestWalTable(`${prefix}-wal`),
    createTestDeadLetterTable(`${prefix}-dlq`),
    createTestBucket(`${prefix}-bucket`),
  ]);
  const ports = m.createAwsPorts({ ...testAwsConfig(), walTable, deadLetterTable, bucket, clock: m.systemClock, logger: m.silentLogger });
  const api = await m.startLocalApi({
    ports,
    registry: new m.DynamoDbJobRegistry({ client: ports.clients.dynamodb, tableName: walTable }),
    catalog: m.catalog,
    port: 0,
    prepareJob: m.localJobPreparer(ports),
    driver: { retryDelayMs: 10 },
  });
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), `sluice-${prefix}-`)));
  await mkdir(dataDir, { recursive: true });
  await m.writeEndpointsFile({
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
