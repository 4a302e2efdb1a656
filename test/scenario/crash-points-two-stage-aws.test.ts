import { awsScenarioWorld } from '../support/scenario-aws.js';
import { describeCrashScenarios } from './crash-points.scenario.js';

/**
 * The crash scenarios on the two-stage path on DynamoDB Local, kinesalite and s3rver:
 * every page from every shard, state in key groups, stage 1's output through S3. The
 * crash points are the writes of the two stages, the commit and the exchange's deletion,
 * in the batch that also runs retention; the plan, the range record and stage 1's dead
 * letters are the one-stage path's (crash-points-aws.test.ts), and every point of both
 * stages runs on the memory adapters (crash-points-two-stage-memory.test.ts).
 */
describeCrashScenarios('AWS adapters on the local stand-ins, key groups, exchange through S3', awsScenarioWorld, [10], {
  layout: 'key-groups-store',
  crashPoints: ['after-exchange-write', 'after-state-write', 'mid-sink-write', 'before-commit', 'after-commit', 'after-exchange-delete'],
});
