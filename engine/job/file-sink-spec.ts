/**
 * `s3FileSink`: a job's rows as JSON Lines or Parquet files in S3, committed through a
 * log (engine/file-sink/file-sink.ts, docs/sinks/files.md). Checked at defineJob: every
 * problem is a JobSpecError naming the field.
 */
import type { JsonObject } from '../json.js';
import type { FileFormat, FileSinkSpec } from '../ports/sink.js';
import { DEFAULT_LOG_COMPACT_INTERVAL } from '../protocol/file-sink-compaction.js';
import { prefixProblem } from '../protocol/file-sink-log.js';
import { requireFunction, requireObject, show, specError } from './spec-checks.js';

/** S3 bucket names: 3-63 of a-z 0-9 . -, starting and ending with a letter or digit. */
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
export const DEFAULT_MAX_FILE_BYTES = 64 * 1024 * 1024;
const MIN_FILE_BYTES = 1024;
const MAX_FILE_BYTES = 1024 * 1024 * 1024;
const FIELDS = new Set([
  'bucket',
  'prefix',
  'format',
  'partitionBy',
  'maxFileBytes',
  'logCompactInterval',
  'logDeletion',
  'logCleanupDelayBatches',
]);
const MAX_LOG_BATCHES = 1_000_000;

export interface S3FileSinkOptions {
  /** The bucket; default: the deployment's checkpoint bucket (the one its state lives in). */
  readonly bucket?: string;
  /** Where the files, the commit log and Athena's manifests go: `<prefix>/...` (no leading or trailing '/'). */
  readonly prefix: string;
  readonly format: FileFormat;
  /**
   * A Hive-style partition path from a row's value, e.g. `(r) => \`dt=${day(r.ts)}/hour=${hour(r.ts)}\``:
   * segments `name=value` joined by '/'. A row it throws for, or whose path is no safe
   * segment list, becomes a dead letter (stage 'sink'). It must be deterministic (no clock).
   */
  readonly partitionBy?: (row: JsonObject) => string;
  /** A part file is cut when its rows' JSON would pass this many bytes (default 64 MiB; 1 KiB to 1 GiB). */
  readonly maxFileBytes?: number;
  /**
   * Every this many batches the commit log gets a compact holding every live entry so far,
   * and readers read the latest compact plus the entries after it (Spark's
   * `spark.sql.streaming.fileSink.log.compactInterval`). Default 10; 1 to 1,000,000.
   */
  readonly logCompactInterval?: number;
  /** Whether log entries a compact covers (and older compacts) are deleted (Spark's `fileSink.log.deletion`). Default true. */
  readonly logDeletion?: boolean;
  /**
   * How many batches old a covered log object must be before it is deleted: how far
   * behind a reader's listing may lag (Spark's `fileSink.log.cleanupDelay`, in batches).
   * Default 100; at least logCompactInterval.
   */
  readonly logCleanupDelayBatches?: number;
}

/** Rows as files in S3, visible to readers once their batch is committed. */
export function s3FileSink(options: S3FileSinkOptions): FileSinkSpec {
  requireObject('s3FileSink()', options);
  return checkFileSink({ type: 's3files', ...options }, 's3FileSink()');
}

/** Validates a file sink spec (also one written by hand) and returns a frozen copy. */
export function checkFileSink(s: Record<string, unknown>, field: string): FileSinkSpec {
  for (const key of Object.keys(s)) {
    if (key !== 'type' && !FIELDS.has(key)) throw specError(`${field}.${key}`, `is not a file sink field (${[...FIELDS].join(', ')})`);
  }
  const { bucket, prefix, format, partitionBy, maxFileBytes = DEFAULT_MAX_FILE_BYTES } = s;
  if (bucket !== undefined && (typeof bucket !== 'string' || !BUCKET_NAME.test(bucket) || bucket.includes('..'))) {
    throw specError(`${field}.bucket`, `must be an S3 bucket name (3-63 of a-z 0-9 . -), got ${show(bucket)}`);
  }
  const problem = prefixProblem(prefix);
  if (problem !== undefined) throw specError(`${field}.prefix`, `${problem}, got ${show(prefix)}`);
  if (format !== 'jsonl' && format !== 'parquet') throw specError(`${field}.format`, `must be 'jsonl' or 'parquet', got ${show(format)}`);
  if (partitionBy !== undefined) requireFunction(`${field}.partitionBy`, partitionBy);
  if (
    typeof maxFileBytes !== 'number' ||
    !Number.isSafeInteger(maxFileBytes) ||
    maxFileBytes < MIN_FILE_BYTES ||
    maxFileBytes > MAX_FILE_BYTES
  ) {
    throw specError(`${field}.maxFileBytes`, `must be an integer from ${MIN_FILE_BYTES} to ${MAX_FILE_BYTES}, got ${show(maxFileBytes)}`);
  }
  const log = checkLogSettings(s, field);
  return Object.freeze({
    type: 's3files',
    ...(bucket === undefined ? {} : { bucket: bucket as string }),
    prefix: prefix as string,
    format,
    ...(partitionBy === undefined ? {} : { partitionBy: partitionBy as (row: JsonObject) => string }),
    maxFileBytes,
    ...log,
  });
}

/** The commit log's compaction settings, given ones only (FileSink applies the defaults). */
function checkLogSettings(
  s: Record<string, unknown>,
  field: string,
): Pick<FileSinkSpec, 'logCompactInterval' | 'logDeletion' | 'logCleanupDelayBatches'> {
  const { logCompactInterval, logDeletion, logCleanupDelayBatches } = s;
  const isCount = (n: unknown, min: number) => typeof n === 'number' && Number.isSafeInteger(n) && n >= min && n <= MAX_LOG_BATCHES;
  if (logCompactInterval !== undefined && !isCount(logCompactInterval, 1)) {
    throw specError(`${field}.logCompactInterval`, `must be an integer from 1 to ${MAX_LOG_BATCHES}, got ${show(logCompactInterval)}`);
  }
  if (logDeletion !== undefined && typeof logDeletion !== 'boolean') {
    throw specError(`${field}.logDeletion`, `must be true or false, got ${show(logDeletion)}`);
  }
  const interval = (logCompactInterval as number | undefined) ?? DEFAULT_LOG_COMPACT_INTERVAL;
  if (logCleanupDelayBatches !== undefined && !isCount(logCleanupDelayBatches, interval)) {
    throw specError(
      `${field}.logCleanupDelayBatches`,
      `must be an integer from logCompactInterval (${interval}) to ${MAX_LOG_BATCHES}, got ${show(logCleanupDelayBatches)}`,
    );
  }
  return {
    ...(logCompactInterval === undefined ? {} : { logCompactInterval: logCompactInterval as number }),
    ...(logDeletion === undefined ? {} : { logDeletion: logDeletion as boolean }),
    ...(logCleanupDelayBatches === undefined ? {} : { logCleanupDelayBatches: logCleanupDelayBatches as number }),
  };
}
