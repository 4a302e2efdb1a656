import { seededRandom } from '../../jobs/clickstream/generate.js';
import { awsReshardWorld } from '../support/reshard-world-aws.js';
import { describeTwoStageReshardScenarios, twoStageReshardCrashes } from './resharding-two-stage.scenario.js';

/** The two-stage reshard scenarios on kinesalite, with the WAL, state and sink on DynamoDB Local and s3rver. */
describeTwoStageReshardScenarios('AWS adapters on the local stand-ins', awsReshardWorld, twoStageReshardCrashes(seededRandom(21), 2));
