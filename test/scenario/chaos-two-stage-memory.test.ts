import { memoryScenarioWorld } from '../support/scenario-memory.js';
import { describeTwoStageChaos } from './chaos-two-stage.scenario.js';

/** Chaos on the two-stage path on the memory adapters: stage 1's output through the exchange store, and inline. */
describeTwoStageChaos('memory adapters', memoryScenarioWorld, 'key-groups-store', [3, 17, 41]);
describeTwoStageChaos('memory adapters', memoryScenarioWorld, 'key-groups-inline', [5]);
