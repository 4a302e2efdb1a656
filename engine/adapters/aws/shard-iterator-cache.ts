/**
 * Shard iterators a warm executor keeps between batches, so that the next batch of a
 * shard starts with GetRecords instead of GetShardIterator + GetRecords.
 *
 * A read that consumed every record of its last page leaves GetRecords' NextShardIterator,
 * which points just after the last record the read returned (after its start when it
 * returned none). The next batch of that shard starts AFTER that record: the same
 * position. So the iterator is kept under (stream, shard, "after offset o") and taken by
 * a read that starts AFTER o.
 *
 * Why it is safe: an iterator is a position, not a lease. Reading with it returns the
 * same records as an iterator taken with AFTER_SEQUENCE_NUMBER o, whoever else reads the
 * shard. Only positions the protocol names exactly (AFTER o) are kept: EARLIEST and
 * AT_TIMESTAMP always take a fresh iterator. An entry is used once (take removes it) and
 * only while younger than `maxAgeMs` (Kinesis expires iterators after 5 minutes); should
 * one expire anyway, the reader's ExpiredIteratorException path takes a fresh iterator at
 * the same start, as it does for any expired iterator. A cold executor has no entries and
 * takes iterators as before.
 */
import type { Offset } from '../../protocol/offsets.js';

/** Kinesis expires an iterator 5 minutes after it was issued: use it well before. */
export const ITERATOR_MAX_AGE_MS = 4 * 60_000;
/** Entries kept at most (oldest dropped first): a few per shard of the streams one executor reads. */
const MAX_ENTRIES = 1_024;

export class ShardIteratorCache {
  private readonly entries = new Map<string, { readonly iterator: string; readonly takenAtMs: number }>();
  private readonly now: () => number;
  private readonly maxAgeMs: number;

  constructor(options: { readonly now: () => number; readonly maxAgeMs?: number }) {
    this.now = options.now;
    this.maxAgeMs = options.maxAgeMs ?? ITERATOR_MAX_AGE_MS;
  }

  /** The iterator positioned just after `after` on the shard, if one is kept and young enough; removes it. */
  take(stream: string, shard: string, after: Offset): string | undefined {
    const key = keyOf(stream, shard, after);
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    this.entries.delete(key);
    return this.now() - entry.takenAtMs < this.maxAgeMs ? entry.iterator : undefined;
  }

  /** Keeps `iterator`, positioned just after `after` on the shard, issued at `takenAtMs`. */
  put(stream: string, shard: string, after: Offset, iterator: string, takenAtMs: number): void {
    const key = keyOf(stream, shard, after);
    this.entries.delete(key);
    this.entries.set(key, { iterator, takenAtMs });
    if (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
  }

  get size(): number {
    return this.entries.size;
  }
}

function keyOf(stream: string, shard: string, after: Offset): string {
  return `${stream}\u0000${shard}\u0000${after}`;
}
