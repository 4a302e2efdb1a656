import type { JsonObject } from '../json.js';

/**
 * Field names a row's value may not use: the sink stores the row key, the writing batch
 * and its replay generation under them. The executor sends a row that uses one to the
 * dead-letter table; the sinks refuse it with InvalidArgumentError.
 */
export const RESERVED_ROW_FIELDS: readonly string[] = ['pk', 'sluiceBatchId', 'sluiceGeneration'];

/** The first reserved field name the row's value uses, if any. */
export function reservedFieldOf(row: SinkRow): string | undefined {
  return RESERVED_ROW_FIELDS.find((name) => Object.hasOwn(row.value, name));
}

export interface SinkRow {
  /** The row's identity in the sink: the same key is the same row. */
  readonly key: string;
  readonly value: JsonObject;
  /**
   * The job's named side output the row belongs to (JobSpec.outputs), or absent for the
   * job's own sinks. The executor routes rows by it (engine/executor/sink-writes.ts);
   * sinks never see it.
   */
  readonly output?: string;
}

export interface StoredRow extends SinkRow {
  /** The batch that wrote the stored value. */
  readonly batchId: number;
  /** The replay generation of that batch's plan (0 for rows stored before generations existed). */
  readonly generation: number;
}

export interface SinkWrite {
  readonly jobId: string;
  readonly batchId: number;
  /** The job's replay generation, from the batch's plan (engine/protocol/batch-records.ts): 0 until a replay. */
  readonly generation: number;
  readonly partition: string;
  readonly rows: readonly SinkRow[];
}

/**
 * Whether a write of (generation, batchId) may replace a stored row: when its pair is not
 * older than the stored one, compared generation first (lexicographically).
 */
export function mayReplace(
  stored: { readonly generation: number; readonly batchId: number },
  write: { readonly generation: number; readonly batchId: number },
): boolean {
  if (write.generation !== stored.generation) return write.generation > stored.generation;
  return write.batchId >= stored.batchId;
}

/** A row the sink refused for good (too large for it, or refused by the destination): the executor files it as a dead letter. */
export interface RejectedRow {
  readonly key: string;
  readonly reason: string;
}

/**
 * What a write did: rows written, rows skipped (an older batch's, never newer output), and
 * the rows refused for good, which the executor turns into dead letters (stage 'sink')
 * instead of retrying the batch (engine/executor/batch-outputs.ts rejectedRowLetters).
 */
export interface SinkWriteResult {
  readonly written: number;
  readonly skipped: number;
  readonly rejected?: readonly RejectedRow[];
}

/**
 * An idempotent sink. Every stored row carries the batch that wrote it and that batch's
 * replay generation; a write replaces a stored row only when its (generation, batch) is
 * the same or newer, compared generation first. So a retried batch writes the same rows
 * again, an older batch (a zombie's) never overwrites newer output, and a replay
 * (engine/replay: a higher generation) replaces the rows of the batches it superseded,
 * whose later batch ids would otherwise win. Rows are absolute values (the count so far,
 * not "+1"), so rewriting is harmless.
 *
 * The limit of a replay in place: a row the replayed batches never write keeps the value
 * the superseded batches gave it. Replay into a new job's sink for a clean result.
 *
 * The stream and user sinks (engine/sinks/) keep this shape with weaker guarantees:
 *
 *   kinesis  at-least-once (Kinesis has no idempotent producer): every write appends its
 *            rows as records again, each with a deterministic id (sluiceId: job, generation,
 *            batch, partition, row key), so a retry or a zombie appends duplicates that carry
 *            the ids of the first copies. `scan()` and `get()` are what a consumer deduping
 *            by id sees: per row key, the record of the highest (generation, batch), by
 *            `mayReplace`. The adapters also expose the raw records (every put, duplicates
 *            included) for tests.
 *   kafka    at-least-once like kinesis (acks=all; no idempotent or transactional producer):
 *            the same envelope and ids, also in the headers sluice-id, sluice-generation and
 *            sluice-batch; the message key is the row key. `scan()` and `get()` are the
 *            deduped view (engine/sinks/kafka-records.ts).
 *   user     the user's function (userSink) gets each (generation, batch, partition) and must
 *            be idempotent on it: a retry, a zombie or a replay calls it again with the same
 *            rows. The deployed adapter cannot read the destination back (`get` is null,
 *            `scan` empty); the memory twin records every call, and `scan()` is the latest
 *            (generation, batch) per row key of the calls that succeeded.
 */
