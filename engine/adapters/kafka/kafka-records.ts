/**
 * What one Kafka fetch contributes to an exact range [start, endBefore): pure functions
 * over the records kafkajs decodes from a fetch response.
 *
 * A broker answers a fetch at offset p with whole record batches, so the first batch can
 * begin before p and the last can run past the range's end; batches can hold control
 * records (transaction markers) and records of aborted transactions, which take offsets
 * but are no data; compaction leaves gaps. So:
 *   - a record is kept when start <= offset < endBefore, it is not a control record and
 *     it is not part of an aborted transaction (read_committed, like Kafka's consumer);
 *   - the next fetch starts after the last complete batch of the response (its first
 *     offset + last offset delta + 1), whatever of it was kept: a batch made only of
 *     markers or aborted records still moves the position.
 */
import { compareOffsets } from '../../protocol/offsets.js';

/** The part of a record that kafkajs's fetch decoder returns and this code reads. */
export interface FetchedMessage {
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly timestamp: string;
  readonly isControlRecord?: boolean;
  /** The record batch it came in (absent for the pre-0.11 message format). */
  readonly batchContext?: {
    readonly firstOffset: string;
    readonly lastOffsetDelta: number;
    readonly producerId: string;
    readonly inTransaction: boolean;
  };
}

export interface AbortedTransaction {
  readonly producerId: string;
  readonly firstOffset: string;
}

export interface TakenRange {
  /** The kept records, in offset order. */
  readonly messages: FetchedMessage[];
  /** Where the next fetch starts: after the last batch seen, never before `position`. */
  readonly next: bigint;
}

/** The abort marker's key: control record version 0, type 0 (ABORT). */
const ABORT_MARKER_KEY = Buffer.from([0, 0, 0, 0]);

/** Takes from one fetch response the records of [position, endBefore), and the next fetch position. */
export function takeRange(
  messages: readonly FetchedMessage[],
  abortedTransactions: readonly AbortedTransaction[],
  position: bigint,
  endBefore: bigint,
): TakenRange {
  const committed = new Set(withoutAborted(messages, abortedTransactions));
  const kept: FetchedMessage[] = [];
  let next = position;
  let last: bigint | null = null;
  for (const message of messages) {
    const offset = BigInt(message.offset);
    const batch = message.batchContext;
    const after = batch === undefined ? offset + 1n : BigInt(batch.firstOffset) + BigInt(batch.lastOffsetDelta) + 1n;
    if (after > next) next = after;
    if (offset < position || offset >= endBefore || message.isControlRecord === true || !committed.has(message)) continue;
    if (last !== null && offset <= last) continue;
    kept.push(message);
    last = offset;
  }
  return { messages: kept, next };
}

/**
 * The messages that are not part of an aborted transaction. The broker lists, for a
 * read_committed fetch, the aborted transactions overlapping the response (producer id
 * and first offset); a transaction ends at its producer's abort marker. This follows
 * Kafka's consumer (and kafkajs's filterAbortedMessages).
 */
export function withoutAborted(messages: readonly FetchedMessage[], abortedTransactions: readonly AbortedTransaction[]): FetchedMessage[] {
  if (abortedTransactions.length === 0) return [...messages];
  const pending = [...abortedTransactions].sort((a, b) => compareOffsets(a.firstOffset, b.firstOffset));
  const aborted = new Set<string>();
  return messages.filter((message) => {
    while (pending.length > 0 && compareOffsets(message.offset, pending[0]!.firstOffset) >= 0) {
      aborted.add(pending.shift()!.producerId);
    }
    const batch = message.batchContext;
    if (batch === undefined) return true;
    if (message.isControlRecord === true) {
      if (message.key !== null && ABORT_MARKER_KEY.equals(message.key)) aborted.delete(batch.producerId);
      return true;
    }
    return !(batch.inTransaction && aborted.has(batch.producerId));
  });
}

/** min(a, b) of two offsets as BigInt. */
export function minOffset(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}
