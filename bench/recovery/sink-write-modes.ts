/**
 * What a batch's sink writes take on DynamoDB Local, by how they are sent:
 * `npx tsx bench/recovery/sink-write-modes.ts [rows] [rounds]`. DynamoDbSink itself in its
 * two ways (`writes: 'puts'`, one conditional put a row, 16 in flight, 1 WRU a row on
 * DynamoDB; and `'transactions'`, the default, TransactWriteItems of 100 rows, 2 WRU a
 * row), beside the same conditional puts sent by hand 1 and 32 in flight. Each mode writes
 * `rows` rows `rounds` times (a newer batch each round) after one round that warms
 * DynamoDB Local's JVM up; prints each mode's median and the machine's load. DynamoDB
 * Local runs a put several times slower than DynamoDB does, so only the ratios carry over,
 * and those only roughly.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbSink } from '../../engine/adapters/aws/dynamodb-sink.js';
import { createSinkTable } from '../../engine/adapters/aws/index.js';
import type { DynamoDbSinkWrites } from '../../engine/ports/sink.js';
import { startLocalRuntime } from '../../local/runtime.js';
import { percentiles } from '../latency/latency-math.js';

type Row = { readonly key: string; readonly value: number };

const put = (table: string, row: Row, batchId: number) => ({
  TableName: table,
  Item: { pk: row.key, value: row.value, sluiceBatchId: batchId, sluiceGeneration: 0 },
  ConditionExpression: 'attribute_not_exists(pk) OR ((attribute_not_exists(#gen) OR #gen = :gen) AND #batch <= :batchId)',
  ExpressionAttributeNames: { '#batch': 'sluiceBatchId', '#gen': 'sluiceGeneration' },
  ExpressionAttributeValues: { ':batchId': batchId, ':gen': 0 },
});

const sinkWrite = (writes: DynamoDbSinkWrites) => (client: DynamoDBDocumentClient, table: string, rows: readonly Row[], batchId: number) =>
  new DynamoDbSink({ client, tableName: table, writes }).write({
    jobId: 'sink-modes',
    batchId,
    generation: 0,
    partition: 'p',
    rows: rows.map((row) => ({ key: row.key, value: { value: row.value } })),
  });

const MODES: Record<string, (client: DynamoDBDocumentClient, table: string, rows: readonly Row[], batchId: number) => Promise<unknown>> = {
  'puts by hand, 1 in flight': (c, t, r, b) => putsInFlight(c, t, r, b, 1),
  "the sink, writes: 'puts' (16)": sinkWrite('puts'),
  'puts by hand, 32 in flight': (c, t, r, b) => putsInFlight(c, t, r, b, 32),
  "the sink, 'transactions'": sinkWrite('transactions'),
};

async function putsInFlight(client: DynamoDBDocumentClient, table: string, rows: readonly Row[], batchId: number, inFlight: number) {
  let next = 0;
  const worker = async () => {
    while (next < rows.length) await client.send(new PutCommand(put(table, rows[next++]!, batchId)));
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
}

async function main(rowCount: number, rounds: number): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'sluice-sink-modes-'));
  const loadAtStart = loadavg()[0]!;
  const runtime = await startLocalRuntime({ dataDir, logger: { info() {}, warn() {}, error() {} } });
  try {
    const client = runtime.ports.clients.dynamodb;
    const rows = Array.from({ length: rowCount }, (_, i) => ({ key: `user-${i}`, value: i }));
    let table = 0;
    for (const [mode, send] of Object.entries(MODES)) {
      const name = `sink-modes-${(table += 1)}`;
      await createSinkTable(client, name);
      await send(client, name, rows, 1); // warm-up round, not timed
      const times: number[] = [];
      for (let round = 0; round < rounds; round += 1) {
        const started = performance.now();
        await send(client, name, rows, round + 2);
        times.push(performance.now() - started);
      }
      console.log(`${mode.padEnd(32)} ${rowCount} rows: median ${Math.round(percentiles(times).p50)} ms over ${rounds} rounds`);
    }
    console.log(`load average (1 min): ${loadAtStart.toFixed(2)} at start, ${loadavg()[0]!.toFixed(2)} at the end`);
  } finally {
    await runtime.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await main(Number(process.argv[2] ?? 200), Number(process.argv[3] ?? 5));
  process.exit(0);
}
