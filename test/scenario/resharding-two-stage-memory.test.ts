import { seededRandom } from '../../jobs/clickstream/generate.js';
import { memoryReshardWorld } from '../support/reshard-world-memory.js';
import { describeTwoStageReshardScenarios, twoStageReshardCrashes } from './resharding-two-stage.scenario.js';

describeTwoStageReshardScenarios('memory adapters', memoryReshardWorld, twoStageReshardCrashes(seededRandom(13), 7));
