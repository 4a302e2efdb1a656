/** The startGeneration task of the driver state machines (engine/driver/tasks.ts). */
import { startGeneration } from '../engine/driver/tasks.js';
import { environmentDependencies, type FunctionDependencies } from './environment.js';
import { startGenerationEvent } from './events.js';
import { withLambdaContext } from './logger.js';
import { taskHandler } from './middleware.js';

export function createStartGenerationHandler(deps: FunctionDependencies) {
  return taskHandler(
    'startGeneration',
    () => deps.task().ports.logger,
    async (event) => startGeneration(startGenerationEvent(event), deps.task()),
  );
}

export const handler = withLambdaContext(createStartGenerationHandler(environmentDependencies));
