/**
 * Offsets and ranges of one source partition (a Kinesis shard or a Kafka partition).
 *
 * An offset is a non-negative decimal integer in a string: a Kinesis sequence number
 * (56 digits, beyond Number's 2^53) or a Kafka offset. Offsets are compared as BigInt,
 * never as numbers and never as strings ("9" > "10" as strings).
 *
 * A batch reads, per partition, the records from its start position up to its end:
 *
 *   start: EARLIEST | AT_TIMESTAMP t | AFTER o | AT_OFFSET o   (where reading begins)
 *   end:   { count: 0 }                              (nothing was there: an empty range)
 *        | { count: n, lastOffset: o' }              (n records, the last of which is o')
 *
 * Two kinds of range, by what the source can tell the planner:
 *
 *   recorded (Kinesis)  the planner cannot know where an open shard ends; the first
 *                       executor attempt reads up to the cap and records the end. The next
 *                       batch starts AFTER o' when the range held records, or at the same
 *                       start when it was empty.
 *   fixed (Kafka)       the planner knows the partition's end offset (ListOffsets) and
 *                       fixes the range as [AT_OFFSET s, endBefore e) in the plan. The next
 *                       batch starts AT_OFFSET e, whatever offsets inside were records
 *                       (Kafka offsets have gaps: transaction markers, compaction).
 *                       The plan also gives the range a byte bound (maxBytes): the range
 *                       ends at the record whose data brings its records to that many
 *                       bytes, when that record comes before e. Records at fixed offsets
 *                       never change, so every attempt and every replay cuts at the same
 *                       record o' and nothing is recorded; the range end says
 *                       cutBefore = o' + 1, where the next batch starts instead of e.
 *
 * Chaining ranges either way covers the partition with no gap and no overlap
 * (`nextStart`); the property tests in test/unit prove it.
 *
 * LATEST is only a user-facing starting position. The planner turns it into
 * AT_TIMESTAMP(time of the first plan) so that a replay of the first batch reads the same
 * records: a LATEST iterator taken again later would point somewhere else.
 */
import { InvalidArgumentError, InvariantError } from '../errors.js';

export type Offset = string;

export type StartPosition =
  | { readonly type: 'EARLIEST' }
  | { readonly type: 'AT_TIMESTAMP'; readonly timestamp: number }
  | { readonly type: 'AFTER'; readonly offset: Offset }
  | { readonly type: 'AT_OFFSET'; readonly offset: Offset };

/** What a job may ask for when it starts. */
export type StartingPosition = 'EARLIEST' | 'LATEST' | { readonly timestamp: number };

export interface RangeEnd {
  /** Records in the range. 0 means the range is empty and `lastOffset` is absent. */
  readonly count: number;
  /** The offset of the last record in the range (inclusive). */
  readonly lastOffset?: Offset;
  /** The partition is closed and this range read it to its end (Kinesis resharding). */
  readonly closed?: boolean;
  /**
   * A fixed range whose planned start had aged out of the source by the time it was read,
   * in a job that allows data loss: it was read from this offset instead, and the offsets
   * from the planned start up to it were skipped. Recorded in the WAL by the first attempt
   * (a range-end record holding only this), so every attempt reads the same records.
   */
  readonly startedAt?: Offset;
  /**
   * A fixed range that ended at its plan's byte bound (PartitionPlan.maxBytes) before
   * `endBefore`: the offset after its last record, where the next batch starts. Absent
   * when the range reached `endBefore`.
   */
  readonly cutBefore?: Offset;
}

/** A range end as the WAL's range-end record holds it (WriteAheadLog.recordRangeEnd). */
export interface RecordedRangeEnd extends RangeEnd {
  /**
   * The first attempt stopped at its byte or time budget (engine/executor/read-range.ts,
   * RANGE_READ_BUDGET) before the cap and before the tail: the partition was not caught
   * up. Only the range-end record keeps it, for the attempts that read the recorded range
   * again; results and commits say caughtUp instead.
   */
  readonly more?: true;
}

const OFFSET_PATTERN = /^(0|[1-9][0-9]*)$/;

export function isOffset(value: unknown): value is Offset {
  return typeof value === 'string' && OFFSET_PATTERN.test(value);
}

export function assertOffset(value: unknown, what = 'offset'): asserts value is Offset {
  if (!isOffset(value)) {
    throw new InvalidArgumentError(`${what} must be a non-negative decimal integer string, got ${JSON.stringify(value)}`);
  }
}

/** -1, 0 or 1 as a is before, equal to, or after b. */
export function compareOffsets(a: Offset, b: Offset): -1 | 0 | 1 {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function maxOffset(a: Offset, b: Offset): Offset {
  return compareOffsets(a, b) >= 0 ? a : b;
}

/** The first offset of a Kafka-style range that starts after `offset`. */
export function offsetAfter(offset: Offset): Offset {
  return (BigInt(offset) + 1n).toString();
}

/** Turns a user's starting position into a plan's start position, fixed at `nowMs`. */
export function resolveStartingPosition(position: StartingPosition, nowMs: number): StartPosition {
  if (position === 'EARLIEST') return { type: 'EARLIEST' };
  if (position === 'LATEST') return { type: 'AT_TIMESTAMP', timestamp: nowMs };
  return { type: 'AT_TIMESTAMP', timestamp: position.timestamp };
}

/**
 * Where the next batch of this partition starts, given this batch's start and end, and
 * `endBefore` when the plan fixed the range (then the next batch starts exactly there, or
 * where the range's byte bound cut it: `cutBefore`).
 */
export function nextStart(start: StartPosition, end: RangeEnd, endBefore?: Offset): StartPosition {
  if (endBefore !== undefined) return { type: 'AT_OFFSET', offset: end.cutBefore ?? endBefore };
  if (end.count === 0) return start;
  if (end.lastOffset === undefined) {
    throw new InvariantError(`a range of ${end.count} records must carry its lastOffset`);
  }
  return { type: 'AFTER', offset: end.lastOffset };
}

/** True when a record at `offset` lies at or after `start` (is not before the range begins). */
export function isAfterStart(start: StartPosition, offset: Offset): boolean {
  if (start.type === 'AFTER') return compareOffsets(offset, start.offset) > 0;
  if (start.type === 'AT_OFFSET') return compareOffsets(offset, start.offset) >= 0;
  return true;
}

/** True when a record at `offset` lies inside a fixed range ending before `endBefore`. */
export function isBeforeEnd(offset: Offset, endBefore: Offset | undefined): boolean {
  return endBefore === undefined || compareOffsets(offset, endBefore) < 0;
}

/** Builds the end of a range from the offsets actually read, in order. */
export function rangeEndOf(offsets: readonly Offset[], closed = false): RangeEnd {
  const last = offsets[offsets.length - 1];
  const end: RangeEnd = last === undefined ? { count: 0 } : { count: offsets.length, lastOffset: last };
  return closed ? { ...end, closed: true } : end;
}

/** True when two range ends describe the same records. */
export function sameRangeEnd(a: RangeEnd, b: RangeEnd): boolean {
  return a.count === b.count && a.lastOffset === b.lastOffset && Boolean(a.closed) === Boolean(b.closed);
}

export function describeStart(start: StartPosition): string {
  switch (start.type) {
    case 'EARLIEST':
      return 'earliest';
    case 'AT_TIMESTAMP':
      return `at ${new Date(start.timestamp).toISOString()}`;
    case 'AFTER':
      return `after ${start.offset}`;
    case 'AT_OFFSET':
      return `at ${start.offset}`;
  }
}
