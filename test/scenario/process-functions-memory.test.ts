import { createMemoryPorts } from '../../engine/adapters/memory/index.js';
import { describeProcessFunctionScenarios } from './process-functions.scenario.js';
import { userOf, type ReplayWorldFactory } from './replay-world.js';

/** A world on the memory adapters: a stream of two partitions, each record keyed by its user (the producer partitions by user). */
const memoryWorld: ReplayWorldFactory = async () => {
  const ports = createMemoryPorts();
  const partitions = ['shard-0', 'shard-1'];
  ports.source.createStream('views', partitions);
  const encoder = new TextEncoder();
  let tables = 0;
  return {
    ports,
    streamName: 'views',
    async append(index, payloads) {
      ports.source.append(
        'views',
        partitions[index]!,
        payloads.map((p) => ({ key: userOf(p), data: encoder.encode(p) })),
      );
    },
    async sinkTable() {
      tables += 1;
      return `table-${tables}`;
    },
  };
};

describeProcessFunctionScenarios('memory adapters', memoryWorld);
