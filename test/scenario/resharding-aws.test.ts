import { putAllRecords } from '../../engine/adapters/aws/index.js';
import { seededRandom } from '../../jobs/clickstream/generate.js';
import {
  createTestPorts,
  createTestSinkTable,
  createTestStream,
  mergeShards,
  shardHashKeys,
  splitShard,
  testAwsClients,
} from '../support/aws.js';
import { describeReshardScenarios, reshardCrashes } from './resharding.scenario.js';

/**
 * The reshard scenarios on kinesalite (SplitShard, MergeShards, closed parents that end
 * with a null iterator) with the WAL, state and sink on DynamoDB Local and s3rver.
 * Records are routed as Kinesis routes them: MD5 of the partition key (no explicit hash key).
 */
describeReshardScenarios(
  'AWS adapters on the local stand-ins',
  async () => {
    const [ports, sinkTable, streamName] = await Promise.all([createTestPorts(), createTestSinkTable(), createTestStream(2)]);
    const shards = [...(await shardHashKeys(streamName)).keys()].sort();
    return {
      ports,
      streamName,
      sinkTable,
      shards,
      append: async (records) => void (await putAllRecords(testAwsClients().kinesis, streamName, records)),
      split: (shard) => splitShard(streamName, shard),
      merge: (a, b) => mergeShards(streamName, a, b),
    };
  },
  reshardCrashes(seededRandom(9), 6),
);
