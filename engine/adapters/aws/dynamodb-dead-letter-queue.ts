/**
 * Dead letters on a DynamoDB table (DEAD_LETTER_TABLE_KEYS): pk = job id,
 * sk = deadLetterId(letter): `<partition>#<offset>` (plus `#row#<key>` for a sink row). A letter's key is its identity, so a re-run batch that
 * writes the same letters again overwrites them with the same content. A page of one
 * partition's letters is a Query on the sort key's prefix `<partition>#`.
 */
import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  deadLetterId,
  deadLetterPartitionPrefix,
  type DeadLetter,
  type DeadLetterPage,
  type DeadLetterPageOptions,
  type DeadLetterQueue,
} from '../../ports/dead-letter-queue.js';
import { batchWriteAll, defaultSleep, type Sleep } from './dynamodb-util.js';

export interface DynamoDbDeadLetterQueueOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly sleep?: Sleep;
}

export class DynamoDbDeadLetterQueue implements DeadLetterQueue {
  private readonly client: DynamoDBDocumentClient;
  private readonly table: string;
  private readonly sleep: Sleep;

  constructor(options: DynamoDbDeadLetterQueueOptions) {
    this.client = options.client;
    this.table = options.tableName;
    this.sleep = options.sleep ?? defaultSleep;
  }

  async put(letters: readonly DeadLetter[]): Promise<void> {
    // One BatchWriteItem may not hold the same key twice: the last letter for a key wins.
    const byKey = new Map<string, DeadLetter>();
    for (const letter of letters) byKey.set(`${letter.jobId}\u0000${sortKey(letter)}`, letter);
    const requests = [...byKey.values()].map((letter) => ({
      PutRequest: { Item: { ...letter, pk: letter.jobId, sk: sortKey(letter) } },
    }));
    await batchWriteAll(this.client, this.table, requests, this.sleep);
  }

  async list(jobId: string): Promise<DeadLetter[]> {
    return this.query(jobId, {});
  }

  async page(jobId: string, options: DeadLetterPageOptions): Promise<DeadLetterPage> {
    // One letter more than the page: whether another page follows (no empty last page).
    const letters = await this.query(jobId, { ...options, limit: options.limit + 1 });
    const page = letters.slice(0, options.limit);
    return { letters: page, next: letters.length > page.length ? sortKey(page[page.length - 1]!) : null };
  }

  /**
   * The job's letters in sort-key order: after `after`, with the partition's prefix, up to
   * `limit` (a Limit counts the items read; there is no filter, so they are the items returned).
   */
  private async query(jobId: string, options: { limit?: number; after?: string; partition?: string }): Promise<DeadLetter[]> {
    const prefix = options.partition === undefined ? null : deadLetterPartitionPrefix(options.partition);
    const letters: DeadLetter[] = [];
    let startKey: Record<string, unknown> | undefined = options.after === undefined ? undefined : { pk: jobId, sk: options.after };
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: prefix === null ? 'pk = :pk' : 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': jobId, ...(prefix === null ? {} : { ':prefix': prefix }) },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
          // A query page also ends at 1 MB: ask for what is still missing.
          ...(options.limit === undefined ? {} : { Limit: options.limit - letters.length }),
        }),
      );
      for (const item of page.Items ?? []) letters.push(toDeadLetter(item));
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined && (options.limit === undefined || letters.length < options.limit));
    return letters;
  }
}

function sortKey(letter: DeadLetter): string {
  return deadLetterId(letter);
}

function toDeadLetter(item: Record<string, unknown>): DeadLetter {
  const { pk: _pk, sk: _sk, ...letter } = item;
  return letter as unknown as DeadLetter;
}
