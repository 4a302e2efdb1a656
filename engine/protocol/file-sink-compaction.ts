/**
 * Compaction of the file sink's commit log (engine/protocol/file-sink-log.ts), as pure
 * rules; the I/O is FileSink.commitBatch and FileSink.readLog (engine/file-sink/).
 *
 * Without it a reader lists and GETs one entry per batch: ~3 million objects after a year
 * at a 10 s trigger. Spark's CompactibleFileStreamLog (FileStreamSinkLog) writes, every
 * `compactInterval` batches, a `<batch>.compact` file holding every live entry so far, and
 * readers read the latest compact plus the entries after it. Sluice does the same:
 *
 *   <prefix>/_sluice_log/<batch, 12 digits>-g<generation, 6 digits>.compact.json
 *       written by batch N of generation g when N % logCompactInterval === 0: the live
 *       entries of the log so far (the supersession rule applied) and `covers`, the
 *       (generation, batch range) of every entry it folded in.
 *
 * A reader LISTs `_sluice_log/` once, takes the latest compact (the greatest (generation,
 * batch): compareCompacts), GETs it, then GETs only the entries it does not cover, and applies the
 * supersession rule to the union. That equals the rule applied to every entry ever
 * written: dropping superseded entries loses no supersession, since whatever superseded
 * an entry is itself kept or superseded by a kept one (a newer generation starting no
 * later). Because a compact names what it covers, an entry written after it (a replay's
 * first batch, a late entry of an older generation) is still read: there is no batch
 * arithmetic a reader must agree on, so the interval may change between runs (Spark must
 * derive it from the compacts it finds).
 *
 * Differences from Spark: the compaction batch writes its own entry too, before the
 * compact, so "a batch's entry exists" stays the commit's done-marker and a reader never
 * sees a batch through a compact before its entry exists; a compact holds whole entries
 * (batch, generation, files) rather than file statuses with add/delete actions, and
 * supersession by a newer generation replaces Spark's "delete" action.
 *
 * Crash rules (FileSink.commitBatch, engine/file-sink/commit-log.ts):
 *   - a crash while writing a compact: the body is built in memory and PUT once under its
 *     final deterministic name (an S3 PUT is atomic), so a partial compact is never seen.
 *     The batch's entry is already written; the retried commit (Finish, or the next plan's
 *     repair) finds it, finds no compact of the batch, and writes the compact then.
 *   - a retried batch rewrites the same compact: it folds the same base compact and the
 *     same uncovered entries, so the same bytes. Should a late entry of an older batch
 *     have landed in between, the rewrite also covers it; either version is right on its
 *     own, since each lists what it covers. A compact already there is left alone.
 *   - a zombie of an older generation (the log holds an entry or a compact of a newer
 *     one) writes its entry only, never a compact and never a deletion: its entry is
 *     superseded or, if live, read as an uncovered entry. Its Finish of a batch whose
 *     entry was deleted finds the batch covered by the latest compact and does nothing.
 *   - a replay after compaction: the replay's entries are newer than the compact and not
 *     covered by it, so readers read them and they supersede the compacted entries from
 *     the replay's first batch on; the replay's own next compact folds everything.
 *
 * Deletion (FileSink, `logDeletion`, default on, as Spark's `fileSink.log.deletion`):
 * after writing compact N, entries it covers and older compacts are deleted when their
 * batch is at most N - logCleanupDelayBatches (Spark's `cleanupDelay`, counted in
 * batches: the sink has no clock, and a batch count is what a stale reader lags by). A
 * reader that listed before that and then misses an object lists again (as Spark's
 * allFiles retries on the next compaction). No data file is ever deleted.
 */
import { InvariantError } from '../errors.js';
import { liveEntries, logDir, logEntryKey, parseLogEntryKey, type LogEntry } from './file-sink-log.js';

export const COMPACT_SUFFIX = '.compact.json';
export const DEFAULT_LOG_COMPACT_INTERVAL = 10;
export const DEFAULT_LOG_CLEANUP_DELAY_BATCHES = 100;

