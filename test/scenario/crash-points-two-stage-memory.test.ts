import { memoryScenarioWorld } from '../support/scenario-memory.js';
import { describeCrashScenarios } from './crash-points.scenario.js';

/**
 * The crash scenarios on the two-stage path, on the memory adapters: every page from every
 * partition, state in key groups; stage 1's output through the exchange store, and inline.
 */
describeCrashScenarios('memory adapters, key groups, exchange through the store', memoryScenarioWorld, [1, 4, 10], {
  layout: 'key-groups-store',
});
describeCrashScenarios('memory adapters, key groups, exchange inline', memoryScenarioWorld, [1, 10], { layout: 'key-groups-inline' });
