/** The endGeneration task of the driver state machines (engine/driver/tasks.ts). */
import { endGeneration } from '../engine/driver/tasks.js';
import { environmentDependencies, type FunctionDependencies } from './environment.js';
import { endGenerationEvent } from './events.js';
import { withLambdaContext } from './logger.js';
import { taskHandler } from './middleware.js';

export function createEndGenerationHandler(deps: FunctionDependencies) {
  return taskHandler(
    'endGeneration',
    () => deps.task().ports.logger,
    async (event) => endGeneration(endGenerationEvent(event), deps.task()),
  );
}

export const handler = withLambdaContext(createEndGenerationHandler(environmentDependencies));
