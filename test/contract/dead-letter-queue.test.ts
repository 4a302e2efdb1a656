import { DynamoDbDeadLetterQueue } from '../../engine/adapters/aws/dynamodb-dead-letter-queue.js';
import { MemoryDeadLetterQueue } from '../../engine/adapters/memory/memory-dead-letter-queue.js';
import { createTestDeadLetterTable, testAwsClients } from '../support/aws.js';
import { describeDeadLetterQueueContract } from './dead-letter-queue.contract.js';

describeDeadLetterQueueContract('memory', () => new MemoryDeadLetterQueue());

describeDeadLetterQueueContract('DynamoDB (DynamoDB Local)', async () => {
  return new DynamoDbDeadLetterQueue({ client: testAwsClients().dynamodb, tableName: await createTestDeadLetterTable() });
});
