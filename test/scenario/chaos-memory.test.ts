import { createMemoryPorts } from '../../engine/adapters/memory/index.js';
import { systemClock } from '../../engine/adapters/system-clock.js';
import { scenarioJob } from '../support/scenario.js';
import { describeChaos, memoryRegistry } from './chaos.scenario.js';

/** The chaos suite on the memory adapters (the state machines and handlers are the real ones). */
describeChaos(
  'memory adapters',
  async (events, partitions, name) => {
    // Real time: Step Functions' clocks ($$.Execution.StartTime, Wait states) are real.
    const ports = { ...createMemoryPorts(), clock: systemClock };
    const streamName = `clicks-${name}`;
    ports.source.createStream(
      streamName,
      Array.from({ length: partitions }, (_, p) => `p${p}`),
    );
    const encoder = new TextEncoder();
    for (let p = 0; p < partitions; p += 1) {
      const mine = events.filter((e) => e.partitionIndex === p);
      ports.source.append(
        streamName,
        `p${p}`,
        mine.map((e) => ({ key: e.user, data: encoder.encode(e.payload) })),
      );
    }
    return { ports, job: scenarioJob({ streamName, sinkTable: `sink-${name}` }), jobId: `job-${name}` };
  },
  memoryRegistry,
  [3, 17, 41],
);
