import { createMemoryPorts } from '../../engine/adapters/memory/index.js';
import { seededRandom } from '../../jobs/clickstream/generate.js';
import { describeReshardScenarios, reshardCrashes } from './resharding.scenario.js';

let shardCounter = 0;

describeReshardScenarios(
  'memory adapters',
  async () => {
    const ports = createMemoryPorts();
    const streamName = 'clicks';
    const shards = ['shardId-000000000000', 'shardId-000000000001'];
    ports.source.createStream(streamName, shards);
    shardCounter = 1;
    const next = () => `shardId-${String(++shardCounter).padStart(12, '0')}`;
    return {
      ports,
      streamName,
      sinkTable: 'views',
      shards,
      append: async (records) => void ports.source.appendByKey(streamName, records),
      split: async (shard) => {
        const children = [next(), next()];
        ports.source.reshard(streamName, [shard], children);
        return children;
      },
      merge: async (a, b) => {
        const child = next();
        ports.source.reshard(streamName, [a, b], [child]);
        return child;
      },
    };
  },
  reshardCrashes(seededRandom(5), 12),
);
