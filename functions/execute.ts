/** The executeTask task of the driver state machines (engine/driver/tasks.ts). */
import { executeTask } from '../engine/driver/tasks.js';
import { environmentDependencies, type FunctionDependencies } from './environment.js';
import { executeEvent } from './events.js';
import { withLambdaContext } from './logger.js';
import { callMemory, executorMemoryWarning } from './metrics.js';
import { taskHandler } from './middleware.js';

export function createExecuteTaskHandler(deps: FunctionDependencies) {
  return taskHandler(
    'executeTask',
    () => deps.task().ports.logger,
    async (event) => {
      const input = executeEvent(event);
      const before = deps.containerMemory?.() ?? null;
      const result = await executeTask(input, deps.task());
      // A partition's state lives in the executor's memory: report how close it runs.
      const after = deps.containerMemory?.() ?? null;
      if (before !== null && after !== null) {
        const memory = callMemory(before, after);
        deps.metrics?.executorRan(input.driver, memory);
        const warning = executorMemoryWarning(input.driver, result, memory);
        if (warning !== null) deps.task().ports.logger.warn(warning.message, warning.fields);
      }
      return result;
    },
  );
}

export const handler = withLambdaContext(createExecuteTaskHandler(environmentDependencies));
