/**
 * Dead letters on a DynamoDB table (DEAD_LETTER_TABLE_KEYS) in bundles
 * (engine/ports/dead-letter-bundles.ts): pk = job id, sk = the bundle's key
 * `<partition>#<first offset>#<last offset>#<digest of its letter ids>`, `letters` = the
 * bundle's letters as gzip'd JSON, at most MAX_BUNDLE_BYTES (under the 400 KB item limit
 * with the key and the other attributes), `count` = how many.
 *
 * One item per partition per put (an executor's batch) instead of one per letter: a
 * letter of ~1 KB costs ~1 WRU as its own item, a bundle of 60 costs a few WRU. Written
 * with BatchWriteItem (what the executors are granted); read with Query in key order, one
 * partition's bundles by the prefix `<partition>#`.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { InvalidArgumentError } from '../../errors.js';
import { bundleDeadLetters, pageFromBundles, type BundleEncoding, type StoredBundle } from '../../ports/dead-letter-bundles.js';
import { decodeDeadLetterCursor } from '../../ports/dead-letter-order.js';
import {
  deadLetterPartitionPrefix,
  type DeadLetter,
  type DeadLetterPage,
  type DeadLetterPageOptions,
  type DeadLetterQueue,
} from '../../ports/dead-letter-queue.js';
import { batchWriteAll, defaultSleep, type Sleep } from './dynamodb-util.js';

/** The most gzip bytes of letters in one item: DynamoDB's item limit is 400 KB, keys and attribute names included. */
export const MAX_BUNDLE_BYTES = 350 * 1024;

/** Above any character of a bundle key after `<partition>#` (digits, `#`, hex): the end of a partition's keys. */
const PARTITION_KEYS_END = '~';

/** Bundles per Query call: a page of letters needs a few; the count doubles while a read goes on. */
const FIRST_QUERY_LIMIT = 4;
const MAX_QUERY_LIMIT = 64;

export interface DynamoDbDeadLetterQueueOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly sleep?: Sleep;
  /** The most gzip bytes of letters in one item (default MAX_BUNDLE_BYTES); tests set less. */
  readonly maxBundleBytes?: number;
}

const gzipJson: Omit<BundleEncoding<Uint8Array>, 'maxBytes'> = {
  encode: (letters) => gzipSync(JSON.stringify(letters)),
  sizeOf: (bytes) => bytes.byteLength,
};

export class DynamoDbDeadLetterQueue implements DeadLetterQueue {
  private readonly client: DynamoDBDocumentClient;
  private readonly table: string;
  private readonly sleep: Sleep;
  private readonly encoding: BundleEncoding<Uint8Array>;

  constructor(options: DynamoDbDeadLetterQueueOptions) {
    this.client = options.client;
    this.table = options.tableName;
    this.sleep = options.sleep ?? defaultSleep;
    this.encoding = { ...gzipJson, maxBytes: Math.min(options.maxBundleBytes ?? MAX_BUNDLE_BYTES, MAX_BUNDLE_BYTES) };
  }

  async put(letters: readonly DeadLetter[]): Promise<void> {
    const requests = bundleDeadLetters(letters, this.encoding).map((bundle) => ({
      PutRequest: { Item: { pk: bundle.letters[0]!.jobId, sk: bundle.key, count: bundle.letters.length, letters: bundle.encoded } },
    }));
    await batchWriteAll(this.client, this.table, requests, this.sleep);
  }

  async list(jobId: string): Promise<DeadLetter[]> {
    return (await pageFromBundles(this.query(jobId, null, null), { limit: Number.POSITIVE_INFINITY })).letters;
  }

  async page(jobId: string, options: DeadLetterPageOptions): Promise<DeadLetterPage> {
    const cursor = options.after === undefined ? null : decodeDeadLetterCursor(options.after, options.partition);
    if (options.after !== undefined && cursor === null) throw new InvalidArgumentError(`not a dead-letter page cursor: ${options.after}`);
    return pageFromBundles(this.query(jobId, options.partition ?? null, cursor?.from ?? null), {
      limit: options.limit,
      ...(cursor === null ? {} : { after: cursor.after }),
    });
  }

  /** The job's bundles (of one partition, from the key `from` on), in key order, a few Query calls as the reader asks. */
  private async *query(jobId: string, partition: string | null, from: string | null): AsyncGenerator<StoredBundle> {
    const prefix = partition === null ? null : deadLetterPartitionPrefix(partition);
    const condition =
      prefix !== null
        ? {
            expression: 'pk = :pk AND sk BETWEEN :from AND :to',
            values: { ':from': from ?? prefix, ':to': `${prefix}${PARTITION_KEYS_END}` },
          }
        : from !== null
          ? { expression: 'pk = :pk AND sk >= :from', values: { ':from': from } }
          : { expression: 'pk = :pk', values: {} };
    let startKey: Record<string, unknown> | undefined;
    let limit = FIRST_QUERY_LIMIT;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: condition.expression,
          ExpressionAttributeValues: { ':pk': jobId, ...condition.values },
          ConsistentRead: true,
          ExclusiveStartKey: startKey,
          Limit: limit,
        }),
      );
      // An item of the layout before bundles (one letter, sk `<partition>#<offset>`, no `letters`) is not read: docs/dead-letters.md.
      for (const item of page.Items ?? []) if (item.letters instanceof Uint8Array) yield toBundle(item);
      startKey = page.LastEvaluatedKey;
      limit = Math.min(limit * 2, MAX_QUERY_LIMIT);
    } while (startKey !== undefined);
  }
}

function toBundle(item: Record<string, unknown>): StoredBundle {
  const bytes = item.letters as Uint8Array;
  return { key: item.sk as string, letters: () => JSON.parse(gunzipSync(bytes).toString('utf8')) as DeadLetter[] };
}
