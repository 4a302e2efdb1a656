/**
 * The file sink's layout and commit log, as pure rules (the I/O is engine/file-sink/).
 * Spark's FileStreamSink keeps the same idea in `_spark_metadata/<batchId>`
 * (FileStreamSinkLog): files land under deterministic names, and a batch's files count
 * only once the log lists them, so readers that follow the log see committed batches only.
 *
 *   <prefix>/<partition path>/part-<job>-g<generation>-b<batch>-<scope>-<n>.<ext>
 *       the rows one executor (scope: a partition, or a key group) wrote for a batch
 *   <prefix>/_sluice_staged/g<generation>-b<batch>/<scope>.json
 *       the files that executor wrote, put after them (what the commit reads)
 *   <prefix>/_sluice_log/<batch, 12 digits>-g<generation, 6 digits>.json
 *       the log entry of a committed batch: its files, written after the WAL commit
 *   <prefix>/_symlink_format_manifest/<partition path>/<batch, 12 digits>
 *       the live files of a batch in one partition, one s3:// path a line: Athena's
 *       SymlinkTextInputFormat reads a table from these
 *
 * Which entries are live: an entry (b, g) is superseded by any entry (b', g') with
 * g' > g and b' <= b. A replay in generation g' from batch N re-runs N, N+1, ... and the
 * WAL's old batches N.. are archived, so once the replay's batch N is committed, every
 * older generation's batch from N on is history. Until then the old files stay live:
 * nothing is deleted before the replay's own commit.
 */
import { InvariantError } from '../errors.js';

export const LOG_DIR = '_sluice_log';
export const STAGED_DIR = '_sluice_staged';
export const MANIFEST_DIR = '_symlink_format_manifest';

/** One file of a committed batch. `path` is the object key in the bucket. */
export interface LogFile {
  readonly path: string;
  /** The Hive-style partition path ('' without partitionBy). */
  readonly partition: string;
  readonly rows: number;
  readonly bytes: number;
}

export interface LogEntry {
  readonly version: 1;
  readonly jobId: string;
  readonly batchId: number;
  readonly generation: number;
  /** Sorted by path. A batch that wrote no rows has an entry with no files. */
  readonly files: readonly LogFile[];
}

const SEGMENT = /^[A-Za-z_][A-Za-z0-9_]{0,63}=[A-Za-z0-9._-]{1,128}$/;
const MAX_PARTITION_DEPTH = 8;

/**
 * Why `path` is not a Hive-style partition path this sink writes (undefined when it is):
 * 1 to 8 segments `name=value` joined by '/', a name of letters, digits and '_', a value
 * of letters, digits, '.', '_' and '-' (not '.' or '..'). Anything else (a '/' inside a
 * value, ':', a space, '%', an empty value) could escape the prefix, collide after Hive's
 * escaping or break a reader: the row becomes a dead letter.
 */
export function partitionPathProblem(path: unknown): string | undefined {
  if (typeof path !== 'string') return `partitionBy must return a string, got ${typeof path}`;
  const segments = path.split('/');
  if (segments.length > MAX_PARTITION_DEPTH)
    return `partition path ${JSON.stringify(path.slice(0, 200))} has more than ${MAX_PARTITION_DEPTH} segments`;
  for (const segment of segments) {
    const value = segment.slice(segment.indexOf('=') + 1);
    if (!SEGMENT.test(segment) || value === '.' || value === '..') {
      return `partition path ${JSON.stringify(path.slice(0, 200))} is not name=value segments joined by '/' (names: letters, digits, _; values: letters, digits, . _ -)`;
    }
  }
  return undefined;
}

