import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoDbSink } from '../../engine/adapters/aws/dynamodb-sink.js';
import { MemorySink } from '../../engine/adapters/memory/memory-sink.js';
import { createTestSinkTable, testAwsClients } from '../support/aws.js';
import { describeSinkContract } from './sink.contract.js';

describeSinkContract('memory', () => new MemorySink());

describeSinkContract('DynamoDB (DynamoDB Local)', async () => {
  return new DynamoDbSink({ client: testAwsClients().dynamodb, tableName: await createTestSinkTable() });
});

describe('DynamoDbSink: rows stored before generations existed', () => {
  it('count as generation 0: a batch of generation 0 orders by batch, any replay replaces them', async () => {
    const client = testAwsClients().dynamodb;
    const tableName = await createTestSinkTable();
    const sink = new DynamoDbSink({ client, tableName });
    // What an older engine wrote: no sluiceGeneration attribute.
    for (const key of ['a', 'b', 'c']) {
      await client.send(new PutCommand({ TableName: tableName, Item: { pk: key, sluiceBatchId: 7, count: 1 } }));
    }
    expect(await sink.get('a')).toEqual({ key: 'a', value: { count: 1 }, batchId: 7, generation: 0 });
    const write = (batchId: number, generation: number, keys: string[], count: number) =>
      sink.write({ jobId: 'job', batchId, generation, partition: 'p', rows: keys.map((key) => ({ key, value: { count } })) });
    expect(await write(6, 0, ['a'], 2)).toEqual({ written: 0, skipped: 1 });
    expect(await write(7, 0, ['a'], 3)).toEqual({ written: 1, skipped: 0 });
    expect(await write(2, 1, ['b'], 4)).toEqual({ written: 1, skipped: 0 });
    expect(await sink.scan()).toEqual([
      { key: 'a', value: { count: 3 }, batchId: 7, generation: 0 },
      { key: 'b', value: { count: 4 }, batchId: 2, generation: 1 },
      { key: 'c', value: { count: 1 }, batchId: 7, generation: 0 },
    ]);
  });
});
