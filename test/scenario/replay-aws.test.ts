import { createAwsPorts } from '../../engine/adapters/aws/index.js';
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
  testAwsConfig,
} from '../support/aws.js';
import { describeReplayScenarios } from './replay.js';

/** The replay scenarios on kinesalite, DynamoDB Local and s3rver, through the real SDK clients. */
describeReplayScenarios(
  'AWS adapters on the local stand-ins',
  async () => {
    const [walTable, deadLetterTable, bucket, streamName] = await Promise.all([
      createTestWalTable(),
      createTestDeadLetterTable(),
      createTestBucket(),
      createTestStream(2),
    ]);
    const hashKeys = await shardHashKeys(streamName);
    const shards = [...hashKeys.keys()].sort();
    const encoder = new TextEncoder();
    const ports = createAwsPorts({ ...testAwsConfig(), walTable, deadLetterTable, bucket, clock: systemClock, logger: silentLogger });
    return {
      ports,
      streamName,
      async append(index, payloads) {
        await appendToShard(streamName, shards[index]!, payloads.map((p) => ({ key: 'k', data: encoder.encode(p) })), hashKeys);
      },
      sinkTable: () => createTestSinkTable('replay-sink'),
    };
  },
  { crashPoints: ['after-range-record', 'mid-sink-write', 'after-commit'] },
);
