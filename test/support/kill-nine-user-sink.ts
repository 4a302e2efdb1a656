/**
 * A user sink (`userSink`, Spark's foreachBatch) as docs/sinks/streams-and-user-sinks.md
 * asks users to write one: its function upserts each row into a DynamoDB table of its
 * own, ignoring a row whose stored (generation, batch) is newer, so a retry, a zombie or
 * a replay of a call leaves the table as if the call had run once. The table lives on the
 * local runtime's DynamoDB Local, in the data directory: it survives a kill -9.
 *
 * Every call is also logged, before its rows are written, in a second table keyed by
 * (jobId, generation, batchId, partition): how many times the engine made it, and a hash
 * of its rows per call. A call made again (after a kill) must carry the same rows, so
 * each log item must hold one hash.
 */
import { createHash } from 'node:crypto';
import { PutCommand, ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailed } from '../../engine/adapters/aws/aws-errors.js';
import { createSinkTable } from '../../engine/adapters/aws/index.js';
import { userSink } from '../../engine/job/index.js';
import type { UserSinkBatch } from '../../engine/ports/sink.js';

export const USER_SINK_TABLES = { rows: 'page-views-user-rows', calls: 'page-views-user-calls' } as const;

export async function createUserSinkTables(dynamodb: DynamoDBDocumentClient): Promise<void> {
  await createSinkTable(dynamodb, USER_SINK_TABLES.rows);
  await createSinkTable(dynamodb, USER_SINK_TABLES.calls);
}

/** The user sink: its name is the sink's identity in the job registry. */
export function tableUserSink(dynamodb: DynamoDBDocumentClient) {
  return userSink({ name: 'page-views-user', write: (batch) => writeCall(dynamodb, batch) });
}

async function writeCall(dynamodb: DynamoDBDocumentClient, batch: UserSinkBatch): Promise<void> {
  const { jobId, generation, batchId, partition, rows } = batch;
  const hash = createHash('sha256').update(JSON.stringify(rows)).digest('hex').slice(0, 16);
  await dynamodb.send(
    new UpdateCommand({
      TableName: USER_SINK_TABLES.calls,
      Key: { pk: `${jobId}/${generation}/${batchId}/${partition}` },
      UpdateExpression: 'ADD calls :one, hashes :hash',
      ExpressionAttributeValues: { ':one': 1, ':hash': new Set([hash]) },
    }),
  );
  await Promise.all(
    rows.map(async (row) => {
      try {
        await dynamodb.send(
          new PutCommand({
            TableName: USER_SINK_TABLES.rows,
            Item: { pk: row.key, row: row.value, generation, batchId },
            ConditionExpression: 'attribute_not_exists(pk) OR #g < :g OR (#g = :g AND #b <= :b)',
            ExpressionAttributeNames: { '#g': 'generation', '#b': 'batchId' },
            ExpressionAttributeValues: { ':g': generation, ':b': batchId },
          }),
        );
      } catch (error) {
        // A newer (generation, batch) already wrote this row: this one is older, and ignored.
        if (!isConditionalCheckFailed(error)) throw error;
      }
    }),
  );
}

export interface UserSinkContents {
  /** Row key → the stored row's value. */
  readonly rows: Map<string, Record<string, unknown>>;
  /** Distinct calls (jobId, generation, batch, partition) logged. */
  readonly calls: number;
  /** Calls the engine made more than once (each repetition counted). */
  readonly repeated: number;
  /** Calls whose repetitions carried different rows: none when the engine keeps its contract. */
  readonly conflicts: string[];
}

/** Reads both tables back with plain scans. */
export async function readUserSink(dynamodb: DynamoDBDocumentClient): Promise<UserSinkContents> {
  const rows = new Map<string, Record<string, unknown>>();
  for (const item of await scanAll(dynamodb, USER_SINK_TABLES.rows)) rows.set(String(item.pk), item.row as Record<string, unknown>);
  const calls = await scanAll(dynamodb, USER_SINK_TABLES.calls);
  return {
    rows,
    calls: calls.length,
    repeated: calls.reduce((sum, c) => sum + Number(c.calls) - 1, 0),
    conflicts: calls.filter((c) => (c.hashes as Set<string>).size !== 1).map((c) => String(c.pk)),
  };
}

async function scanAll(dynamodb: DynamoDBDocumentClient, table: string): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await dynamodb.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return items;
}
