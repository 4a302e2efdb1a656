import { seededRandom } from '../../jobs/clickstream/generate.js';
import { memoryReshardWorld } from '../support/reshard-world-memory.js';
import { describeReshardScenarios, reshardCrashes } from './resharding.scenario.js';

describeReshardScenarios('memory adapters', memoryReshardWorld, reshardCrashes(seededRandom(5), 12));
