/**
 * The jobs API's context (engine/api/context.ts) on the memory adapters, for the tests of
 * its operations: every port from the memory ports, with the job registry, the fake of
 * the driver's executions and the catalog each test gives.
 */
import type { MemoryPorts } from '../../engine/adapters/memory/index.js';
import type { ApiPorts } from '../../engine/api/context.js';
import type { JobCatalog } from '../../engine/driver/catalog.js';
import type { DriverExecutions } from '../../engine/ports/driver-executions.js';
import type { JobRegistry } from '../../engine/ports/job-registry.js';

export function memoryApiContext(
  ports: MemoryPorts,
  given: { readonly registry: JobRegistry; readonly executions: DriverExecutions; readonly catalog: JobCatalog },
): ApiPorts {
  return {
    registry: given.registry,
    wal: ports.wal,
    state: ports.state,
    deadLetters: ports.deadLetters,
    sinks: ports.sinks,
    executions: given.executions,
    catalog: given.catalog,
    clock: ports.clock,
    logger: ports.logger,
    targets: ports.targets,
  };
}
