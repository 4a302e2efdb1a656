import { createAwsPorts } from '../../engine/adapters/aws/index.js';
import { DynamoDbJobRegistry } from '../../engine/adapters/aws/dynamodb-job-registry.js';
import { silentLogger } from '../../engine/adapters/memory/index.js';
import { systemClock } from '../../engine/adapters/system-clock.js';
import {
  appendToShard,
  createTestBucket,
  createTestDeadLetterTable,
  createTestSinkTable,
  createTestStream,
  createTestWalTable,
  shardHashKeys,
  testAwsClients,
  testAwsConfig,
} from '../support/aws.js';
import { scenarioJob } from '../support/scenario.js';
import { describeChaos } from './chaos.js';

/** The chaos suite on DynamoDB Local, kinesalite and s3rver, the registry in a WAL table. */
describeChaos(
  'AWS adapters on the local stand-ins',
  async (events, partitions, name) => {
    const [walTable, deadLetterTable, bucket, sinkTable, streamName] = await Promise.all([
      createTestWalTable(),
      createTestDeadLetterTable(),
      createTestBucket(),
      createTestSinkTable(),
      createTestStream(partitions),
    ]);
    const hashKeys = await shardHashKeys(streamName);
    const shards = [...hashKeys.keys()].sort();
    const encoder = new TextEncoder();
    for (let p = 0; p < partitions; p += 1) {
      const mine = events.filter((e) => e.partitionIndex === p);
      await appendToShard(streamName, shards[p]!, mine.map((e) => ({ key: e.page ?? 'none', data: encoder.encode(e.payload) })), hashKeys);
    }
    const ports = createAwsPorts({ ...testAwsConfig(), walTable, deadLetterTable, bucket, clock: systemClock, logger: silentLogger });
    return { ports, job: scenarioJob({ streamName, sinkTable }), jobId: `job-${name}` };
  },
  async () => new DynamoDbJobRegistry({ client: testAwsClients().dynamodb, tableName: await createTestWalTable('registry') }),
  [5],
);
