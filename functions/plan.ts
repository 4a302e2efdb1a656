/** The planTask task of the driver state machines (engine/driver/tasks.ts). */
import { planTask } from '../engine/driver/tasks.js';
import { environmentDependencies, type FunctionDependencies } from './environment.js';
import { planEvent } from './events.js';
import { withLambdaContext } from './logger.js';
import { taskHandler } from './middleware.js';

export function createPlanTaskHandler(deps: FunctionDependencies) {
  return taskHandler(
    'planTask',
    () => deps.task().ports.logger,
    async (event) => planTask(planEvent(event), deps.task()),
  );
}

export const handler = withLambdaContext(createPlanTaskHandler(environmentDependencies));