export interface Sink {
  write(request: SinkWrite): Promise<SinkWriteResult>;
  get(key: string): Promise<StoredRow | null>;
  /** Every stored row: for checks, tests and the harness; not for the hot path. */
  scan(): Promise<StoredRow[]>;
  /**
   * Optional, for sinks whose writes are not visible until the batch commits (the file
   * sink, engine/file-sink/file-sink.ts, Spark's FileStreamSink): the driver calls it after
   * the batch's WAL commit is durable, and again for the last committed batch before it
   * plans the next one (a crash between the two is repaired there). It must be
   * idempotent: a second call for the same (batch, generation) changes nothing.
   * Upsert sinks (DynamoDB, memory) have none: their rows are visible as written, and
   * (generation, batch) ordering makes that safe.
   */
  commitBatch?(batch: SinkCommit): Promise<void>;
  /**
   * Optional: why this sink can never accept the row (undefined when it can), e.g. a
   * partition path the row gives that is no safe path segment. The executors turn such a
   * row into a dead letter (stage 'sink') before writing; `write` refuses it with
   * InvalidArgumentError.
   */
  rowProblem?(row: SinkRow): string | undefined;
  /**
   * Optional: a page of the stored rows, for reading the sink back (GET /jobs/{jobId}/results).
   * Up to `limit` rows after the position `after` (null: from the start) and the position
   * of the next page (null: there is none). A position is the sink's own string, opaque to
   * callers. The DynamoDB sink pages its table (a Scan), the memory sink its rows by key,
   * the file sink its committed files through the commit log; the stream and user sinks
   * have none (their rows are records of a stream, or the user's).
   */
  readPage?(request: SinkReadRequest): Promise<SinkPage>;
}

/** What Sink.readPage reads: up to `limit` rows after `after` (null: the first page). */
export interface SinkReadRequest {
  readonly limit: number;
  readonly after: string | null;
}

export interface SinkPage {
  readonly rows: readonly StoredRow[];
  /** Where the next page begins; null after the last page. */
  readonly next: string | null;
}

/** A Kinesis data stream (kinesisSink, engine/job/connectors.ts): at-least-once, deterministic record ids. */
export interface KinesisSinkSpec {
  readonly type: 'kinesis';
  readonly streamName: string;
  /** The record's partition key (default: the row key), so a row's versions reach one shard in order. */
  readonly partitionKey?: (row: SinkRow) => string;
}

/** A Kafka topic (kafkaSink, engine/job/connectors.ts), on the deployment's Kafka connection: at-least-once, deterministic ids. */
export interface KafkaSinkSpec {
  readonly type: 'kafka';
  readonly topic: string;
  /** The message key (default: the row key), so a row's versions reach one partition in order and compaction keeps the latest. */
  readonly key?: (row: SinkRow) => string;
  /** The largest message (key, value and headers) the sink sends; a larger row is refused (a dead letter). Default 1 MiB. */
  readonly maxMessageBytes?: number;
}

/** What a user sink's function gets: one partition's rows of one batch (Spark's foreachBatch, per partition). */
export interface UserSinkBatch {
  readonly jobId: string;
  readonly generation: number;
  readonly batchId: number;
  readonly partition: string;
  readonly rows: readonly SinkRow[];
}

/** The user's own writer (userSink, engine/job/connectors.ts): idempotent on (generation, batchId, partition). */
export interface UserSinkSpec {
  readonly type: 'user';
  readonly name: string;
  readonly write: (batch: UserSinkBatch) => void | Promise<void>;
}

/** A committed batch, as the driver tells a sink's commitBatch (the generation of its plan). */
export interface SinkCommit {
  readonly jobId: string;
  readonly batchId: number;
  readonly generation: number;
}

/** The file formats of the file sink. */
export type FileFormat = 'jsonl' | 'parquet';

/**
 * Files in S3 (engine/file-sink/file-sink.ts, docs/sinks/files.md): each batch's rows go
 * to deterministic objects under `prefix`, and a commit log under `prefix/_sluice_log/`
 * says which files are committed. `bucket` undefined: the deployment's checkpoint bucket.
 */
export interface FileSinkSpec {
  readonly type: 's3files';
  readonly bucket?: string;
  readonly prefix: string;
  readonly format: FileFormat;
  /** A Hive-style partition path from a row's value (`dt=2026-12-02/hour=07`); none: every file under `prefix`. */
  readonly partitionBy?: (row: JsonObject) => string;
  /** A part file is cut when its rows' JSON would pass this many bytes. */
  readonly maxFileBytes: number;
  /** Every this many batches the log gets a compact of its live entries (default 10; engine/protocol/file-sink-compaction.ts). */
  readonly logCompactInterval?: number;
  /** Whether log objects a compact covers are deleted (default true), once this many batches old (default 100). */
  readonly logDeletion?: boolean;
  readonly logCleanupDelayBatches?: number;
}

/**
 * How the DynamoDB sink sends rows (engine/adapters/aws/dynamodb-sink.ts): 'transactions'
 * (the default) of up to 100 rows, 2 WRU a row, a round trip per 100 rows; or conditional
 * 'puts', 1 WRU a row, a request per row. Exactly-once either way.
 */
export type DynamoDbSinkWrites = 'transactions' | 'puts';
export const DYNAMODB_SINK_WRITES: readonly DynamoDbSinkWrites[] = ['transactions', 'puts'];

export type SinkSpec =
  | { readonly type: 'dynamodb'; readonly tableName: string; readonly writes?: DynamoDbSinkWrites }
  | { readonly type: 'memory'; readonly name: string }
  | KinesisSinkSpec
  | KafkaSinkSpec
  | UserSinkSpec
  | FileSinkSpec;

export type SinkFactory = (spec: SinkSpec) => Sink;
