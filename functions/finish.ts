/** The finishTask task of the driver state machines (engine/driver/tasks.ts). */
import { finishTask } from '../engine/driver/tasks.js';
import { environmentDependencies, type FunctionDependencies } from './environment.js';
import { finishEvent } from './events.js';
import { taskHandler } from './middleware.js';

export function createFinishTaskHandler(deps: FunctionDependencies) {
  return taskHandler('finishTask', () => deps.task().ports.logger, async (event) => finishTask(finishEvent(event), deps.task()));
}

export const handler = createFinishTaskHandler(environmentDependencies);
