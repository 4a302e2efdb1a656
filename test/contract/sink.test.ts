import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { DynamoDbSink, transactionChunks } from '../../engine/adapters/aws/dynamodb-sink.js';
import { createAwsClients } from '../../engine/adapters/aws/index.js';
import { MemorySink } from '../../engine/adapters/memory/memory-sink.js';
import type { DynamoDbSinkWrites } from '../../engine/ports/sink.js';
import { createTestSinkTable, testAwsClients, testAwsConfig } from '../support/aws.js';
import { describeSinkContract } from './sink.contract.js';

describeSinkContract('memory', () => new MemorySink());

describeSinkContract('DynamoDB (DynamoDB Local), transactions', async () => {
  return new DynamoDbSink({ client: testAwsClients().dynamodb, tableName: await createTestSinkTable() });
});

describeSinkContract('DynamoDB (DynamoDB Local), conditional puts', async () => {
  return new DynamoDbSink({ client: testAwsClients().dynamodb, tableName: await createTestSinkTable(), writes: 'puts' });
});

describe('DynamoDbSink: how rows are sent', () => {
  /** A sink on its own clients, and the DynamoDB operations they sent, by name. */
  async function countedSink(writes?: DynamoDbSinkWrites) {
    const client = createAwsClients(testAwsConfig()).dynamodb;
    const sent: string[] = [];
    client.middlewareStack.add(
      (next, context) => (args) => {
        sent.push(String(context.commandName).replace(/Command$/, ''));
        return next(args);
      },
      { step: 'initialize' },
    );
    const sink = new DynamoDbSink({ client, tableName: await createTestSinkTable(), ...(writes === undefined ? {} : { writes }) });
    const ops = () => {
      const counts: Record<string, number> = {};
      for (const op of sent.splice(0)) counts[op] = (counts[op] ?? 0) + 1;
      return counts;
    };
    return { sink, ops };
  }
  const rows = (count: number, value: number) => Array.from({ length: count }, (_, i) => ({ key: `k${i}`, value: { value } }));
  const write = (batchId: number, sinkRows: ReturnType<typeof rows>) => ({
    jobId: 'job',
    batchId,
    generation: 0,
    partition: 'p',
    rows: sinkRows,
  });

  it('sends transactions of up to 100 rows by default, and falls back to puts only for a chunk that is refused', async () => {
    const { sink, ops } = await countedSink();
    expect(await sink.write(write(2, rows(250, 2)))).toEqual({ written: 250, skipped: 0 });
    expect(ops()).toEqual({ TransactWriteItems: 3 });
    // Row k150 is newer: the second chunk (k100..k199) is refused and written row by row.
    await sink.write(write(9, [{ key: 'k150', value: { value: 9 } }]));
    ops();
    expect(await sink.write(write(3, rows(250, 3)))).toEqual({ written: 249, skipped: 1 });
    expect(ops()).toEqual({ TransactWriteItems: 3, PutItem: 100 });
    const stored = await sink.scan();
    expect(stored.filter((row) => row.batchId === 3)).toHaveLength(249);
    expect(await sink.get('k150')).toMatchObject({ value: { value: 9 }, batchId: 9 });
  });

  it("sends one conditional put a row with writes: 'puts', skipping the newer rows", async () => {
    const { sink, ops } = await countedSink('puts');
    expect(await sink.write(write(2, rows(5, 2)))).toEqual({ written: 5, skipped: 0 });
    expect(ops()).toEqual({ PutItem: 5 });
    await sink.write(write(9, [{ key: 'k3', value: { value: 9 } }]));
    ops();
    expect(await sink.write(write(3, rows(5, 3)))).toEqual({ written: 4, skipped: 1 });
    expect(ops()).toEqual({ PutItem: 5 });
    expect(await sink.get('k3')).toMatchObject({ value: { value: 9 }, batchId: 9 });
  });
});

describe('transactionChunks', () => {
  const keyed = (count: number, bytes: number) =>
    Array.from({ length: count }, (_, i) => ({ row: { key: `k${i}`, value: { pad: 'x'.repeat(bytes) } }, occurrences: 1 }));

  it('cuts rows in order into chunks of at most 100 rows', () => {
    expect(transactionChunks(keyed(250, 10)).map((chunk) => chunk.length)).toEqual([100, 100, 50]);
    expect(transactionChunks(keyed(100, 10)).map((chunk) => chunk.length)).toEqual([100]);
    expect(transactionChunks([])).toEqual([]);
    expect(transactionChunks(keyed(250, 10)).flat()).toEqual(keyed(250, 10));
  });

  it('and of at most 3 MB of keys and values', () => {
    // Rows of ~200 KB: 15 fit in 3 MB.
    const chunks = transactionChunks(keyed(40, 200_000));
    expect(chunks.map((chunk) => chunk.length)).toEqual([15, 15, 10]);
  });
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
