/**
 * The order of a job's dead letters, as every DeadLetterQueue adapter pages them: by
 * partition (as text), then by offset as a number (Kafka's `9` before `10`), then, for the
 * letters of a sink's rows filed under one offset, by row key.
 *
 * A letter's position is a string that sorts in that order, so a position, a bundle's key
 * and a page cursor compare as plain strings (as DynamoDB compares sort keys):
 *
 *   position  <partition>#<offset, length-prefixed>[#row#<row key's first 200 characters>\0<digest>]
 *
 * An offset is written as its digit count in three digits, then the digits ("9" is
 * "0019", "10" is "00210"): offsets have no leading zeros, so the longer one is the larger
 * and text order is number order, whatever the length (a Kafka offset, a Kinesis sequence
 * number of 56 digits). A row key is cut so that a position stays short enough for a page
 * token; the digest of the whole key keeps two long keys with one beginning apart.
 */
import { createHash } from 'node:crypto';
import { deadLetterPartitionPrefix, type DeadLetter } from './dead-letter-queue.js';

/** The row key's characters kept in a position; longer keys are told apart by their digest. */
const ROW_KEY_CHARS = 200;

/** An offset as text that sorts in number order: its digit count in three digits, then its digits. */
export function orderedOffset(offset: string): string {
  return `${String(offset.length).padStart(3, '0')}${offset}`;
}

/** Where a letter sorts among its job's letters (see the header). */
export function deadLetterPosition(letter: Pick<DeadLetter, 'partition' | 'offset' | 'rowKey'>): string {
  const at = `${deadLetterPartitionPrefix(letter.partition)}${orderedOffset(letter.offset)}`;
  if (letter.rowKey === undefined) return at;
  return `${at}#row#${letter.rowKey.slice(0, ROW_KEY_CHARS)}\u0000${shortDigest(letter.rowKey)}`;
}

/** Sorts letters by position (a copy). */
export function inPositionOrder<T extends Pick<DeadLetter, 'partition' | 'offset' | 'rowKey'>>(letters: readonly T[]): T[] {
  return letters
    .map((letter) => [deadLetterPosition(letter), letter] as const)
    .sort(([a], [b]) => compareText(a, b))
    .map(([, letter]) => letter);
}

export function compareText(a: string, b: string): -1 | 0 | 1 {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** 16 hex digits of the SHA-256 of the text. */
export function shortDigest(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/**
 * Where the next page begins: the key of the first bundle to read again (`from`, a table
 * sort key: one of the page's bundles still held letters after it) and the position of the
 * page's last letter (`after`: only letters after it).
 */
export interface DeadLetterCursor {
  readonly from: string;
  readonly after: string;
}

/** A bundle key of the layout (dead-letter-bundles.ts): `<partition>#<offset>#<offset>#<digest>`. */
const BUNDLE_KEY_TAIL = /#[0-9]{3}[0-9]+#[0-9]{3}[0-9]+#[0-9a-f]{16}$/;
/** A DynamoDB sort key holds at most 1,024 bytes. */
const MAX_KEY_BYTES = 1024;

export function encodeDeadLetterCursor(cursor: DeadLetterCursor): string {
  return JSON.stringify([cursor.from, cursor.after]);
}

/**
 * The cursor a page's `next` holds, or null when the text is no cursor of this layout (or,
 * with `partition`, not one of that partition's pages): a forged or stale one is refused
 * before any table is read.
 */
export function decodeDeadLetterCursor(text: string, partition?: string): DeadLetterCursor | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (!Array.isArray(parsed) || parsed.length !== 2) return null;
  const [from, after] = parsed as unknown[];
  if (typeof from !== 'string' || typeof after !== 'string' || after === '') return null;
  if (!BUNDLE_KEY_TAIL.test(from) || Buffer.byteLength(from) > MAX_KEY_BYTES) return null;
  if (partition !== undefined) {
    const prefix = deadLetterPartitionPrefix(partition);
    if (!from.startsWith(prefix) || !after.startsWith(prefix)) return null;
  }
  return { from, after };
}
