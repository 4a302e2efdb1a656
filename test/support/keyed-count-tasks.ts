/**
 * A keyed count in key groups driven task by task (engine/driver/tasks.ts), for the tests
 * of a two-stage batch's tasks and handlers: job `counts` reads stream `s` of the memory
 * ports (created by the test), is recorded RUNNING as job instance `j`, and its first
 * generation has started (the StartGeneration task).
 */
import { MemoryJobRegistry } from '../../engine/adapters/memory/memory-job-registry.js';
import { DEFAULT_DRIVER_SETTINGS } from '../../engine/driver/settings.js';
import { startGeneration, type DriverInfo, type DriverTaskContext } from '../../engine/driver/tasks.js';
import { StateCache } from '../../engine/executor/state-cache.js';
import { count, defineJob, memorySink, memorySource } from '../../engine/job/index.js';
import type { EnginePorts } from '../../engine/ports/index.js';
import { jobInstance } from './builders.js';

export async function startedKeyedCount(
  ports: EnginePorts,
  options: { readonly keyGroups: number; readonly cache?: boolean },
): Promise<{ ctx: DriverTaskContext; driver: DriverInfo }> {
  const job = defineJob<{ k: string }>({
    name: 'counts',
    version: 1,
    source: memorySource({ streamName: 's' }),
    pipeline: (s) => s.keyBy((e) => e.k).aggregate(count()),
    sink: memorySink({ name: 'out' }),
    trigger: { type: 'availableNow' },
    keyGroups: options.keyGroups,
  });
  const registry = new MemoryJobRegistry();
  await registry.put(jobInstance({ jobName: 'counts' }), null);
  const ctx: DriverTaskContext = {
    ports,
    registry,
    catalog: { counts: { description: 'a keyed count', create: () => job } },
    settings: DEFAULT_DRIVER_SETTINGS,
    ...(options.cache ? { cache: new StateCache() } : {}),
  };
  const started = await startGeneration({ jobId: 'j', generation: 1 }, ctx);
  if (started.action !== 'run') throw new Error(`the generation did not start: ${JSON.stringify(started)}`);
  return { ctx, driver: started.driver };
}
