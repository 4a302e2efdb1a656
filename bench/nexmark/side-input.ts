/**
 * q13's side input, as the Flink suite's SideInputGenerator writes it: rows `{ key: i,
 * value: "i" }` for i in [0, rows), so a lookup of any id modulo `rows` finds a row.
 * The tests put them in the harness's memory table; the benchmark writes them to a
 * DynamoDB table (a number key) before the job starts.
 */
import { CreateTableCommand, DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isAlreadyExists } from '../../engine/adapters/aws/aws-errors.js';
import { batchWriteAll } from '../../engine/adapters/aws/dynamodb-util.js';
import { Q13_SIDE_INPUT } from '../../jobs/nexmark/q13.js';

export type SideInputRow = { readonly key: number; readonly value: string };

export function sideInputRows(rows: number = Q13_SIDE_INPUT.rows): SideInputRow[] {
  return Array.from({ length: rows }, (_, i) => ({ key: i, value: String(i) }));
}

/** Creates the side input table (idempotent) and writes every row; returns the rows written. */
export async function writeSideInputTable(client: DynamoDBDocumentClient, tableName: string = Q13_SIDE_INPUT.tableName): Promise<number> {
  try {
    await (client as unknown as DynamoDBClient).send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: Q13_SIDE_INPUT.key, AttributeType: 'N' }],
        KeySchema: [{ AttributeName: Q13_SIDE_INPUT.key, KeyType: 'HASH' }],
      }),
    );
  } catch (error) {
    if (!isAlreadyExists(error)) throw error;
  }
  for (let polls = 0; ; polls += 1) {
    const { Table } = await (client as unknown as DynamoDBClient).send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') break;
    if (polls === 600) throw new Error(`table ${tableName} is not ACTIVE after 2 minutes`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const rows = sideInputRows();
  await batchWriteAll(
    client,
    tableName,
    rows.map((Item) => ({ PutRequest: { Item } })),
  );
  return rows.length;
}
