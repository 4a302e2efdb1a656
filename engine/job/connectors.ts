import { DYNAMODB_SINK_WRITES, type DynamoDbSinkWrites, type SinkRow, type SinkSpec, type UserSinkBatch } from '../ports/sink.js';
import type { SourceSpec } from '../ports/source-reader.js';
import type { StartingPosition } from '../protocol/offsets.js';
import { EPOCH_MS_HINT, isEpochMs } from '../timestamps.js';
import { checkFileSink } from './file-sink-spec.js';
import { requireObject, show, specError } from './spec-checks.js';
import { asyncFunctionProblem, isAsyncFunction, isThenable, thenableReason } from './synchronous.js';
import type { JobSource } from './types.js';

/**
 * Where a job reads from and writes to. These only describe the source or sink; the
 * engine's ports turn the spec into a reader or writer (engine/ports).
 */

const KINESIS_STREAM_NAME = /^[a-zA-Z0-9_.-]{1,128}$/;
/** Kafka's legal topic names: 1-249 of a-z A-Z 0-9 . _ -, and not '.' or '..'. */
const KAFKA_TOPIC = /^(?!\.{1,2}$)[a-zA-Z0-9._-]{1,249}$/;
const DYNAMODB_TABLE_NAME = /^[a-zA-Z0-9_.-]{3,255}$/;

export interface SourceOptions {
  readonly streamName: string;
  /** Where the job starts reading on its first batch (default 'EARLIEST'). */
  readonly startingPosition?: StartingPosition;
  /**
   * How the producers route a keyBy key to a shard: the 128-bit hash key (a bigint or a
   * decimal string) its records are put with. Default: MD5 of the key, which is Kinesis's
   * own routing when the keyBy key is the records' partition key. Give it when producers
   * set ExplicitHashKey, or when the partition key is another function of the keyBy key:
   * a split divides a shard's state by it, so each key's state follows its records.
   */
  readonly hashKeyOf?: (key: string) => bigint | string;
}

/** A Kinesis data stream; each shard is a partition. */
export function kinesisSource(options: SourceOptions): JobSource {
  return sourceOf('kinesis', options, 'kinesisSource()');
}

/** An in-memory stream of the test harness. */
export function memorySource(options: SourceOptions): JobSource {
  return sourceOf('memory', options, 'memorySource()');
}

export interface KafkaSourceOptions {
  readonly topic: string;
  /** Where the job starts reading on its first batch (default 'EARLIEST'); partitions added later start there too. */
  readonly startingPosition?: StartingPosition;
  /**
   * Spark's failOnDataLoss. When offsets the job still has to read have aged out of the
   * topic's retention: true (the default) stops the job with DataLossError; false skips to
   * the earliest offset still held, and the batch records what it skipped in the WAL
   * (`skipped` in its plan) and in its metrics (`skippedOffsets`).
   */
  readonly failOnDataLoss?: boolean;
}

/**
 * A Kafka topic (Amazon MSK or any Kafka); each partition is a partition of the job. The
 * brokers and credentials are the deployment's (the ports' `kafka` connection), not the job's.
 */
export function kafkaSource(options: KafkaSourceOptions): JobSource {
  const field = 'kafkaSource()';
  requireObject(field, options);
  const { topic, startingPosition = 'EARLIEST', failOnDataLoss } = options;
  return checkSource(
    { spec: { type: 'kafka', topic }, startingPosition, ...(failOnDataLoss === undefined ? {} : { failOnDataLoss }) },
    field,
    field,
  );
}

function sourceOf(type: 'kinesis' | 'memory', options: SourceOptions, field: string): JobSource {
  requireObject(field, options);
  const { streamName, startingPosition = 'EARLIEST', hashKeyOf } = options;
  return checkSource({ spec: { type, streamName }, startingPosition, ...(hashKeyOf === undefined ? {} : { hashKeyOf }) }, field, field);
}

const MAX_HASH_KEY = 2n ** 128n - 1n;

/** Routing functions already checked (defineJob checks a source kinesisSource() built). */
const CHECKED = new WeakSet<(key: string) => unknown>();

