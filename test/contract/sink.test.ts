import { DynamoDbSink } from '../../engine/adapters/aws/dynamodb-sink.js';
import { MemorySink } from '../../engine/adapters/memory/memory-sink.js';
import { createTestSinkTable, testAwsClients } from '../support/aws.js';
import { describeSinkContract } from './sink.contract.js';

describeSinkContract('memory', () => new MemorySink());

describeSinkContract('DynamoDB (DynamoDB Local)', async () => {
  return new DynamoDbSink({ client: testAwsClients().dynamodb, tableName: await createTestSinkTable() });
});
