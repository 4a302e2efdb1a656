import { putAllRecords } from '../../engine/adapters/aws/index.js';
import type { ReshardWorldFactory } from './reshard-world.js';
import { createTestPorts, createTestSinkTable, createTestStream, mergeShards, shardHashKeys, splitShard, testAwsClients } from './aws.js';

/**
 * A reshard world on kinesalite (SplitShard, MergeShards, closed parents that end with a
 * null iterator) with the WAL, state and sink on DynamoDB Local and s3rver. Records are
 * routed as Kinesis routes them: MD5 of the partition key (no explicit hash key).
 */
export const awsReshardWorld: ReshardWorldFactory = async () => {
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
};
