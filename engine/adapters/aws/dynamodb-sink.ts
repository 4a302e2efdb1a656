/**
 * The idempotent sink on a DynamoDB table with a string key `pk` (SINK_TABLE_KEYS).
 * A row is stored as `{ pk: row.key, ...row.value, sluiceBatchId, sluiceGeneration }`
 * and every put is conditional on the stored row's (generation, batch) not being newer
 * (GENERATION_ZERO_MAY_REPLACE, LATER_GENERATION_MAY_REPLACE), so a retried or zombie
 * batch can never move a row backwards, and a replay's rows replace the superseded ones.
 *
 * Two ways to send a write's rows (the sink spec's `writes`), with the same conditions and
 * so the same outcome; they differ in price and round trips:
 *   - 'transactions' (the default): TransactWriteItems of up to 100 rows (and 3 MB), up to
 *     TRANSACTIONS_IN_FLIGHT at once. A chunk's rows become visible together, in one round
 *     trip, and its ClientRequestToken is derived from the chunk, so an SDK or Lambda retry
 *     within ten minutes is a no-op. DynamoDB bills a transactional write twice: 2 WRU a row
 *     of up to 1 KB. A chunk the transaction refuses (some row is newer, a conflict) is
 *     written row by row, as below, and the refused rows are counted as skipped.
 *   - 'puts': one conditional PutItem per row, PUT_CONCURRENCY in flight: 1 WRU a row, half
 *     the price, one request a row; readers may see a batch's rows appear one by one.
 * A write of more than 100 rows is never atomic as a whole, in either way: what makes the
 * sink exactly-once is the conditions, not the transactions.
 *
 * Why the puts and the chunks may run at once and in any order: each put is an independent
 * conditional put of its own key (the rows are deduplicated by key first, the last row of
 * a key winning), and its condition compares only that item's stored (generation, batch)
 * with the write's; a chunk is such puts applied together. No put reads or depends on
 * another row, so any interleaving of them, and of another writer's (a zombie's older
 * batch, a retry of the same batch, a newer batch), leaves every item as the writes
 * applied in (generation, batch) order would: the newest writer's value. A crash in the
 * middle leaves some rows (or chunks) of the batch written and the rest as they were; the
 * batch is not committed, so the retry writes every row again, conditionally: rows already
 * written are rewritten with the same value, and rows a newer batch wrote meanwhile are
 * skipped. Rows are absolute values, so rewriting is harmless. The contract suite checks
 * it in both ways (test/contract/sink.contract.ts: a retry after a crash in the middle
 * racing a zombie).
 */
import { createHash } from 'node:crypto';
import { GetCommand, PutCommand, ScanCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { InvalidArgumentError } from '../../errors.js';
import type { JsonObject } from '../../json.js';
import {
  type DynamoDbSinkWrites,
  RESERVED_ROW_FIELDS,
  reservedFieldOf,
  type Sink,
  type SinkPage,
  type SinkReadRequest,
  type SinkRow,
  type SinkWrite,
  type StoredRow,
} from '../../ports/sink.js';
import { weightedRuns } from '../../protocol/weighted-runs.js';
import { isConditionalCheckFailed, isIdempotentParameterMismatch, isTransactionCanceled, missingAs } from './aws-errors.js';

/**
 * A write of generation 0 (a job never replayed) replaces the stored row when:
 *   - the row is new (attribute_not_exists(pk));
 *   - or the row is of generation 0 (stored as 0, or without the attribute: written
 *     before generations existed) and was written by this batch or an older one: the
 *     same batch rewrites the same value, and an older batch (a zombie's) never
 *     overwrites a newer batch's row.
 * A row of a later generation (a replay's) is never replaced by generation 0.
 */
const GENERATION_ZERO_MAY_REPLACE = 'attribute_not_exists(pk) OR ((attribute_not_exists(#gen) OR #gen = :gen) AND #batch <= :batchId)';

/**
 * A write of generation g > 0 (a replay, or a batch planned after one) replaces the
 * stored row when:
 *   - the row is new;
 *   - or it has no generation (written before generations existed: generation 0);
 *   - or it is of an older generation, whatever its batch: the replay supersedes it;
 *   - or it is of generation g and was written by this batch or an older one (as above).
 * A row of a newer generation is never replaced.
 */
const LATER_GENERATION_MAY_REPLACE =
  'attribute_not_exists(pk) OR attribute_not_exists(#gen) OR #gen < :gen OR (#gen = :gen AND #batch <= :batchId)';

export const SINK_KEY_ATTRIBUTE = RESERVED_ROW_FIELDS[0]!;
export const SINK_BATCH_ATTRIBUTE = RESERVED_ROW_FIELDS[1]!;
export const SINK_GENERATION_ATTRIBUTE = RESERVED_ROW_FIELDS[2]!;

/** TransactWriteItems takes at most 100 items and 4 MB; stay well under the size. */
const TRANSACTION_MAX_ITEMS = 100;
const TRANSACTION_MAX_BYTES = 3 * 1024 * 1024;
const TRANSACTIONS_IN_FLIGHT = 4;
const PUT_CONCURRENCY = 16;

export interface DynamoDbSinkOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** How rows are sent (see the header); default 'transactions'. */
  readonly writes?: DynamoDbSinkWrites;
}