/** The user's routing function, checked on every call: a key it cannot route fails the batch with a JobSpecError naming it. */
function checkedHashKeyOf(fn: (key: string) => unknown, field: string): (key: string) => bigint {
  if (CHECKED.has(fn)) return fn as (key: string) => bigint;
  const checked = (key: string): bigint => {
    let value: unknown;
    try {
      value = fn(key);
    } catch (error) {
      // The job's own code failed: retrying the batch would fail again.
      throw specError(`${field}.hashKeyOf`, `threw for key ${show(key)}: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (isThenable(value)) throw specError(`${field}.hashKeyOf`, `${thenableReason(value)} (for key ${show(key)})`);
    let hash: bigint | null = null;
    if (typeof value === 'bigint') hash = value;
    else if (typeof value === 'string' && /^[0-9]{1,39}$/.test(value)) hash = BigInt(value);
    if (hash === null || hash < 0n || hash > MAX_HASH_KEY) {
      throw specError(
        `${field}.hashKeyOf`,
        `must return a hash key from 0 to 2^128 - 1 (a bigint or a decimal string), got ${show(typeof value === 'bigint' ? value.toString() : value)} for key ${show(key)}`,
      );
    }
    return hash;
  };
  CHECKED.add(checked);
  return checked;
}

export interface DynamoDbSinkOptions {
  readonly tableName: string;
  /**
   * How rows are sent: 'transactions' (the default; up to 100 rows a round trip, 2 WRU a
   * row) or conditional 'puts' (one request a row, 1 WRU a row: half the price).
   * Exactly-once either way (docs/sinks/README.md).
   */
  readonly writes?: DynamoDbSinkWrites;
}

/** A DynamoDB table; each row is an item keyed by the row key. */
export function dynamoDbSink(options: DynamoDbSinkOptions): SinkSpec {
  const o = requireObject('dynamoDbSink()', options);
  return checkSink({ ...o, type: 'dynamodb' }, 'dynamoDbSink()');
}

/** An in-memory table of the test harness. */
export function memorySink(options: { readonly name: string }): SinkSpec {
  requireObject('memorySink()', options);
  return checkSink({ type: 'memory', name: options.name }, 'memorySink()');
}

export interface KinesisSinkOptions {
  readonly streamName: string;
  /**
   * The partition key of a row's record (default: the row key), so that every version of
   * a row reaches one shard, in order. Synchronous; a key over 256 characters (or empty)
   * is replaced by its SHA-256; a row it throws for, or returns no string for, becomes a
   * dead letter.
   */
  readonly partitionKey?: (row: SinkRow) => string;
}

/**
 * A Kinesis data stream: each row is a record, at-least-once. Kinesis has no idempotent
 * producer, so a retried batch, a zombie executor or a replay puts records again; every
 * record carries a deterministic id (`sluiceId`) and its (generation, batchId), so a
 * consumer dedupes by id and keeps, per row key, the highest (generation, batchId)
 * (engine/sinks/kinesis-records.ts; docs/sinks/streams-and-user-sinks.md).
 */
export function kinesisSink(options: KinesisSinkOptions): SinkSpec {
  requireObject('kinesisSink()', options);
  const { streamName, partitionKey } = options;
  return checkSink({ type: 'kinesis', streamName, ...(partitionKey === undefined ? {} : { partitionKey }) }, 'kinesisSink()');
}

export interface KafkaSinkOptions {
  /** The topic, on the deployment's Kafka connection (the one Kafka sources read: SLUICE_KAFKA_BROKERS and friends). */
  readonly topic: string;
  /**
   * The message key of a row (default: the row key), so that every version of a row goes
   * to one partition, in order, and a compacted topic keeps its latest. Synchronous; a row
   * it throws for, or returns no string for, becomes a dead letter.
   */
  readonly key?: (row: SinkRow) => string;
  /**
   * The largest message the sink sends, in bytes (key, value and headers): a larger row
   * becomes a dead letter. Default 1 MiB (1,048,576), a broker's default message.max.bytes;
   * raise it only with the topic's max.message.bytes.
   */
  readonly maxMessageBytes?: number;
}

/**
 * A Kafka topic (Amazon MSK): each row is a message, at-least-once (acks=all). A retried
 * batch, a zombie executor or a replay sends messages again; every message carries a
 * deterministic id (header sluice-id, and in the value) and its (generation, batchId), so
 * a consumer dedupes by id and keeps, per row key, the highest (generation, batchId); or
 * reads a compacted topic keyed by row key (engine/sinks/kafka-records.ts; docs/sinks/kafka.md).
 */
export function kafkaSink(options: KafkaSinkOptions): SinkSpec {
  requireObject('kafkaSink()', options);
  const { topic, key, maxMessageBytes } = options;
  return checkSink(
    {
      type: 'kafka',
      topic,
      ...(key === undefined ? {} : { key }),
      ...(maxMessageBytes === undefined ? {} : { maxMessageBytes }),
    },
    'kafkaSink()',
  );
}

export interface UserSinkOptions {
  /** The sink's name: in errors, dead letters and metrics. */
  readonly name: string;
  /**
   * Writes one partition's rows of one batch. May be async (it is I/O at the batch's end,
   * not a pipeline function). Must be idempotent on (generation, batchId, partition): a
   * retry, a zombie or a replay calls it again with the same rows. Throw SinkRejectedError
   * to refuse rows for good (they become dead letters); any other error fails the batch,
   * which is retried.
   */
  readonly write: (batch: UserSinkBatch) => void | Promise<void>;
}

/** The user's own writer, Spark's foreachBatch (engine/sinks/user-sink.ts has the contract). */
export function userSink(options: UserSinkOptions): SinkSpec {
  requireObject('userSink()', options);
  return checkSink({ type: 'user', name: options.name, write: options.write }, 'userSink()');
}

/** Validates a job source (also one written by hand) and returns a frozen copy. */
export function checkSource(source: unknown, field: string, specField = `${field}.spec`): JobSource {
  const s = requireObject(field, source);
  const spec = requireObject(specField, s.spec) as Partial<Record<string, unknown>>;
  const { type } = spec;
  let checked: SourceSpec;
  if (type === 'kafka') {
    const { topic } = spec;
    if (typeof topic !== 'string' || !KAFKA_TOPIC.test(topic)) {
      throw specError(`${specField}.topic`, `must be a Kafka topic name (1-249 of a-z A-Z 0-9 . _ -, not '.' or '..'), got ${show(topic)}`);
    }
    checked = { type, topic };
  } else if (type === 'kinesis' || type === 'memory') {
    const { streamName } = spec;
    const validName = type === 'kinesis' ? KINESIS_STREAM_NAME : /./;
    if (typeof streamName !== 'string' || !validName.test(streamName)) {
      throw specError(
        `${specField}.streamName`,
        type === 'kinesis'
          ? `must be a Kinesis stream name (1-128 of a-z A-Z 0-9 _ . -), got ${show(streamName)}`
          : `must be a non-empty string, got ${show(streamName)}`,
      );
    }
    checked = { type, streamName };
  } else {
    throw specError(`${specField}.type`, `must be 'kinesis', 'kafka' or 'memory', got ${show(type)}`);
  }
  const startingPosition = checkStartingPosition(s.startingPosition, `${field}.startingPosition`);
  const failOnDataLoss = s.failOnDataLoss;
  if (failOnDataLoss !== undefined) {
    if (typeof failOnDataLoss !== 'boolean') {
      throw specError(`${field}.failOnDataLoss`, `must be true or false, got ${show(failOnDataLoss)}`);
    }
    if (type !== 'kafka') {
      // Kinesis ranges are recorded by the executor, which always stops on a gap (DataLossError).
      throw specError(`${field}.failOnDataLoss`, `applies to Kafka sources only, not ${type}`);
    }
  }
  const hashKeyOf = s.hashKeyOf;
  if (hashKeyOf !== undefined) {
    if (typeof hashKeyOf !== 'function')
      throw specError(`${field}.hashKeyOf`, `must be a function from a key to its hash key, got ${show(hashKeyOf)}`);
    if (isAsyncFunction(hashKeyOf)) throw specError(`${field}.hashKeyOf`, asyncFunctionProblem());
    if (type === 'kafka') throw specError(`${field}.hashKeyOf`, 'applies to Kinesis sources only (Kafka partitions do not split)');
  }
  return Object.freeze({
    spec: Object.freeze(checked),
    startingPosition,
    ...(failOnDataLoss === undefined ? {} : { failOnDataLoss }),
    ...(hashKeyOf === undefined ? {} : { hashKeyOf: checkedHashKeyOf(hashKeyOf as (key: string) => unknown, field) }),
  });
}

function checkStartingPosition(value: unknown, field: string): StartingPosition {
  if (value === 'EARLIEST' || value === 'LATEST') return value;
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const { timestamp } = value as { timestamp?: unknown };
    if (isEpochMs(timestamp)) return Object.freeze({ timestamp });
    throw specError(`${field}.timestamp`, `must be ${EPOCH_MS_HINT}, got ${show(timestamp)}`);
  }
  throw specError(field, `must be 'EARLIEST', 'LATEST' or { timestamp }, got ${show(value)}`);
}

const DYNAMODB_SINK_FIELDS = ['type', 'tableName', 'writes'];

/** Validates a sink spec (also one written by hand) and returns a frozen copy. */
export function checkSink(sink: unknown, field: string): SinkSpec {
  const s = requireObject(field, sink);
  if (s.type === 'dynamodb') {
    const tableName = s.tableName;
    if (typeof tableName !== 'string' || !DYNAMODB_TABLE_NAME.test(tableName)) {
      const problem = `must be a DynamoDB table name (3-255 of a-z A-Z 0-9 _ . -), got ${show(tableName)}`;
      throw specError(`${field}.tableName`, problem);
    }
    for (const key of Object.keys(s)) {
      if (!DYNAMODB_SINK_FIELDS.includes(key)) {
        throw specError(`${field}.${key}`, `is not a DynamoDB sink field (${DYNAMODB_SINK_FIELDS.slice(1).join(', ')})`);
      }
    }
    const { writes } = s;
    if (writes !== undefined && !DYNAMODB_SINK_WRITES.includes(writes as DynamoDbSinkWrites)) {
      throw specError(`${field}.writes`, `must be ${DYNAMODB_SINK_WRITES.map((w) => `'${w}'`).join(' or ')}, got ${show(writes)}`);
    }
    return Object.freeze({ type: 'dynamodb', tableName, ...(writes === undefined ? {} : { writes: writes as DynamoDbSinkWrites }) });
  }
  if (s.type === 'memory') {
    const name = s.name;
    if (typeof name !== 'string' || name === '') {
      throw specError(`${field}.name`, `must be a non-empty string, got ${show(name)}`);
    }
    return Object.freeze({ type: 'memory', name });
  }
  if (s.type === 'kinesis') {
    const { streamName, partitionKey } = s;
    if (typeof streamName !== 'string' || !KINESIS_STREAM_NAME.test(streamName)) {
      throw specError(`${field}.streamName`, `must be a Kinesis stream name (1-128 of a-z A-Z 0-9 _ . -), got ${show(streamName)}`);
    }
    if (partitionKey !== undefined) {
      if (typeof partitionKey !== 'function')
        throw specError(`${field}.partitionKey`, `must be a function from a row to its partition key, got ${show(partitionKey)}`);
      if (isAsyncFunction(partitionKey)) throw specError(`${field}.partitionKey`, asyncFunctionProblem());
    }
    return Object.freeze({ type: 'kinesis', streamName, ...(partitionKey === undefined ? {} : { partitionKey }) } as SinkSpec);
  }
  if (s.type === 'kafka') {
    const { topic, key, maxMessageBytes } = s;
    if (typeof topic !== 'string' || !KAFKA_TOPIC.test(topic)) {
      throw specError(`${field}.topic`, `must be a Kafka topic name (1-249 of a-z A-Z 0-9 . _ -, not '.' or '..'), got ${show(topic)}`);
    }
    if (key !== undefined) {
      if (typeof key !== 'function') throw specError(`${field}.key`, `must be a function from a row to its message key, got ${show(key)}`);
      if (isAsyncFunction(key)) throw specError(`${field}.key`, asyncFunctionProblem());
    }
    if (maxMessageBytes !== undefined && !(Number.isSafeInteger(maxMessageBytes) && (maxMessageBytes as number) >= 1024)) {
      throw specError(`${field}.maxMessageBytes`, `must be an integer of at least 1024 bytes, got ${show(maxMessageBytes)}`);
    }
    return Object.freeze({
      type: 'kafka',
      topic,
      ...(key === undefined ? {} : { key }),
      ...(maxMessageBytes === undefined ? {} : { maxMessageBytes }),
    } as SinkSpec);
  }
  if (s.type === 'user') {
    const { name, write } = s;
    if (typeof name !== 'string' || name === '') {
      throw specError(`${field}.name`, `must be a non-empty string, got ${show(name)}`);
    }
    // The one user function that may be async: it is I/O on the batch's computed rows (engine/job/synchronous.ts).
    if (typeof write !== 'function') throw specError(`${field}.write`, `must be a function that writes a batch's rows, got ${show(write)}`);
    return Object.freeze({ type: 'user', name, write } as SinkSpec);
  }
  if (s.type === 's3files') return checkFileSink(s, field);
  throw specError(`${field}.type`, `must be 'dynamodb', 'memory', 'kinesis', 'kafka', 'user' or 's3files', got ${show(s.type)}`);
}
