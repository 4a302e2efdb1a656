import { describeWindowScenarios } from './windows.scenario.js';

/** Sliding and session windows through crashes and replays, on the memory adapters. */
describeWindowScenarios('sliding');
describeWindowScenarios('session');
