import { seededRandom } from '../../jobs/clickstream/generate.js';
import { awsReshardWorld } from '../support/reshard-world-aws.js';
import { describeReshardScenarios, reshardCrashes } from './resharding.scenario.js';

/** The reshard scenarios on kinesalite, with the WAL, state and sink on DynamoDB Local and s3rver. */
describeReshardScenarios('AWS adapters on the local stand-ins', awsReshardWorld, reshardCrashes(seededRandom(9), 6));
