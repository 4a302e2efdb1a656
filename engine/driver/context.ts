import type { JobDefinition } from '../job/types.js';
import type { EnginePorts } from '../ports/index.js';

/** What every driver step needs besides its (small, serialisable) input. */
export interface DriverContext {
  readonly ports: EnginePorts;
  readonly job: JobDefinition;
}
