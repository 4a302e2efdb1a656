/**
 * Copies a dead-letter table's letters of the layout before bundles (one item per letter:
 * pk the job id, sk `<partition>#<offset>` or `<partition>#<offset>#row#<row key>`, the
 * letter's fields as attributes, no `letters`) into bundles (engine/ports/dead-letter-bundles.ts),
 * through the engine's DeadLetterQueue port, then deletes the old items. The reader skips
 * old items (docs/dead-letters.md): until copied, those letters are not listed.
 *
 * The rule that makes a crash at any point safe, and a rerun the way to finish:
 *
 *   an old item is deleted only after a put that holds its letter has returned
 *
 * (put returns once every bundle is written: BatchWriteItem with its unprocessed items
 * retried). So at every moment each letter is in its old item, in a bundle, or in both:
 *
 * - Never lost: a crash before the put, during it, or between the put and the deletes
 *   leaves the old items; a rerun reads them again.
 * - Never twice: a letter in both is read once, as the reader merges bundles by letter id
 *   (deadLetterId) and never reads old items. The rerun writes it again, under the same
 *   bundle key when it comes with the same letters (an overwrite with the same content),
 *   or in a bundle that overlaps the first (the merge reads it once); the copy keeps its
 *   `recordedAt`, so a newer copy of the same letter (its batch replayed since) stays
 *   the one read.
 *
 * An old item whose attributes are not a letter (or whose key is not its letter's id) is
 * neither copied nor deleted: it is counted as skipped, for the operator to look at.
 */
import { ScanCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { batchWriteAll, defaultSleep, type Sleep } from '../engine/adapters/aws/dynamodb-util.js';
import { deadLetterId, type DeadLetter, type DeadLetterQueue } from '../engine/ports/dead-letter-queue.js';

/** Letters per put: the old items of one put are deleted together after it (a put cuts its own bundles at their size limit). */
export const DEFAULT_LETTERS_PER_PUT = 500;

export interface DeadLetterCopyOptions {
  /** The client and table the old items are read from and deleted from. */
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** Where the letters are written as bundles: the same table's DeadLetterQueue (the engine's port). */
  readonly queue: DeadLetterQueue;
  /** Only this job's letters (a Query); otherwise every job's (a Scan of the table). */
  readonly jobId?: string;
  /** Count the old items only: write and delete nothing. */
  readonly dryRun?: boolean;
  readonly lettersPerPut?: number;
  readonly sleep?: Sleep;
  /** After each put and its deletes (not called on a dry run). */
  readonly onProgress?: (progress: DeadLetterCopyReport) => void;
}

export interface DeadLetterCopyReport {
  /** Old items found, per job (on a dry run, what a copy would copy, skipped items left out). */
  readonly letters: Readonly<Record<string, number>>;
  /** Old items copied into bundles and deleted. */
  readonly copied: number;
  /** Old items that are not a letter: left as they are. */
  readonly skipped: readonly { readonly pk: string; readonly sk: string; readonly why: string }[];
}

interface OldItem {
  readonly pk: string;
  readonly sk: string;
  readonly letter: DeadLetter;
}

export async function copyOldDeadLetters(options: DeadLetterCopyOptions): Promise<DeadLetterCopyReport> {
  const perPut = options.lettersPerPut ?? DEFAULT_LETTERS_PER_PUT;
  const letters: Record<string, number> = {};
  const skipped: { pk: string; sk: string; why: string }[] = [];
  let copied = 0;
  let pending: OldItem[] = [];
  const report = (): DeadLetterCopyReport => ({ letters: { ...letters }, copied, skipped: [...skipped] });
  const flush = async (): Promise<void> => {
    if (pending.length === 0 || options.dryRun) return;
    const items = pending;
    pending = [];
    await options.queue.put(items.map((i) => i.letter));
    // Only now: every letter of these items is in a bundle (the header's rule).
    const deletes = items.map((i) => ({ DeleteRequest: { Key: { pk: i.pk, sk: i.sk } } }));
    await batchWriteAll(options.client, options.tableName, deletes, options.sleep ?? defaultSleep);
    copied += items.length;
    options.onProgress?.(report());
  };
  for await (const item of oldItems(options)) {
    const read = oldLayoutLetter(item);
    if ('why' in read) {
      skipped.push({ pk: String(item.pk), sk: String(item.sk), why: read.why });
      continue;
    }
    letters[read.pk] = (letters[read.pk] ?? 0) + 1;
    pending.push(read);
    if (pending.length >= perPut) await flush();
  }
  await flush();
  return report();
}

/**
 * The letter an item of the layout before bundles holds (the old adapter wrote
 * `{ ...letter, pk: jobId, sk: deadLetterId(letter) }`), or why it is not one.
 */
export function oldLayoutLetter(item: Record<string, unknown>): OldItem | { readonly why: string } {
  const { pk, sk, ...fields } = item;
  if (typeof pk !== 'string' || typeof sk !== 'string') return { why: 'no string pk and sk' };
  const strings = ['jobId', 'partition', 'offset', 'stage', 'reason', 'payloadBase64'] as const;
  for (const name of strings) if (typeof fields[name] !== 'string') return { why: `${name} is not a string` };
  for (const name of ['batchId', 'recordedAt'] as const) if (typeof fields[name] !== 'number') return { why: `${name} is not a number` };
  if (fields.rowKey !== undefined && typeof fields.rowKey !== 'string') return { why: 'rowKey is not a string' };
  const letter: DeadLetter = {
    jobId: fields.jobId as string,
    partition: fields.partition as string,
    offset: fields.offset as string,
    batchId: fields.batchId as number,
    stage: fields.stage as string,
    reason: fields.reason as string,
    payloadBase64: fields.payloadBase64 as string,
    recordedAt: fields.recordedAt as number,
    ...(fields.rowKey === undefined ? {} : { rowKey: fields.rowKey as string }),
  };
  if (letter.jobId !== pk) return { why: `its jobId ${letter.jobId} is not its pk` };
  if (deadLetterId(letter) !== sk) return { why: `its sk is not its letter's id ${deadLetterId(letter)}` };
  return { pk, sk, letter };
}

/** The table's items without a `letters` attribute (bundles have one), page by page; bundles written meanwhile are left out too. */
async function* oldItems(options: DeadLetterCopyOptions): AsyncGenerator<Record<string, unknown>> {
  const filter = { FilterExpression: 'attribute_not_exists(#letters)', ExpressionAttributeNames: { '#letters': 'letters' } };
  let startKey: Record<string, unknown> | undefined;
  do {
    const page =
      options.jobId === undefined
        ? await options.client.send(
            new ScanCommand({ TableName: options.tableName, ConsistentRead: true, ExclusiveStartKey: startKey, ...filter }),
          )
        : await options.client.send(
            new QueryCommand({
              TableName: options.tableName,
              KeyConditionExpression: 'pk = :pk',
              ExpressionAttributeValues: { ':pk': options.jobId },
              ConsistentRead: true,
              ExclusiveStartKey: startKey,
              ...filter,
            }),
          );
    for (const item of page.Items ?? []) yield item;
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
}
