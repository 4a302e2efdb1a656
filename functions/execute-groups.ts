/** The executeGroupsTask task of the driver state machines (engine/driver/tasks.ts): stage 2 of a two-stage batch, one slot. */
import { executeGroupsTask } from '../engine/driver/tasks.js';
import { environmentDependencies, type FunctionDependencies } from './environment.js';
import { executeGroupsEvent } from './events.js';
import { withLambdaContext } from './logger.js';
import { callMemory, keyGroupsMemoryWarning } from './metrics.js';
import { taskHandler } from './middleware.js';

export function createExecuteGroupsTaskHandler(deps: FunctionDependencies) {
  return taskHandler(
    'executeGroupsTask',
    () => deps.task().ports.logger,
    async (event) => {
      const input = executeGroupsEvent(event);
      const before = deps.containerMemory?.() ?? null;
      const results = await executeGroupsTask(input, deps.task());
      // On a two-stage batch the state lives in the key groups, in this executor's memory: report how close it runs.
      const after = deps.containerMemory?.() ?? null;
      if (before !== null && after !== null) {
        const memory = callMemory(before, after);
        deps.metrics?.executorRan(input.driver, memory);
        const warning = keyGroupsMemoryWarning(input.driver, results, memory);
        if (warning !== null) deps.task().ports.logger.warn(warning.message, warning.fields);
      }
      return results;
    },
  );
}

export const handler = withLambdaContext(createExecuteGroupsTaskHandler(environmentDependencies));
