import { createMemoryPorts } from '../../engine/adapters/memory/index.js';
import { systemClock } from '../../engine/adapters/system-clock.js';
import { scenarioJob, type WorldFactory } from './scenario.js';

/** A scenario world on the memory adapters: the scenario's events on the shards of a memory stream. */
export const memoryScenarioWorld: WorldFactory = async (events, partitions, name, layout) => {
  const ports = createMemoryPorts();
  const job = scenarioJob({ streamName: 'clicks', sinkTable: 'views', ...(layout === undefined ? {} : { layout }) });
  const ids = Array.from({ length: partitions }, (_, i) => `shard-${i}`);
  ports.source.createStream('clicks', ids);
  const encoder = new TextEncoder();
  for (let p = 0; p < partitions; p += 1) {
    const mine = events.filter((e) => e.partitionIndex === p);
    ports.source.append(
      'clicks',
      ids[p]!,
      mine.map((e) => ({ key: e.page ?? 'none', data: encoder.encode(e.payload) })),
    );
  }
  return { ports, job, jobId: `job-${name}` };
};

/** memoryScenarioWorld on the system clock, for the driver state machines, whose clocks ($$.Execution.StartTime, Wait states) are real. */
export const realTimeMemoryScenarioWorld: WorldFactory = async (events, partitions, name, layout) => {
  const world = await memoryScenarioWorld(events, partitions, name, layout);
  return { ...world, ports: { ...world.ports, clock: systemClock } };
};
