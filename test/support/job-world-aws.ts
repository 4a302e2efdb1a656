/**
 * What a job run end to end on the AWS adapters over the stand-ins starts from: the
 * engine's WAL table, dead-letter table and bucket, the AWS ports over them, a job
 * registry, and one sink table and one Kinesis stream for the job. Each resource is
 * uniquely named (test/support/aws.ts), so files and tests running at once never share one.
 */
import { DynamoDbJobRegistry } from '../../engine/adapters/aws/dynamodb-job-registry.js';
import { createAwsPorts, type AwsPorts } from '../../engine/adapters/deployed-ports.js';
import { silentLogger } from '../../engine/adapters/memory/index.js';
import { systemClock } from '../../engine/adapters/system-clock.js';
import {
  createTestBucket,
  createTestDeadLetterTable,
  createTestSinkTable,
  createTestStream,
  createTestWalTable,
  testAwsClients,
  testAwsConfig,
} from './aws.js';

export interface AwsJobWorld {
  readonly ports: AwsPorts;
  readonly registry: DynamoDbJobRegistry;
  /** The engine's own table: the write-ahead log (and the job registry, with registryInWalTable). */
  readonly walTable: string;
  /** The engine's bucket (state, the exchange). */
  readonly bucket: string;
  readonly sinkTable: string;
  readonly streamName: string;
}

export interface AwsJobWorldOptions {
  /** The job's stream's shard count. */
  readonly shards: number;
  /** What each resource's name starts with (`<prefix>-wal`, `<prefix>-sink`, ...), to tell them apart in the stand-ins. */
  readonly prefix?: string;
  /** The registry in the WAL table, as a deployment keeps it; otherwise in a table of its own. */
  readonly registryInWalTable?: boolean;
}

export async function createAwsJobWorld(options: AwsJobWorldOptions): Promise<AwsJobWorld> {
  const name = (what: string) => (options.prefix === undefined ? what : `${options.prefix}-${what}`);
  const [walTable, deadLetterTable, bucket, sinkTable, streamName, ownRegistryTable] = await Promise.all([
    createTestWalTable(name('wal')),
    createTestDeadLetterTable(name('dlq')),
    createTestBucket(name('bucket')),
    createTestSinkTable(name('sink')),
    createTestStream(options.shards, name('stream')),
    options.registryInWalTable === true ? null : createTestWalTable(name('registry')),
  ]);
  const ports = createAwsPorts({ ...testAwsConfig(), walTable, deadLetterTable, bucket, clock: systemClock, logger: silentLogger });
  const registry = new DynamoDbJobRegistry({ client: testAwsClients().dynamodb, tableName: ownRegistryTable ?? walTable });
  return { ports, registry, walTable, bucket, sinkTable, streamName };
}
