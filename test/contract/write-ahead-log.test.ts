import { DynamoDbWriteAheadLog } from '../../engine/adapters/aws/dynamodb-write-ahead-log.js';
import { MemoryWriteAheadLog } from '../../engine/adapters/memory/memory-write-ahead-log.js';
import { createTestWalTable, testAwsClients } from '../support/aws.js';
import { describeWriteAheadLogContract } from './write-ahead-log.contract.js';

describeWriteAheadLogContract('memory', () => new MemoryWriteAheadLog());

describeWriteAheadLogContract('DynamoDB (DynamoDB Local)', async () => {
  const tableName = await createTestWalTable();
  return new DynamoDbWriteAheadLog({ client: testAwsClients().dynamodb, tableName });
});
