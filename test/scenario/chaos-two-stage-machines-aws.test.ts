import { DynamoDbJobRegistry } from '../../engine/adapters/aws/dynamodb-job-registry.js';
import { createTestWalTable, testAwsClients } from '../support/aws.js';
import { awsScenarioWorld } from '../support/scenario-aws.js';
import { describeChaos } from './chaos.scenario.js';

/** The chaos suite with a two-stage job (key groups, stage 1's output through S3) on DynamoDB Local, kinesalite and s3rver. */
describeChaos(
  'AWS adapters on the local stand-ins',
  awsScenarioWorld,
  async () => new DynamoDbJobRegistry({ client: testAwsClients().dynamodb, tableName: await createTestWalTable('registry') }),
  [5],
  { layout: 'key-groups-store' },
);