type KeyedRow = { readonly row: SinkRow; readonly occurrences: number };

export class DynamoDbSink implements Sink {
  private readonly client: DynamoDBDocumentClient;
  private readonly table: string;
  private readonly writes: DynamoDbSinkWrites;

  constructor(options: DynamoDbSinkOptions) {
    this.client = options.client;
    this.table = options.tableName;
    this.writes = options.writes ?? 'transactions';
  }

  /** A table that does not exist fails the write with NotFoundError naming it (not retryable: the job fails with the reason). */
  async write(request: SinkWrite): Promise<{ written: number; skipped: number }> {
    return this.writeRows(request).catch((error: unknown) => {
      throw missingAs(
        error,
        `sink table ${this.table} does not exist in this account and region: create it (string partition key ${SINK_KEY_ATTRIBUTE}), ` +
          "or fix the job's tableName",
        { table: this.table },
      );
    });
  }

  private async writeRows(request: SinkWrite): Promise<{ written: number; skipped: number }> {
    const { batchId, generation } = request;
    if (!Number.isSafeInteger(generation) || generation < 0) {
      throw new InvalidArgumentError(`a sink write's generation must be a non-negative integer, got ${generation}`);
    }
    // The last row of a key wins, as if the rows were written in order; counts are per row given.
    const byKey = new Map<string, { row: SinkRow; occurrences: number }>();
    for (const row of request.rows) {
      const reserved = reservedFieldOf(row);
      if (reserved !== undefined) {
        throw new InvalidArgumentError(`sink row ${JSON.stringify(row.key)} uses the reserved attribute name ${reserved}`, {
          context: { jobId: request.jobId, batchId, partition: request.partition, key: row.key },
        });
      }
      byKey.set(row.key, { row, occurrences: (byKey.get(row.key)?.occurrences ?? 0) + 1 });
    }
    const rows = [...byKey.values()];
    if (rows.length === 0) return { written: 0, skipped: 0 };
    const chunks = this.writes === 'puts' ? [] : transactionChunks(rows);
    const skipped =
      this.writes === 'puts'
        ? await this.putEach(rows, request)
        : (await inFlight(chunks, TRANSACTIONS_IN_FLIGHT, (chunk) => this.transact(chunk, request))).reduce((a, b) => a + b, 0);
    return { written: request.rows.length - skipped, skipped };
  }

  /** One chunk in one transaction; when it is refused, row by row. Returns the rows skipped. */
  private async transact(chunk: readonly KeyedRow[], request: SinkWrite): Promise<number> {
    try {
      await this.client.send(
        new TransactWriteCommand({
          ClientRequestToken: requestToken(
            this.table,
            request,
            chunk.map((r) => r.row),
          ),
          TransactItems: chunk.map(({ row }) => ({ Put: this.put(row, request.batchId, request.generation) })),
        }),
      );
      return 0;
    } catch (error) {
      // Some row is newer (or a conflict): fall through to one conditional put per row.
      if (!isTransactionCanceled(error) && !isIdempotentParameterMismatch(error)) throw error;
      return this.putEach(chunk, request);
    }
  }

