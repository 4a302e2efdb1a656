/** The routeTask task of the driver state machines (engine/driver/tasks.ts): the stage-2 slots of a two-stage batch. */
import { routeTask } from '../engine/driver/tasks.js';
import { environmentDependencies, type FunctionDependencies } from './environment.js';
import { routeEvent } from './events.js';
import { withLambdaContext } from './logger.js';
import { taskHandler } from './middleware.js';

export function createRouteTaskHandler(deps: FunctionDependencies) {
  return taskHandler(
    'routeTask',
    () => deps.task().ports.logger,
    async (event) => routeTask(routeEvent(event)),
  );
}

export const handler = withLambdaContext(createRouteTaskHandler(environmentDependencies));
