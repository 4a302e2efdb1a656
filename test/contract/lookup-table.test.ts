import { CreateTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoDbLookupTable } from '../../engine/adapters/aws/dynamodb-lookup-table.js';
import { MemoryLookupTables } from '../../engine/adapters/memory/memory-lookup-tables.js';
import { TransientError } from '../../engine/errors.js';
import type { LookupTableSpec } from '../../engine/ports/lookup-table.js';
import { testAwsClients, uniqueName } from '../support/aws.js';
import { describeLookupTableContract } from './lookup-table.contract.js';

describeLookupTableContract('memory', () => {
  const tables = new MemoryLookupTables();
  let n = 0;
  return {
    async table({ key, items, attributes }) {
      n += 1;
      const tableName = `table-${n}`;
      tables.put(tableName, items);
      return { type: 'dynamodb', tableName, key, ...(attributes === undefined ? {} : { attributes }) };
    },
    reader: (spec) => tables.table(spec),
  };
});

describeLookupTableContract('DynamoDB (DynamoDB Local)', () => {
  const client = testAwsClients().dynamodb;
  return {
    async table({ key, keyType, items, attributes }) {
      const tableName = uniqueName('lookup');
      await (client as unknown as DynamoDBClient).send(
        new CreateTableCommand({
          TableName: tableName,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [{ AttributeName: key, AttributeType: keyType }],
          KeySchema: [{ AttributeName: key, KeyType: 'HASH' }],
        }),
      );
      for (let i = 0; i < items.length; i += 25) {
        await client.send(
          new BatchWriteCommand({ RequestItems: { [tableName]: items.slice(i, i + 25).map((item) => ({ PutRequest: { Item: item } })) } }),
        );
      }
      return { type: 'dynamodb', tableName, key, ...(attributes === undefined ? {} : { attributes }) };
    },
    reader: (spec) => new DynamoDbLookupTable({ client, spec, sleep: async () => {} }),
  };
});

describe('DynamoDbLookupTable against a client that answers like DynamoDB under load', () => {
  const spec: LookupTableSpec = { type: 'dynamodb', tableName: 'customers', key: 'id' };
  const fake = (answer: (keys: { id: string }[], call: number) => unknown) => {
    const calls: { keys: { id: string }[] }[] = [];
    const client = {
      send: async (command: { input: { RequestItems: Record<string, { Keys: { id: string }[] }> } }) => {
        const keys = command.input.RequestItems.customers!.Keys;
        calls.push({ keys });
        return answer(keys, calls.length);
      },
    };
    return { client: client as never, calls };
  };

  it('sends the UnprocessedKeys again, with backoff, until none is left; 100 keys a call', async () => {
    const waits: number[] = [];
    const { client, calls } = fake((keys, call) =>
      call === 1
        ? {
            Responses: { customers: keys.slice(50).map((k) => ({ ...k, n: 1 })) },
            UnprocessedKeys: { customers: { Keys: keys.slice(0, 50) } },
          }
        : { Responses: { customers: keys.map((k) => ({ ...k, n: 1 })) }, UnprocessedKeys: {} },
    );
    const table = new DynamoDbLookupTable({ client, spec, sleep: async (ms) => void waits.push(ms) });
    const keys = Array.from({ length: 150 }, (_, i) => `k${i}`);
    const found = await table.getMany(keys);
    expect(found.every((item) => item !== null)).toBe(true);
    expect(calls.map((c) => c.keys.length)).toEqual([100, 50, 50]);
    expect(waits).toEqual([50]);
  });

  it('gives up with a TransientError when keys stay unprocessed', async () => {
    const { client } = fake((keys) => ({ Responses: {}, UnprocessedKeys: { customers: { Keys: keys } } }));
    const table = new DynamoDbLookupTable({ client, spec, sleep: async () => {} });
    await expect(table.getMany(['a'])).rejects.toBeInstanceOf(TransientError);
  });

  it('makes throttling a TransientError naming the table', async () => {
    const throttled = Object.assign(new Error('slow down'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 429 } });
    const client = { send: async () => Promise.reject(throttled) } as never;
    const read = new DynamoDbLookupTable({ client, spec, sleep: async () => {} }).getMany(['a']);
    await expect(read).rejects.toBeInstanceOf(TransientError);
    await expect(new DynamoDbLookupTable({ client, spec, sleep: async () => {} }).getMany(['a'])).rejects.toThrow(
      /customers is throttling/,
    );
  });
});
