/**
 * What the resumed batch's sink writes cost on DynamoDB Local, by how they are sent:
 * `npx tsx bench/recovery/sink-write-modes.ts [rows] [rounds]`. The same conditional puts
 * as DynamoDbSink (GENERATION_ZERO_MAY_REPLACE), 1, 16 and 32 in flight, and the same rows
 * as conditional TransactWriteItems of 100 (each chunk at once): the alternative that
 * sends 2 requests instead of 200 and costs 2 WRU a row on DynamoDB instead of 1. Each
 * mode writes `rows` rows `rounds` times (a newer batch each round) after one round that
 * warms DynamoDB Local's JVM up; prints each mode's median and the machine's load.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PutCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createSinkTable } from '../../engine/adapters/aws/index.js';
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

const MODES: Record<string, (client: DynamoDBDocumentClient, table: string, rows: readonly Row[], batchId: number) => Promise<unknown>> = {
  'puts, 1 in flight': (c, t, r, b) => putsInFlight(c, t, r, b, 1),
  'puts, 16 in flight (the sink)': (c, t, r, b) => putsInFlight(c, t, r, b, 16),
  'puts, 32 in flight': (c, t, r, b) => putsInFlight(c, t, r, b, 32),
  'transactions of 100, at once': (c, t, r, b) => {
    const chunks: Row[][] = [];
    for (let i = 0; i < r.length; i += 100) chunks.push(r.slice(i, i + 100));
    return Promise.all(
      chunks.map((chunk) => c.send(new TransactWriteCommand({ TransactItems: chunk.map((row) => ({ Put: put(t, row, b) })) }))),
    );
  },
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
