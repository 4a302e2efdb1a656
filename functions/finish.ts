/** The finishTask task of the driver state machines (engine/driver/tasks.ts). */
import { finishTask } from '../engine/driver/tasks.js';
import { environmentDependencies, type FunctionDependencies } from './environment.js';
import { finishEvent } from './events.js';
import { withLambdaContext } from './logger.js';
import { taskHandler } from './middleware.js';

export function createFinishTaskHandler(deps: FunctionDependencies) {
  return taskHandler(
    'finishTask',
    () => deps.task().ports.logger,
    async (event) => {
      const input = finishEvent(event);
      const result = await finishTask(input, deps.task());
      deps.metrics?.batchCommitted(input.driver, result);
      return result;
    },
  );
}

export const handler = withLambdaContext(createFinishTaskHandler(environmentDependencies));
