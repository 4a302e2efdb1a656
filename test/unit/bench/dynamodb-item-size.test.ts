/** The WRU the cost meter counts where DynamoDB Local does not report what DynamoDB bills (bench/dynamodb-item-size.ts). */
import { describe, expect, it } from 'vitest';
import { failedWriteUnits, itemSize, transactionUnits, valueSize, writeUnits } from '../../../bench/dynamodb-item-size.js';

describe('item sizes, by DynamoDB rules', () => {
  it('counts names and values: strings by UTF-8 bytes, numbers by significant digits, small scalars as 1', () => {
    expect(itemSize({ pk: 'abc' })).toBe(5);
    expect(itemSize({ é: 'éé' })).toBe(2 + 4);
    expect(valueSize(12345)).toBe(4);
    expect(valueSize(-1.5)).toBe(2);
    expect(valueSize(1000)).toBe(2);
    expect(valueSize(0)).toBe(2);
    expect(valueSize(true)).toBe(1);
    expect(valueSize(null)).toBe(1);
    expect(valueSize(new Uint8Array(10))).toBe(10);
  });

  it('counts a list or map as 3 bytes, 1 per element, the elements and the names', () => {
    expect(valueSize(['ab', 'c'])).toBe(3 + (1 + 2) + (1 + 1));
    expect(valueSize({ a: 'xy' })).toBe(3 + 1 + 1 + 2);
    expect(valueSize(new Set(['ab', 'c']))).toBe(3);
  });

  it('bills one write unit per KB, rounded up, at least one', () => {
    expect([0, 1, 1024, 1025, 3000].map(writeUnits)).toEqual([1, 1, 1, 2, 3]);
  });
});

describe('what a transaction and a failed conditional write are billed', () => {
  it("bills each item of a transaction twice its size's write units, on its own table", () => {
    const units = transactionUnits({
      TransactItems: [
        { Put: { TableName: 'sink', Item: { pk: 'a', pad: 'x'.repeat(1500) } } },
        { Put: { TableName: 'sink', Item: { pk: 'b' } } },
        { Update: { TableName: 'wal', Key: { pk: 'job' }, ExpressionAttributeValues: { ':c': 'y'.repeat(3000) } } },
        { ConditionCheck: { TableName: 'wal', Key: { pk: 'lease' } } },
        { Delete: { TableName: 'wal', Key: { pk: 'old' } } },
      ],
    });
    expect(units.map((u) => [u.tableName, u.wru])).toEqual([
      ['sink', 4],
      ['sink', 2],
      ['wal', 6],
      ['wal', 2],
      ['wal', 2],
    ]);
  });

  it("bills a failed conditional put at its item's size and any other failed write at the minimum", () => {
    expect(failedWriteUnits('PutItem', { Item: { pk: 'a', pad: 'x'.repeat(2500) } })).toBe(3);
    expect(failedWriteUnits('PutItem', { Item: { pk: 'a' } })).toBe(1);
    expect(failedWriteUnits('UpdateItem', { Key: { pk: 'a' } })).toBe(1);
  });
});
