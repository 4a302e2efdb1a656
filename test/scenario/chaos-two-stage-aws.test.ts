import { awsScenarioWorld } from '../support/scenario-aws.js';
import { describeTwoStageChaos } from './chaos-two-stage.scenario.js';

/** Chaos on the two-stage path on DynamoDB Local, kinesalite and s3rver, stage 1's output through S3. */
describeTwoStageChaos('AWS adapters on the local stand-ins', awsScenarioWorld, 'key-groups-store', [11]);
