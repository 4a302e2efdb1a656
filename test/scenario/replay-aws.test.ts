import { appendToShard, createTestPorts, createTestSinkTable, createTestStream, shardHashKeys } from '../support/aws.js';
import { describeRegroupScenarios } from './regroup.scenario.js';
import { describeKeyGroupReplayScenarios } from './replay-key-groups.scenario.js';
import { describeReplayScenarios } from './replay.scenario.js';
import { describeJobVersionScenarios } from './replay-versions.scenario.js';
import { userOf, type ReplayWorldFactory } from './replay-world.js';

const awsWorld: ReplayWorldFactory = async () => {
  const [ports, streamName] = await Promise.all([createTestPorts(), createTestStream(2)]);
  const hashKeys = await shardHashKeys(streamName);
  const shards = [...hashKeys.keys()].sort();
  const encoder = new TextEncoder();
  return {
    ports,
    streamName,
    async append(index, payloads) {
      await appendToShard(
        streamName,
        shards[index]!,
        payloads.map((p) => ({ key: userOf(p), data: encoder.encode(p) })),
        hashKeys,
      );
    },
    sinkTable: () => createTestSinkTable('replay-sink'),
  };
};

/** The replay scenarios on kinesalite, DynamoDB Local and s3rver, through the real SDK clients. */
describeReplayScenarios('AWS adapters on the local stand-ins', awsWorld, {
  crashPoints: ['after-range-record', 'mid-sink-write', 'after-commit'],
});
describeKeyGroupReplayScenarios('AWS adapters on the local stand-ins', awsWorld, { crashPoints: ['after-state-write', 'mid-sink-write'] });
describeRegroupScenarios('AWS adapters on the local stand-ins', awsWorld);
describeJobVersionScenarios('AWS adapters on the local stand-ins', awsWorld);
