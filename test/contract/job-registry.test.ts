import { DynamoDbJobRegistry } from '../../engine/adapters/aws/dynamodb-job-registry.js';
import { MemoryJobRegistry } from '../../engine/adapters/memory/memory-job-registry.js';
import { createTestWalTable, testAwsClients } from '../support/aws.js';
import { describeJobRegistryContract } from './job-registry.contract.js';

describeJobRegistryContract('memory', () => new MemoryJobRegistry());

describeJobRegistryContract('DynamoDB (DynamoDB Local, in the WAL table)', async () => {
  const tableName = await createTestWalTable();
  return new DynamoDbJobRegistry({ client: testAwsClients().dynamodb, tableName });
});
