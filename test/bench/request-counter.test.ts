/**
 * The cost meter's DynamoDB units on DynamoDB Local: what it reports where it reports what
 * DynamoDB bills (a plain put, by size), and counted from the request where it does not (a
 * transaction, reported as a flat 2 units whatever its items; a failed conditional put,
 * not reported at all).
 */
import { GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { RequestCounter } from '../../bench/request-counter.js';
import { createAwsClients } from '../../engine/adapters/aws/index.js';
import { createTestSinkTable, testAwsConfig } from '../support/aws.js';

describe('the request counter on DynamoDB Local', () => {
  it('counts a plain put as reported, a transaction item by item, and a failed conditional put', async () => {
    const clients = createAwsClients(testAwsConfig());
    const counter = new RequestCounter();
    counter.attach(clients);
    const table = await createTestSinkTable('counted');
    const component = `DynamoDB ${table}`;
    const wru = (before: ReadonlyMap<string, number>) => counter.usageSince(before)[component]?.wru ?? 0;

    let before = counter.snapshot();
    await clients.dynamodb.send(new PutCommand({ TableName: table, Item: { pk: 'big', pad: 'x'.repeat(3000) } }));
    expect(wru(before)).toBe(3);

    before = counter.snapshot();
    const items = Array.from({ length: 10 }, (_, i) => ({ Put: { TableName: table, Item: { pk: `k${i}`, pad: 'y'.repeat(1500) } } }));
    await clients.dynamodb.send(new TransactWriteCommand({ TransactItems: items }));
    // 10 items of 1.5 KB: 2 KB each, twice for a transaction (DynamoDB Local reports 2 for it all).
    expect(wru(before)).toBe(40);
    expect(counter.capacitySince(before).wru).toBe(40);

    before = counter.snapshot();
    const refused = new PutCommand({ TableName: table, Item: { pk: 'big', pad: 'z' }, ConditionExpression: 'attribute_not_exists(pk)' });
    await expect(clients.dynamodb.send(refused)).rejects.toThrow(/conditional request failed/i);
    expect(wru(before)).toBe(1);
    expect(counter.since(before)).toEqual({ 'DynamoDB.PutItem': 1 });
  });

  it('times each request since a snapshot, with the requests to the same service it found in flight', async () => {
    const clients = createAwsClients(testAwsConfig());
    const counter = new RequestCounter();
    counter.attach(clients);
    const table = await createTestSinkTable('timed');
    await clients.dynamodb.send(new PutCommand({ TableName: table, Item: { pk: 'a' } }));

    const before = counter.snapshot();
    // Five reads sent together: the first finds none in flight, the last the other four.
    await Promise.all(Array.from({ length: 5 }, () => clients.dynamodb.send(new GetCommand({ TableName: table, Key: { pk: 'a' } }))));
    await clients.dynamodb.send(new GetCommand({ TableName: table, Key: { pk: 'a' } }));
    const times = counter.timesSince(before);

    // The put before the snapshot is not in it.
    expect(Object.keys(times)).toEqual(['DynamoDB.GetItem']);
    const get = times['DynamoDB.GetItem']!;
    expect(get.ms.count).toBe(6);
    expect(get.ms.min).toBeGreaterThan(0);
    expect(get.inFlight.min).toBe(0);
    expect(get.inFlight.max).toBe(4);
  });
});
