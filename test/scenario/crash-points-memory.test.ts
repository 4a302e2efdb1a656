import { describeCrashScenarios } from './crash-points.scenario.js';
import { memoryScenarioWorld } from '../support/scenario-memory.js';

describeCrashScenarios('memory adapters', memoryScenarioWorld, [1, 4, 10]);
