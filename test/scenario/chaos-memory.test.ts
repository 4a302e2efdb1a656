import { realTimeMemoryScenarioWorld } from '../support/scenario-memory.js';
import { describeChaos, memoryRegistry } from './chaos.scenario.js';

/** The chaos suite on the memory adapters (the state machines and handlers are the real ones). */
describeChaos('memory adapters', realTimeMemoryScenarioWorld, memoryRegistry, [3, 17, 41]);
