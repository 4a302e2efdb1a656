import { awsScenarioWorld } from '../support/scenario-aws.js';
import { describeCrashScenarios } from './crash-points.scenario.js';

/** The crash scenarios on DynamoDB Local, kinesalite and s3rver, through the real SDK clients. */
describeCrashScenarios('AWS adapters on the local stand-ins', awsScenarioWorld, [1, 10]);
