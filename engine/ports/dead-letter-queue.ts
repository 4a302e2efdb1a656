import type { Offset } from '../protocol/offsets.js';

/** Why a record could not be processed: where it failed and the error. */
export interface DeadLetter {
  readonly jobId: string;
  readonly partition: string;
  readonly offset: Offset;
  readonly batchId: number;
  /** The pipeline stage that failed: 'decode', 'map', 'filter', 'flatMap', 'keyBy', 'eventTime', 'aggregate', 'output', 'sink'. */
  readonly stage: string;
  readonly reason: string;
  /** The record's bytes, base64, cut to a few KB. */
  readonly payloadBase64: string;
  readonly recordedAt: number;
  /**
   * For stage 'sink': the key of the row the sink could not take. A row comes from many
   * records, so it is filed under the range's last offset plus this key.
   */
  readonly rowKey?: string;
}

/** A letter's identity within its job: a re-run batch writes the same letters under the same ids. */
export function deadLetterId(letter: DeadLetter): string {
  const id = `${deadLetterPartitionPrefix(letter.partition)}${letter.offset}`;
  return letter.rowKey === undefined ? id : `${id}#row#${letter.rowKey}`;
}

/** Which letters of a job one call of DeadLetterQueue.page reads. */
export interface DeadLetterPageOptions {
  /** At most this many letters (at least 1). */
  readonly limit: number;
  /**
   * Only the letters after the page before: its `next`, an opaque cursor (a page with
   * `partition` takes only a cursor of that partition's pages; decodeDeadLetterCursor checks one).
   */
  readonly after?: string;
  /** Only this partition's letters (exactly this partition: `shardId-1` leaves out `shardId-10`). */
  readonly partition?: string;
}

export interface DeadLetterPage {
  /** In position order (dead-letter-order.ts: partition, then offset as a number, then row key), each letter once. */
  readonly letters: DeadLetter[];
  /** The `after` of the next page (an opaque cursor); null when this page is the last. */
  readonly next: string | null;
}

/**
 * Where bad records go instead of blocking their partition. Idempotent: a letter is
 * identified by its job and `deadLetterId`, so a re-run batch writes the same letters, and
 * a letter written twice (a replay with other batch boundaries) is read once, the copy
 * recorded last. Stored in bundles (dead-letter-bundles.ts), not one item per letter.
 */
export interface DeadLetterQueue {
  put(letters: readonly DeadLetter[]): Promise<void>;
  /** Every letter of the job, each once, in position order. */
  list(jobId: string): Promise<DeadLetter[]>;
  /** A page of a job's letters, for an operator to read (the jobs API). */
  page(jobId: string, options: DeadLetterPageOptions): Promise<DeadLetterPage>;
}

/** The id prefix of a partition's letters: the partition and the separator, so that `shardId-1#` is not a prefix of `shardId-10#...`. */
export function deadLetterPartitionPrefix(partition: string): string {
  return `${partition}#`;
}
