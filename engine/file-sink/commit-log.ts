/**
 * The file sink's commit log in a bucket: its entries, and their compaction
 * (engine/protocol/file-sink-compaction.ts has the rules, the crash cases and how Spark's
 * CompactibleFileStreamLog compares). FileSink writes through append() after a batch's
 * WAL commit and reads through read().
 *
 * Batch N of generation g, after its WAL commit:
 *   1. append: N's entry is PUT (the batch's done-marker: readers see N from here on);
 *   2. compactIfDue, when N % logCompactInterval === 0 and the log holds nothing of a newer
 *      generation (else this is a zombie of an older one) nor a compact at or after
 *      (N, g) in (generation, batch) order: the compact is built in memory from the
 *      latest compact before (N, g) and every entry it does not cover, N's own among
 *      them, and PUT once under its final name. A crash before that PUT leaves the log without it; the retried commit (its
 *      entry found) comes here again and writes it;
 *   3. after a compact, with logDeletion on, the covered entries and the older compacts at
 *      least logCleanupDelayBatches old are deleted.
 *
 * read(): one LIST of `_sluice_log/`, the latest compact, then the entries it does not
 * cover. An object a concurrent deletion removed between the LIST and its GET makes the
 * read start over with a new LIST (a few times, then an error), as Spark's allFiles does.
 */
import { InvariantError } from '../errors.js';
import type { BlobStore } from '../ports/blob-store.js';
import type { FileSinkSpec } from '../ports/sink.js';
import {
  buildCompact,
  compareCompacts,
  compactKey,
  decodeCompact,
  DEFAULT_LOG_CLEANUP_DELAY_BATCHES,
  DEFAULT_LOG_COMPACT_INTERVAL,
  encodeCompact,
  entriesOfLog,
  expiredLogKeys,
  isCompactionBatch,
  isCovered,
  latestCompact,
  parseLogListing,
  uncoveredEntries,
  type CompactEntry,
  type LogKey,
  type LogListing,
} from '../protocol/file-sink-compaction.js';
import { decodeLogEntry, encodeLogEntry, logDir, logEntryKey, type LogEntry } from '../protocol/file-sink-log.js';

/** How many times read() lists again after an object vanished under it. */
const READ_ATTEMPTS = 5;

export class CommitLog {
  private readonly prefix: string;
  private readonly interval: number;
  private readonly deletion: boolean;
  private readonly delayBatches: number;

  constructor(
    private readonly blobs: BlobStore,
    spec: Pick<FileSinkSpec, 'prefix' | 'logCompactInterval' | 'logDeletion' | 'logCleanupDelayBatches'>,
  ) {
    this.prefix = spec.prefix;
    this.interval = spec.logCompactInterval ?? DEFAULT_LOG_COMPACT_INTERVAL;
    this.deletion = spec.logDeletion ?? true;
    this.delayBatches = spec.logCleanupDelayBatches ?? Math.max(DEFAULT_LOG_CLEANUP_DELAY_BATCHES, this.interval);
  }

  /**
   * Whether (batchId, generation) is in the log already: its entry exists or, with
   * deletion on (an entry may have been deleted after compaction), the latest compact,
   * when it comes after the batch, covers it.
   */
  async has(key: LogKey): Promise<boolean> {
    if ((await this.blobs.get(logEntryKey(this.prefix, key.batchId, key.generation))) !== null) return true;
    if (!this.deletion) return false;
    const latest = latestCompact((await this.list()).compacts);
    if (latest === null || compareCompacts(latest, key) <= 0) return false;
    const compact = await this.getCompact(latest.key);
    return compact !== null && isCovered(compact.covers, key);
  }

  /** Puts a batch's entry: the batch's done-marker. */
  async append(entry: LogEntry): Promise<void> {
    await this.blobs.put(logEntryKey(this.prefix, entry.batchId, entry.generation), encodeLogEntry(entry));
  }

  /**
   * After a batch's entry: when the batch is a compaction batch, its compact (again, on a
   * retry whose first attempt died before the compact's PUT), then the deletion. Skipped
   * when the compact exists or a later one does, and for a zombie of an older generation
   * (the log holds a newer one).
   */
  async compactIfDue(key: LogKey & { readonly jobId: string }): Promise<void> {
    if (!isCompactionBatch(key.batchId, this.interval)) return;
    const listing = await this.list();
    const newer = [...listing.entries, ...listing.compacts].some((k) => k.generation > key.generation);
    if (newer || listing.compacts.some((c) => compareCompacts(c, key) >= 0)) return;
    const compact = await this.compact(listing, key);
    if (this.deletion) {
      const expired = expiredLogKeys(listing, compact, this.delayBatches);
      if (expired.length > 0) await this.blobs.delete(expired);
    }
  }

  /** Builds the compact of `key` from the latest compact before it and every entry that one does not cover; one PUT. */
  private async compact(listing: LogListing, key: LogKey & { readonly jobId: string }): Promise<CompactEntry> {
    const baseKey = latestCompact(listing.compacts.filter((c) => compareCompacts(c, key) < 0));
    const base = baseKey === null ? null : await this.getCompact(baseKey.key);
    if (baseKey !== null && base === null) {
      throw new InvariantError(`the file sink's compact ${baseKey.key} vanished while batch ${key.batchId} compacted the log`);
    }
    const fetched = await Promise.all(uncoveredEntries(base, listing.entries).map((e) => this.getEntry(e.key)));
    const compact = buildCompact({
      jobId: key.jobId,
      batchId: key.batchId,
      generation: key.generation,
      base,
      entries: fetched.filter((e): e is LogEntry => e !== null),
    });
    await this.blobs.put(compactKey(this.prefix, key.batchId, key.generation), encodeCompact(compact));
    return compact;
  }

  /** The entries a reader reads (the latest compact's and those it does not cover), in (batch, generation) order. */
  async read(): Promise<LogEntry[]> {
    for (let attempt = 1; ; attempt += 1) {
      const listing = await this.list();
      const latest = latestCompact(listing.compacts);
      const compact = latest === null ? null : await this.getCompact(latest.key);
      const wanted = uncoveredEntries(compact, listing.entries);
      const entries = await Promise.all(wanted.map((e) => this.getEntry(e.key)));
      const complete = (latest === null || compact !== null) && entries.every((e) => e !== null);
      if (complete) return entriesOfLog(compact, entries as LogEntry[]);
      if (attempt === READ_ATTEMPTS) {
        throw new InvariantError(`the file sink's log under ${logDir(this.prefix)} kept changing under ${READ_ATTEMPTS} reads`);
      }
    }
  }

  private async list(): Promise<LogListing> {
    return parseLogListing(this.prefix, await this.blobs.list(logDir(this.prefix)));
  }

  private async getCompact(key: string): Promise<CompactEntry | null> {
    const body = await this.blobs.get(key);
    return body === null ? null : decodeCompact(body, key);
  }

  private async getEntry(key: string): Promise<LogEntry | null> {
    const body = await this.blobs.get(key);
    return body === null ? null : decodeLogEntry(body, key);
  }
}
