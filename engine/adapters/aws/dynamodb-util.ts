/** Small helpers shared by the DynamoDB adapters. */
import { BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TransientError } from '../../errors.js';
import { retry } from '../../retry.js';

export type Sleep = (ms: number) => Promise<void>;

export const defaultSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** BatchWriteItem takes at most 25 requests. */
export const BATCH_WRITE_LIMIT = 25;
const MAX_UNPROCESSED_ROUNDS = 12;

type WriteRequest = NonNullable<NonNullable<ConstructorParameters<typeof BatchWriteCommand>[0]['RequestItems']>[string]>[number];

/**
 * Sends the requests in BatchWriteItem calls of 25 and retries what DynamoDB returns as
 * UnprocessedItems (throttling) with exponential backoff. Every request must be safe to
 * repeat (a put of the same item, a delete). A call that fails as a whole is not retried
 * here: the SDK has retried it already (clients.ts).
 */
export async function batchWriteAll(
  client: DynamoDBDocumentClient,
  tableName: string,
  requests: readonly WriteRequest[],
  sleep: Sleep = defaultSleep,
): Promise<void> {
  for (let i = 0; i < requests.length; i += BATCH_WRITE_LIMIT) {
    let pending: WriteRequest[] = requests.slice(i, i + BATCH_WRITE_LIMIT);
    await retry(
      async (attempt, bail) => {
        const result = await client.send(new BatchWriteCommand({ RequestItems: { [tableName]: pending } })).catch(bail);
        pending = result.UnprocessedItems?.[tableName] ?? [];
        if (pending.length > 0) {
          throw new TransientError(`DynamoDB left ${pending.length} writes to ${tableName} unprocessed after ${attempt} attempts`, {
            context: { tableName },
          });
        }
      },
      { attempts: MAX_UNPROCESSED_ROUNDS, baseDelayMs: 50, maxDelayMs: 2_000, clock: { sleep } },
    );
  }
}
