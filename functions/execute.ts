/** The executeTask task of the driver state machines (engine/driver/tasks.ts). */
import { executeTask } from '../engine/driver/tasks.js';
import { environmentDependencies, type FunctionDependencies } from './environment.js';
import { executeEvent } from './events.js';
import { taskHandler } from './middleware.js';

export function createExecuteTaskHandler(deps: FunctionDependencies) {
  return taskHandler('executeTask', () => deps.task().ports.logger, async (event) => executeTask(executeEvent(event), deps.task()));
}

export const handler = createExecuteTaskHandler(environmentDependencies);
