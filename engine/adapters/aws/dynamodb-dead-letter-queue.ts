/**
 * Dead letters on a DynamoDB table (DEAD_LETTER_TABLE_KEYS): pk = job id,
 * sk = deadLetterId(letter): `<partition>#<offset>` (plus `#row#<key>` for a sink row). A letter's key is its identity, so a re-run batch that
 * writes the same letters again overwrites them with the same content.
 */
import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { deadLetterId, type DeadLetter, type DeadLetterQueue } from '../../ports/dead-letter-queue.js';
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
    const letters: DeadLetter[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': jobId },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) letters.push(toDeadLetter(item));
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
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