  /** One conditional put per row, PUT_CONCURRENCY in flight. Returns the rows skipped (a newer row is stored). */
  private async putEach(rows: readonly KeyedRow[], request: SinkWrite): Promise<number> {
    const skipped = await inFlight(rows, PUT_CONCURRENCY, async ({ row, occurrences }) => {
      try {
        await this.client.send(new PutCommand(this.put(row, request.batchId, request.generation)));
        return 0;
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw error;
        return occurrences;
      }
    });
    return skipped.reduce((a, b) => a + b, 0);
  }

  async get(key: string): Promise<StoredRow | null> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.table, Key: { [SINK_KEY_ATTRIBUTE]: key }, ConsistentRead: true }),
    );
    return Item === undefined ? null : toStoredRow(Item);
  }

  async scan(): Promise<StoredRow[]> {
    const rows: StoredRow[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(new ScanCommand({ TableName: this.table, ConsistentRead: true, ExclusiveStartKey: startKey }));
      for (const item of page.Items ?? []) rows.push(toStoredRow(item));
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    return rows.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  /** A page of the table in its scan order (not key order); the position is the last row's key. */
  async readPage(request: SinkReadRequest): Promise<SinkPage> {
    const page = await this.client.send(
      new ScanCommand({
        TableName: this.table,
        Limit: request.limit,
        ConsistentRead: true,
        ...(request.after === null ? {} : { ExclusiveStartKey: { [SINK_KEY_ATTRIBUTE]: request.after } }),
      }),
    );
    const last = page.LastEvaluatedKey?.[SINK_KEY_ATTRIBUTE];
    return { rows: (page.Items ?? []).map(toStoredRow), next: typeof last === 'string' ? last : null };
  }

  private put(row: SinkRow, batchId: number, generation: number) {
    return {
      TableName: this.table,
      Item: { ...row.value, [SINK_KEY_ATTRIBUTE]: row.key, [SINK_BATCH_ATTRIBUTE]: batchId, [SINK_GENERATION_ATTRIBUTE]: generation },
      ConditionExpression: generation === 0 ? GENERATION_ZERO_MAY_REPLACE : LATER_GENERATION_MAY_REPLACE,
      ExpressionAttributeNames: { '#batch': SINK_BATCH_ATTRIBUTE, '#gen': SINK_GENERATION_ATTRIBUTE },
      ExpressionAttributeValues: { ':batchId': batchId, ':gen': generation },
    };
  }
}

/** The rows in order, cut into transactions of at most TRANSACTION_MAX_ITEMS rows and TRANSACTION_MAX_BYTES. */
export function transactionChunks<T extends { readonly row: SinkRow }>(rows: readonly T[]): T[][] {
  return weightedRuns(rows, (keyed) => Buffer.byteLength(keyed.row.key) + Buffer.byteLength(JSON.stringify(keyed.row.value)), {
    maxWeight: TRANSACTION_MAX_BYTES,
    maxItems: TRANSACTION_MAX_ITEMS,
  });
}

/** Maps the items with at most `limit` calls of `task` in flight; the results in the items' order. */
async function inFlight<T, R>(items: readonly T[], limit: number, task: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * A token (≤ 36 characters) that is the same exactly when the write is the same. DynamoDB
 * scopes tokens to the account, not the table, so the table is part of it.
 */
function requestToken(table: string, request: SinkWrite, rows: readonly SinkRow[]): string {
  const hash = createHash('sha256');
  hash.update(JSON.stringify([table, request.jobId, request.generation, request.batchId, request.partition]));
  for (const row of rows) hash.update(JSON.stringify([row.key, row.value]));
  return hash.digest('base64url').slice(0, 36);
}

function toStoredRow(item: Record<string, unknown>): StoredRow {
  const { [SINK_KEY_ATTRIBUTE]: key, [SINK_BATCH_ATTRIBUTE]: batchId, [SINK_GENERATION_ATTRIBUTE]: generation, ...value } = item;
  return {
    key: key as string,
    value: value as JsonObject,
    batchId: batchId as number,
    generation: (generation as number | undefined) ?? 0,
  };
}
