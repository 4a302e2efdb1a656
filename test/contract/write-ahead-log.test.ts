import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoDbWriteAheadLog } from '../../engine/adapters/aws/dynamodb-write-ahead-log.js';
import { MemoryWriteAheadLog } from '../../engine/adapters/memory/memory-write-ahead-log.js';
import { createTestWalTable, testAwsClients } from '../support/aws.js';
import { describeWriteAheadLogContract } from './write-ahead-log.contract.js';

describeWriteAheadLogContract('memory', () => {
  const wal = new MemoryWriteAheadLog();
  return {
    wal,
    putStoredBatch: async (jobId, batchId, stored) => wal.putStoredBatch(jobId, batchId, stored),
    getStoredBatch: async (jobId, batchId) => wal.getStoredBatch(jobId, batchId),
  };
});

describeWriteAheadLogContract('DynamoDB (DynamoDB Local)', async () => {
  const tableName = await createTestWalTable();
  const client = testAwsClients().dynamodb;
  // A batch item's key, as the adapter lays it out (engine/adapters/aws/dynamodb-write-ahead-log.ts).
  const key = (jobId: string, batchId: number) => ({ pk: jobId, sk: `batch#${String(batchId).padStart(12, '0')}` });
  return {
    wal: new DynamoDbWriteAheadLog({ client, tableName }),
    async putStoredBatch(jobId, batchId, stored) {
      await client.send(new PutCommand({ TableName: tableName, Item: { ...key(jobId, batchId), batchId, ...stored } }));
    },
    async getStoredBatch(jobId, batchId) {
      const { Item } = await client.send(new GetCommand({ TableName: tableName, Key: key(jobId, batchId), ConsistentRead: true }));
      if (Item === undefined) return null;
      const { pk: _pk, sk: _sk, batchId: _id, ...stored } = Item;
      return stored;
    },
  };
});
