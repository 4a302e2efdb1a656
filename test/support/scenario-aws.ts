import { appendToShard, createTestPorts, createTestSinkTable, createTestStream, shardHashKeys } from './aws.js';
import { scenarioJob, type WorldFactory } from './scenario.js';

/**
 * A scenario world on DynamoDB Local, kinesalite and s3rver, through the real SDK clients:
 * its own tables, bucket and stream, the scenario's events on their shards.
 */
export const awsScenarioWorld: WorldFactory = async (events, partitions, name) => {
  const [ports, sinkTable, streamName] = await Promise.all([createTestPorts(), createTestSinkTable(), createTestStream(partitions)]);
  const hashKeys = await shardHashKeys(streamName);
  const shards = [...hashKeys.keys()].sort();
  const encoder = new TextEncoder();
  for (let p = 0; p < partitions; p += 1) {
    const mine = events.filter((e) => e.partitionIndex === p);
    await appendToShard(
      streamName,
      shards[p]!,
      mine.map((e) => ({ key: e.user, data: encoder.encode(e.payload) })),
      hashKeys,
    );
  }
  return { ports, job: scenarioJob({ streamName, sinkTable }), jobId: `job-${name}` };
};