/** Checks a sink prefix: 1-512 characters, no leading or trailing '/', no empty, '.' or '..' segment. */
export function prefixProblem(prefix: unknown): string | undefined {
  if (typeof prefix !== 'string' || prefix.length === 0 || prefix.length > 512) return 'must be a string of 1-512 characters';
  if (!/^[A-Za-z0-9!_.*'()=/-]+$/.test(prefix)) return "must use letters, digits and ! _ . * ' ( ) = - / only";
  if (prefix.split('/').some((s) => s === '' || s === '.' || s === '..')) {
    return "must not start or end with '/', nor hold an empty, '.' or '..' segment";
  }
  return undefined;
}

/** A name part that is safe in an object key: letters, digits, '.', '_' and '-' stay, any other byte becomes ~XX. */
export function safeNamePart(name: string): string {
  let out = '';
  for (const byte of new TextEncoder().encode(name)) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9._-]/.test(c) ? c : `~${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function pad(n: number, width: number): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new InvariantError(`a batch id or generation is a non-negative integer, got ${n}`);
  return String(n).padStart(width, '0');
}

export interface PartFile {
  readonly prefix: string;
  readonly partition: string;
  readonly jobId: string;
  readonly generation: number;
  readonly batchId: number;
  readonly scope: string;
  readonly n: number;
  readonly extension: string;
}

export function partFileKey(f: PartFile): string {
  const dir = f.partition === '' ? f.prefix : `${f.prefix}/${f.partition}`;
  return `${dir}/part-${safeNamePart(f.jobId)}-g${f.generation}-b${f.batchId}-${safeNamePart(f.scope)}-${f.n}.${f.extension}`;
}

export function stagedDir(prefix: string, generation: number, batchId: number): string {
  return `${prefix}/${STAGED_DIR}/g${generation}-b${batchId}/`;
}

export function stagedKey(prefix: string, generation: number, batchId: number, scope: string): string {
  return `${stagedDir(prefix, generation, batchId)}${safeNamePart(scope)}.json`;
}

export function logDir(prefix: string): string {
  return `${prefix}/${LOG_DIR}/`;
}

export function logEntryKey(prefix: string, batchId: number, generation: number): string {
  return `${logDir(prefix)}${pad(batchId, 12)}-g${pad(generation, 6)}.json`;
}

const LOG_ENTRY_NAME = /^(\d{12})-g(\d{6})\.json$/;

/** The (batch, generation) of a log entry's key, or null for any other key under the log. */
export function parseLogEntryKey(prefix: string, key: string): { batchId: number; generation: number } | null {
  const dir = logDir(prefix);
  if (!key.startsWith(dir)) return null;
  const match = LOG_ENTRY_NAME.exec(key.slice(dir.length));
  return match === null ? null : { batchId: Number(match[1]), generation: Number(match[2]) };
}

export function manifestKey(prefix: string, partition: string, batchId: number): string {
  const dir = partition === '' ? `${prefix}/${MANIFEST_DIR}` : `${prefix}/${MANIFEST_DIR}/${partition}`;
  return `${dir}/${pad(batchId, 12)}`;
}

/** Deterministic bytes of a log entry (the same entry is the same bytes). */
export function encodeLogEntry(entry: LogEntry): Uint8Array {
  const files = [...entry.files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const ordered = {
    version: 1,
    jobId: entry.jobId,
    batchId: entry.batchId,
    generation: entry.generation,
    files: files.map((f) => ({ path: f.path, partition: f.partition, rows: f.rows, bytes: f.bytes })),
  };
  return new TextEncoder().encode(`${JSON.stringify(ordered)}\n`);
}

export function decodeLogEntry(bytes: Uint8Array, key: string): LogEntry {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes));
  } catch (error) {
    throw new InvariantError(`the file sink's log entry ${key} is not JSON: ${String(error)}`);
  }
  const e = parsed as Partial<LogEntry> | null;
  if (
    e === null ||
    typeof e !== 'object' ||
    e.version !== 1 ||
    !Number.isSafeInteger(e.batchId) ||
    !Number.isSafeInteger(e.generation) ||
    !Array.isArray(e.files) ||
    !e.files.every((f) => typeof f?.path === 'string' && typeof f.partition === 'string' && Number.isSafeInteger(f.rows))
  ) {
    throw new InvariantError(`the file sink's log entry ${key} is not a version-1 entry`);
  }
  return e as LogEntry;
}

/**
 * The live entries of a log, by batch: (b, g) is superseded by any (b', g') with g' > g
 * and b' <= b (see the header). At most one entry per batch is live (the same batch in
 * two generations: the higher one supersedes the lower).
 */
export function liveEntries<E extends { readonly batchId: number; readonly generation: number }>(entries: readonly E[]): E[] {
  // For each generation, the first batch it wrote; an entry is live when no newer generation starts at or before it.
  const firstBatchOf = new Map<number, number>();
  for (const e of entries) firstBatchOf.set(e.generation, Math.min(firstBatchOf.get(e.generation) ?? e.batchId, e.batchId));
  const starts = [...firstBatchOf.entries()];
  return entries
    .filter((e) => !starts.some(([generation, first]) => generation > e.generation && first <= e.batchId))
    .sort((a, b) => a.batchId - b.batchId || a.generation - b.generation);
}
