import { createMemoryPorts } from '../../engine/adapters/memory/index.js';
import { kafkaSource } from '../../engine/job/index.js';
import { scenarioJob } from '../support/scenario.js';
import { describeCrashScenarios } from './crash-points.scenario.js';

/** The crash scenarios on the memory adapters reading a Kafka topic's twin: offsets 0, 1, 2..., ranges fixed at plan time. */
describeCrashScenarios(
  'memory adapters, Kafka source (fixed ranges)',
  async (events, partitions, name) => {
    const ports = createMemoryPorts();
    const job = scenarioJob({ sinkTable: 'views', source: kafkaSource({ topic: 'clicks' }) });
    const ids = Array.from({ length: partitions }, (_, i) => String(i));
    ports.kafka.createStream('clicks', ids);
    const encoder = new TextEncoder();
    for (let p = 0; p < partitions; p += 1) {
      const mine = events.filter((e) => e.partitionIndex === p);
      ports.kafka.append(
        'clicks',
        ids[p]!,
        mine.map((e) => ({ key: e.user, data: encoder.encode(e.payload) })),
      );
    }
    return { ports, job, jobId: `job-${name}` };
  },
  [1, 4, 10],
  { fixedRanges: true },
);
