import { createMemoryPorts } from '../../engine/adapters/memory/index.js';
import type { ReshardWorldFactory } from './reshard-world.js';

/** A reshard world on the memory adapters: a memory stream of two shards, split and merged as Kinesis does. */
export const memoryReshardWorld: ReshardWorldFactory = async () => {
  const ports = createMemoryPorts();
  const streamName = 'clicks';
  const shards = ['shardId-000000000000', 'shardId-000000000001'];
  ports.source.createStream(streamName, shards);
  let shardCounter = 1;
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
};
