import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { appendToShard, createTestPorts, createTestSinkTable, createTestStream, shardHashKeys, uniqueName } from '../support/aws.js';
import { describeLookupScenarios } from './lookup.scenario.js';

/** The lookup scenarios on kinesalite, DynamoDB Local (the customers table too) and s3rver (the lookup records). */
describeLookupScenarios('AWS adapters on the local stand-ins', async () => {
  const [ports, streamName] = await Promise.all([createTestPorts(), createTestStream(2)]);
  const hashKeys = await shardHashKeys(streamName);
  const shards = [...hashKeys.keys()].sort();
  const encoder = new TextEncoder();
  const client = ports.clients.dynamodb;
  const tableName = uniqueName('customers');
  await (client as unknown as DynamoDBClient).send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'customerId', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'customerId', KeyType: 'HASH' }],
    }),
  );
  return {
    ports,
    streamName,
    tableName,
    async append(partition, orders) {
      await appendToShard(
        streamName,
        shards[partition]!,
        orders.map((o) => ({ key: o.id, data: encoder.encode(JSON.stringify(o)) })),
        hashKeys,
      );
    },
    async setTiers(tier) {
      const items = ['c0', 'c1', 'c2', 'c3'].map((customerId) => ({ PutRequest: { Item: { customerId, tier } } }));
      await client.send(new BatchWriteCommand({ RequestItems: { [tableName]: items } }));
    },
    sinkTable: () => createTestSinkTable('lookup-sink'),
  };
});
