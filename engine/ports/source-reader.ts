import { InvalidArgumentError } from '../errors.js';
import type { FixedRange } from '../protocol/fixed-ranges.js';
import type { HashKeyRange } from '../protocol/lineage.js';
import type { Offset, StartPosition } from '../protocol/offsets.js';

export interface SourceRecord {
  readonly partition: string;
  readonly offset: Offset;
  readonly key: string;
  readonly data: Uint8Array;
  /** When the source accepted the record (Kinesis ApproximateArrivalTimestamp, Kafka timestamp). */
  readonly arrivalTimeMs: number;
}

export interface PartitionInfo {
  readonly id: string;
  /** Partitions that must be read to their end before this one (Kinesis parent shards). */
  readonly parentIds: readonly string[];
  /** No more records will be added (a Kinesis shard closed by resharding). */
  readonly closed: boolean;
  /** Kinesis: the shard's hash key range; inherited keyed state is divided by it. */
  readonly hashKeyRange?: HashKeyRange;
}

export interface ReadRequest {
  readonly partition: string;
  readonly start: StartPosition;
  /** Read at most this many records. */
  readonly maxRecords: number;
  /**
   * When set, the range is recorded: read exactly up to and including this offset, and
   * fail with RangeMismatchError/DataLossError if it cannot be reached.
   */
  readonly untilOffset?: Offset;
  /** A range fixed at plan time: read every record at an offset before this one, and nothing after. */
  readonly endBefore?: Offset;
  /**
   * The partition was listed closed when the batch was planned: an empty page at the
   * tail is not the end, so keep reading until the source says the partition ended (or
   * the cap). Kinesis can answer a closed shard's reader with an empty page and a next
   * iterator before the one that ends it.
   */
  readonly partitionClosed?: boolean;
  /**
   * A byte budget: stop at the record whose data brings the records read to this many
   * bytes or more (at least one record is read), so that a partition of large records
   * cannot make an executor read more than its memory and time allow
   * (engine/executor/read-range.ts). For a range read before its end is recorded, and for
   * a range fixed at plan time (endBefore), whose plan gives it a byte bound: its records
   * never change, so every read of it stops at the same record. The result says `more`
   * when the budget stopped the read with records of the range left. Not with untilOffset:
   * a recorded range is read exactly.
   */
  readonly maxBytes?: number;
  /**
   * A time budget: ask the source for no further page once this many milliseconds have
   * passed since the read began (the first page is always asked for). A source that
   * answers at once (memory) may ignore it. Not with untilOffset or endBefore: where a
   * time budget stops depends on the attempt.
   */
  readonly maxReadMs?: number;
}

export interface ReadResult {
  /** The records after `start`, in offset order. */
  readonly records: SourceRecord[];
  /** The reader reached the tail: nothing more was there when it stopped. */
  readonly caughtUp: boolean;
  /** The partition is closed and was read to its end. */
  readonly closed: boolean;
  /** How far behind the tail the reader was after its last read, when the source says. */
  readonly lagMs: number | null;
  /**
   * The read stopped at its maxBytes or maxReadMs before the tail, before maxRecords and
   * before endBefore: the partition has more to read (it is not caught up).
   */
  readonly more?: boolean;
}

export interface RangeRequest {
  readonly partition: string;
  readonly start: StartPosition;
  readonly maxRecords: number;
}

/** Reads exact offset ranges of one stream or topic. */
export interface SourceReader {
  listPartitions(): Promise<PartitionInfo[]>;
  read(request: ReadRequest): Promise<ReadResult>;
  /**
   * Sources that know where each partition ends (Kafka's ListOffsets) fix every range at
   * plan time: start resolved to an AT_OFFSET, end = min(start + maxRecords, the end).
   * A start below the earliest offset still held throws DataLossError, unless
   * `failOnDataLoss` is false: then the range starts at the earliest offset and says
   * what it skipped. Sources without it (Kinesis) have their ranges recorded by the
   * first executor attempt instead.
   */
  fixRanges?(requests: readonly RangeRequest[], options: { readonly failOnDataLoss: boolean }): Promise<FixedRange[]>;
}

/**
 * What a job reads, as the job names it (engine/job/connectors.ts). Where it lives (the
 * brokers of a Kafka cluster, an AWS account) is the ports' configuration, not the job's.
 */
export type SourceSpec =
  | { readonly type: 'kinesis'; readonly streamName: string }
  | { readonly type: 'kafka'; readonly topic: string }
  | { readonly type: 'memory'; readonly streamName: string };

/**
 * Refuses a read's budgets that are not numbers of the right kind, a budget with a
 * recorded range (untilOffset), or a time budget with a fixed one (endBefore), with
 * InvalidArgumentError.
 */
export function checkReadBudget(request: ReadRequest): void {
  const { maxBytes, maxReadMs } = request;
  if (maxBytes === undefined && maxReadMs === undefined) return;
  if (maxBytes !== undefined && (!Number.isSafeInteger(maxBytes) || maxBytes < 1)) {
    throw new InvalidArgumentError(`maxBytes must be a positive integer, got ${maxBytes}`);
  }
  if (maxReadMs !== undefined && (!Number.isFinite(maxReadMs) || maxReadMs < 0)) {
    throw new InvalidArgumentError(`maxReadMs must be a non-negative number of milliseconds, got ${maxReadMs}`);
  }
  if (request.untilOffset !== undefined) {
    throw new InvalidArgumentError('a read of a recorded range (untilOffset) takes no byte or time budget: it reads exactly the range');
  }
  if (request.endBefore !== undefined && maxReadMs !== undefined) {
    throw new InvalidArgumentError(
      'a read of a fixed range (endBefore) takes no time budget: every read of it must stop at the same record',
    );
  }
}

/** The stream or topic a spec names, for messages and for the memory adapters. */
export function sourceNameOf(spec: SourceSpec): string {
  return spec.type === 'kafka' ? spec.topic : spec.streamName;
}

export type SourceFactory = (spec: SourceSpec) => SourceReader;