/** The batches [from, to] of one generation whose entries a compact folded in. */
export interface CoveredRange {
  readonly generation: number;
  readonly from: number;
  readonly to: number;
}

export interface CompactEntry {
  readonly version: 1;
  readonly jobId: string;
  readonly batchId: number;
  readonly generation: number;
  /** Every entry folded in (this compact's and its base's), by generation then batch, adjacent ranges merged. */
  readonly covers: readonly CoveredRange[];
  /** The live entries of everything covered, by batch. */
  readonly entries: readonly LogEntry[];
}

export interface LogKey {
  readonly batchId: number;
  readonly generation: number;
}

export function isCompactionBatch(batchId: number, interval: number): boolean {
  return batchId > 0 && batchId % interval === 0;
}

export function compactKey(prefix: string, batchId: number, generation: number): string {
  return logEntryKey(prefix, batchId, generation).replace(/\.json$/, COMPACT_SUFFIX);
}

const COMPACT_NAME = /^(\d{12})-g(\d{6})\.compact\.json$/;

export function parseCompactKey(prefix: string, key: string): LogKey | null {
  const dir = logDir(prefix);
  if (!key.startsWith(dir)) return null;
  const match = COMPACT_NAME.exec(key.slice(dir.length));
  return match === null ? null : { batchId: Number(match[1]), generation: Number(match[2]) };
}

/** (batch, generation) order: the order of the log's keys. */
export function compareLogKeys(a: LogKey, b: LogKey): number {
  return a.batchId - b.batchId || a.generation - b.generation;
}

/**
 * The order in which compacts succeed each other: (generation, batch). A newer
 * generation's compact is built on the latest compact before it, whatever its batch, so
 * a replay from an early batch compacts from its first compaction batch on, and a
 * compact a zombie of an older generation writes late is never the latest.
 */
export function compareCompacts(a: LogKey, b: LogKey): number {
  return a.generation - b.generation || a.batchId - b.batchId;
}

/** A LIST of `_sluice_log/`, split into entries (in (batch, generation) order) and compacts (in compareCompacts order); other keys ignored. */
export interface LogListing {
  readonly entries: readonly (LogKey & { readonly key: string })[];
  readonly compacts: readonly (LogKey & { readonly key: string })[];
}

export function parseLogListing(prefix: string, keys: readonly string[]): LogListing {
  const entries: (LogKey & { key: string })[] = [];
  const compacts: (LogKey & { key: string })[] = [];
  for (const key of keys) {
    const entry = parseLogEntryKey(prefix, key);
    if (entry !== null) entries.push({ ...entry, key });
    const compact = parseCompactKey(prefix, key);
    if (compact !== null) compacts.push({ ...compact, key });
  }
  return { entries: entries.sort(compareLogKeys), compacts: compacts.sort(compareCompacts) };
}

/** The compact a reader starts from: the last in compareCompacts order, or null. */
export function latestCompact<K extends LogKey>(compacts: readonly K[]): K | null {
  return [...compacts].sort(compareCompacts).at(-1) ?? null;
}

export function isCovered(covers: readonly CoveredRange[], key: LogKey): boolean {
  return covers.some((r) => r.generation === key.generation && r.from <= key.batchId && key.batchId <= r.to);
}

/** The entries of a listing a reader must still GET after the compact (null: none). */
export function uncoveredEntries<K extends LogKey>(compact: CompactEntry | null, entries: readonly K[]): K[] {
  return compact === null ? [...entries] : entries.filter((e) => !isCovered(compact.covers, e));
}

