import { createMemoryPorts } from '../../engine/adapters/memory/index.js';
import { describeCrashScenarios } from './crash-points.scenario.js';
import { scenarioJob } from '../support/scenario.js';

describeCrashScenarios(
  'memory adapters',
  async (events, partitions, name) => {
    const ports = createMemoryPorts();
    const job = scenarioJob({ streamName: 'clicks', sinkTable: 'views' });
    const ids = Array.from({ length: partitions }, (_, i) => `shard-${i}`);
    ports.source.createStream('clicks', ids);
    const encoder = new TextEncoder();
    for (let p = 0; p < partitions; p += 1) {
      const mine = events.filter((e) => e.partitionIndex === p);
      ports.source.append(
        'clicks',
        ids[p]!,
        mine.map((e) => ({ key: e.user, data: encoder.encode(e.payload) })),
      );
    }
    return { ports, job, jobId: `job-${name}` };
  },
  [1, 4, 10],
);
