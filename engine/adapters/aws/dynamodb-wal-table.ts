/**
 * The write-ahead log's table (its items: dynamodb-write-ahead-log.ts), as the log's
 * operations use it: consistent reads and queries of a job's items, transactions and
 * batch writes.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { TransientError } from '../../errors.js';
import { retry } from '../../retry.js';
import { cancellationCodes, isTransactionCanceled, isTransactionConflict } from './aws-errors.js';
import { batchWriteAll, type Sleep } from './dynamodb-util.js';
import type { Item } from './dynamodb-wal-items.js';

const MAX_CONFLICT_RETRIES = 4;

type TransactItems = NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>;
export interface Cancellation {
  /** Per item of the transaction: 'None', 'ConditionalCheckFailed', 'TransactionConflict'... */
  readonly codes: readonly (string | undefined)[];
  readonly error: unknown;
}
type WriteRequests = Parameters<typeof batchWriteAll>[2];

export class WalTable {
  constructor(
    readonly client: DynamoDBDocumentClient,
    readonly name: string,
    private readonly sleep: Sleep,
  ) {}

  /**
   * Sends a transaction. Returns null when it went through, or why it was cancelled (one
   * code per item). A cancellation by conflicting transactions only is retried a few times,
   * with equal jitter: the conflicting writers are twins of this one (a retried task, a
   * second driver), and the same waits would make them meet again.
   */
  async transact(items: TransactItems): Promise<Cancellation | null> {
    try {
      await retry(() => this.client.send(new TransactWriteCommand({ TransactItems: items })), {
        attempts: MAX_CONFLICT_RETRIES + 1,
        baseDelayMs: 20,
        jitter: 'equal',
        clock: { sleep: this.sleep },
        shouldRetry: isTransactionConflict,
      });
      return null;
    } catch (error) {
      if (!isTransactionCanceled(error)) throw error;
      return { codes: cancellationCodes(error), error };
    }
  }

  async getItem(jobId: string, sk: string): Promise<Item | null> {
    const { Item } = await this.client.send(new GetCommand({ TableName: this.name, Key: { pk: jobId, sk }, ConsistentRead: true }));
    return Item ?? null;
  }

  /** Every item whose sort key starts with `prefix`, in key order. */
  queryPrefix(jobId: string, prefix: string): Promise<Item[]> {
    return this.query({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': jobId, ':prefix': prefix },
    });
  }

  /** Items with from ≤ sk ≤ to in key order, at most `limit`. */
  queryBetween(jobId: string, from: string, to: string, limit: number, keysOnly = false): Promise<Item[]> {
    return this.query(
      {
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':pk': jobId, ':from': from, ':to': to },
        ...(keysOnly ? { ProjectionExpression: 'pk, sk' } : {}),
      },
      limit,
    );
  }

  /** A consistent Query of this table, following LastEvaluatedKey, at most `limit` items. */
  private async query(
    condition: { KeyConditionExpression: string; ExpressionAttributeValues: Item; ProjectionExpression?: string },
    limit = Infinity,
  ): Promise<Item[]> {
    const items: Item[] = [];
    let startKey: Item | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.name,
          ...condition,
          ...(Number.isFinite(limit) ? { Limit: limit - items.length } : {}),
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined && items.length < limit);
    return items;
  }

  /** BatchWriteItem calls of the requests, each safe to repeat (batchWriteAll). */
  batchWrite(requests: WriteRequests): Promise<void> {
    return batchWriteAll(this.client, this.name, requests, this.sleep);
  }
}

/** Cancelled for another reason than a condition (a conflict that lasted, throttling): a later attempt may pass. */
export function cancelled(what: string, failure: Cancellation, context: Record<string, string | number>): TransientError {
  return new TransientError(`${what} was cancelled (${failure.codes.join(', ')})`, { cause: failure.error, context });
}