/** Ranges with `keys` added, sorted by (generation, from), overlapping and adjacent ranges merged. */
export function addCovered(covers: readonly CoveredRange[], keys: readonly LogKey[]): CoveredRange[] {
  const all = [...covers, ...keys.map((k) => ({ generation: k.generation, from: k.batchId, to: k.batchId }))].sort(
    (a, b) => a.generation - b.generation || a.from - b.from,
  );
  const merged: CoveredRange[] = [];
  for (const r of all) {
    const last = merged.at(-1);
    if (last !== undefined && last.generation === r.generation && r.from <= last.to + 1) {
      merged[merged.length - 1] = { ...last, to: Math.max(last.to, r.to) };
    } else merged.push({ ...r });
  }
  return merged;
}

/**
 * The compact batch (batchId, generation) writes: the base compact (the latest before it,
 * or null) with `entries` folded in (the uncovered entries, this batch's own among them).
 */
export function buildCompact(input: {
  readonly jobId: string;
  readonly batchId: number;
  readonly generation: number;
  readonly base: CompactEntry | null;
  readonly entries: readonly LogEntry[];
}): CompactEntry {
  const { base, entries } = input;
  const fresh = entries.filter((e) => base === null || !isCovered(base.covers, e));
  return {
    version: 1,
    jobId: input.jobId,
    batchId: input.batchId,
    generation: input.generation,
    covers: addCovered(base?.covers ?? [], fresh),
    entries: liveEntries([...(base?.entries ?? []), ...fresh]),
  };
}

/** The entries a reader reads: the compact's and the uncovered ones; liveEntries() of them is what is committed. */
export function entriesOfLog(compact: CompactEntry | null, uncovered: readonly LogEntry[]): LogEntry[] {
  return [...(compact?.entries ?? []), ...uncovered].sort(compareLogKeys);
}

/**
 * What deleting after compact `compact` may remove: the entries it covers and the older
 * compacts, in each case only with a batch at most compact.batchId - delayBatches.
 */
export function expiredLogKeys(listing: LogListing, compact: CompactEntry, delayBatches: number): string[] {
  const horizon = compact.batchId - delayBatches;
  const entries = listing.entries.filter((e) => e.batchId <= horizon && isCovered(compact.covers, e));
  const compacts = listing.compacts.filter((c) => c.batchId <= horizon && compareCompacts(c, compact) < 0);
  return [...entries, ...compacts].map((k) => k.key).sort();
}

/** Deterministic bytes: the same compact is the same bytes. */
export function encodeCompact(compact: CompactEntry): Uint8Array {
  const byPath = (a: { path: string }, b: { path: string }) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);
  const ordered = {
    version: 1,
    jobId: compact.jobId,
    batchId: compact.batchId,
    generation: compact.generation,
    covers: compact.covers.map((r) => ({ generation: r.generation, from: r.from, to: r.to })),
    entries: [...compact.entries].sort(compareLogKeys).map((e) => ({
      version: 1,
      jobId: e.jobId,
      batchId: e.batchId,
      generation: e.generation,
      files: [...e.files].sort(byPath).map((f) => ({ path: f.path, partition: f.partition, rows: f.rows, bytes: f.bytes })),
    })),
  };
  return new TextEncoder().encode(`${JSON.stringify(ordered)}\n`);
}

export function decodeCompact(bytes: Uint8Array, key: string): CompactEntry {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new InvariantError(`the file sink's compact ${key} is not JSON: ${String(error)}`);
  }
  const c = parsed as Partial<CompactEntry> | null;
  const isRange = (r: Partial<CoveredRange> | null) =>
    r !== null && Number.isSafeInteger(r.generation) && Number.isSafeInteger(r.from) && Number.isSafeInteger(r.to);
  if (
    c === null ||
    typeof c !== 'object' ||
    c.version !== 1 ||
    !Number.isSafeInteger(c.batchId) ||
    !Number.isSafeInteger(c.generation) ||
    !Array.isArray(c.covers) ||
    !c.covers.every(isRange) ||
    !Array.isArray(c.entries) ||
    !c.entries.every((e) => Number.isSafeInteger(e?.batchId) && Array.isArray(e.files))
  ) {
    throw new InvariantError(`the file sink's compact ${key} is not a version-1 compact`);
  }
  return c as CompactEntry;
}
