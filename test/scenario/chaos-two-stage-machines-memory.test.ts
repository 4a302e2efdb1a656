import { realTimeMemoryScenarioWorld } from '../support/scenario-memory.js';
import { describeChaos, memoryRegistry } from './chaos.scenario.js';

/** The chaos suite with a two-stage job (key groups, stage 1's output through the exchange store) on the memory adapters. */
describeChaos('memory adapters', realTimeMemoryScenarioWorld, memoryRegistry, [3], { layout: 'key-groups-store' });
