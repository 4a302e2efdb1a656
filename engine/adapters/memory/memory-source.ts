import { ConflictError, DataLossError, InvalidArgumentError, InvariantError, NotFoundError, RangeMismatchError } from '../../errors.js';
import type { FixedRange } from '../../protocol/fixed-ranges.js';
import { hashKeyOf, inHashKeyRange, type HashKeyRange } from '../../protocol/lineage.js';
import { compareOffsets, isAfterStart, isBeforeEnd, type Offset, type StartPosition } from '../../protocol/offsets.js';
import {
  checkReadBudget,
  type PartitionInfo,
  type RangeRequest,
  type ReadRequest,
  type ReadResult,
  type SourceReader,
  type SourceRecord,
} from '../../ports/source-reader.js';

/** Kinesis's hash key space: [0, 2^128 - 1]. */
const MAX_HASH_KEY = 2n ** 128n - 1n;

export interface AppendRecord {
  readonly key: string;
  readonly data: Uint8Array;
  readonly arrivalTimeMs?: number;
  /** Routes the record by this 128-bit hash key (decimal) instead of MD5(key), as Kinesis's ExplicitHashKey does. */
  readonly explicitHashKey?: string;
}

interface MemoryPartition {
  readonly id: string;
  readonly parentIds: string[];
  readonly hashKeyRange: HashKeyRange;
  closed: boolean;
  readonly records: SourceRecord[];
  next: bigint;
}

interface MemoryStream {
  readonly partitions: Map<string, MemoryPartition>;
}

export interface MemorySourceOptions {
  /**
   * Offsets of a partition start here and grow by `offsetStep`. The defaults (a large first
   * offset, a step of 7) make offsets non-contiguous and wider than a double, like Kinesis
   * sequence numbers, so code that assumes contiguous or small offsets fails in tests.
   */
  readonly firstOffset?: bigint;
  readonly offsetStep?: bigint;
  readonly now?: () => number;
  /**
   * Behave like Kafka: readers fix each range at plan time (fixRanges), knowing where
   * every partition ends. Use with firstOffset 0 and offsetStep 1 for Kafka's offsets.
   */
  readonly fixedRanges?: boolean;
}

/**
 * Streams in memory: the harness's MemoryStream (Spark's name) and the memory adapter of
 * the source reader. Partitions can be closed and given children to model resharding.
 */
export class MemorySource {
  private readonly streams = new Map<string, MemoryStream>();
  private readonly firstOffset: bigint;
  private readonly offsetStep: bigint;
  private readonly now: () => number;
  private readonly fixedRanges: boolean;

  constructor(options: MemorySourceOptions = {}) {
    this.firstOffset = options.firstOffset ?? 49_000_000_000_000_000_000_000n;
    this.offsetStep = options.offsetStep ?? 7n;
    this.now = options.now ?? (() => 0);
    this.fixedRanges = options.fixedRanges ?? false;
  }

  /** A stream whose partitions divide the hash key space evenly, like Kinesis's CreateStream. */
  createStream(streamName: string, partitionIds: readonly string[]): void {
    if (this.streams.has(streamName)) return;
    const partitions = new Map<string, MemoryPartition>();
    const width = (MAX_HASH_KEY + 1n) / BigInt(Math.max(1, partitionIds.length));
    partitionIds.forEach((id, i) => {
      const start = width * BigInt(i);
      const end = i === partitionIds.length - 1 ? MAX_HASH_KEY : start + width - 1n;
      partitions.set(id, this.newPartition(id, [], { start: start.toString(), end: end.toString() }));
    });
    this.streams.set(streamName, { partitions });
  }

  /** Whether a stream of this name was created. */
  hasStream(streamName: string): boolean {
    return this.streams.has(streamName);
  }

  /**
   * Adds partitions with no parents to an existing stream, like Kafka's CreatePartitions
   * (for Kafka-like streams: their hash key ranges mean nothing there).
   */
  addPartitions(streamName: string, partitionIds: readonly string[]): void {
    const stream = this.stream(streamName);
    for (const id of partitionIds) {
      if (stream.partitions.has(id)) throw new ConflictError(`stream ${streamName} already has a partition ${id}`);
      stream.partitions.set(id, this.newPartition(id, [], { start: '0', end: MAX_HASH_KEY.toString() }));
    }
  }

  /**
   * Closes `parents` and opens `children` that continue them, like Kinesis: one parent
   * into two children splits its hash key range in the middle; parents into one child
   * merges their (adjacent) ranges.
   */
  reshard(streamName: string, parents: readonly string[], children: readonly string[]): void {
    const stream = this.stream(streamName);
    const ranges = parents.map((id) => this.partition(stream, streamName, id).hashKeyRange);
    let childRanges: HashKeyRange[];
    if (parents.length === 1 && children.length === 2) {
      const { start, end } = ranges[0]!;
      const middle = (BigInt(start) + BigInt(end) + 1n) / 2n;
      childRanges = [
        { start, end: (middle - 1n).toString() },
        { start: middle.toString(), end },
      ];
    } else if (children.length === 1) {
      const starts = ranges.map((r) => BigInt(r.start));
      const ends = ranges.map((r) => BigInt(r.end));
      const min = starts.reduce((a, b) => (a < b ? a : b));
      const max = ends.reduce((a, b) => (a > b ? a : b));
      childRanges = [{ start: min.toString(), end: max.toString() }];
    } else {
      throw new InvalidArgumentError('reshard splits one partition into two, or merges partitions into one');
    }
    for (const parent of parents) this.partition(stream, streamName, parent).closed = true;
    children.forEach((child, i) => {
      stream.partitions.set(child, this.newPartition(child, [...parents], childRanges[i]!));
    });
  }

  /** Appends each record to the open partition whose hash key range holds MD5(key) (or its explicit hash key), as Kinesis routes. */
  appendByKey(streamName: string, records: readonly AppendRecord[]): { partition: string; offset: Offset }[] {
    const stream = this.stream(streamName);
    return records.map((r) => {
      const hash = r.explicitHashKey === undefined ? hashKeyOf(r.key) : BigInt(r.explicitHashKey);
      const target = [...stream.partitions.values()].find((p) => !p.closed && inHashKeyRange(p.hashKeyRange, hash));
      // The open partitions' hash key ranges cover every key (reshard hands a parent's range to its children).
      if (target === undefined) throw new InvariantError(`no open partition of ${streamName} holds key ${r.key}`);
      return { partition: target.id, offset: this.append(streamName, target.id, [r])[0]! };
    });
  }

  append(streamName: string, partition: string, records: readonly AppendRecord[]): Offset[] {
    const p = this.partition(this.stream(streamName), streamName, partition);
    if (p.closed) throw new ConflictError(`partition ${partition} of ${streamName} is closed`);
    return records.map((r) => {
      const offset = p.next.toString();
      p.next += this.offsetStep;
      p.records.push({ partition, offset, key: r.key, data: r.data, arrivalTimeMs: r.arrivalTimeMs ?? this.now() });
      return offset;
    });
  }

  /** Drops records up to and including `offset`, as retention would. */
  trim(streamName: string, partition: string, offset: Offset): void {
    const p = this.partition(this.stream(streamName), streamName, partition);
    const keep = p.records.filter((r) => compareOffsets(r.offset, offset) > 0);
    p.records.splice(0, p.records.length, ...keep);
  }

  reader(streamName: string): SourceReader {
    const reader: SourceReader = {
      listPartitions: async () => this.listPartitions(streamName),
      read: async (request) => this.read(streamName, request),
    };
    if (!this.fixedRanges) return reader;
    return { ...reader, fixRanges: async (requests, options) => this.fixRanges(streamName, requests, options.failOnDataLoss) };
  }

  private listPartitions(streamName: string): PartitionInfo[] {
    return [...this.stream(streamName).partitions.values()].map((p) => ({
      id: p.id,
      parentIds: [...p.parentIds],
      closed: p.closed,
      hashKeyRange: p.hashKeyRange,
    }));
  }

  /** Kafka's planning: resolve each start to an offset, and end at min(start + cap, the partition's end). */
  private fixRanges(streamName: string, requests: readonly RangeRequest[], failOnDataLoss: boolean): FixedRange[] {
    const stream = this.stream(streamName);
    return requests.map(({ partition, start, maxRecords }) => {
      const p = this.partition(stream, streamName, partition);
      const earliest = p.records[0]?.offset ?? p.next.toString();
      const tail = p.next.toString();
      let from = this.startOffset(p, start);
      let skipped: { from: Offset; to: Offset } | undefined;
      if (compareOffsets(from, earliest) < 0) {
        if (failOnDataLoss) {
          throw new DataLossError(`offsets ${from} to ${earliest} of ${partition} aged out before they were read`, {
            context: { partition, offset: from },
          });
        }
        skipped = { from, to: earliest };
        from = earliest;
      }
      const capped = BigInt(from) + BigInt(maxRecords) * this.offsetStep;
      const endBefore = capped < p.next ? capped.toString() : tail;
      return {
        partition,
        start: { type: 'AT_OFFSET', offset: from },
        endBefore,
        endIsTail: endBefore === tail,
        ...(skipped ? { skipped } : {}),
      };
    });
  }

  private startOffset(p: MemoryPartition, start: StartPosition): Offset {
    switch (start.type) {
      case 'AT_OFFSET':
        return start.offset;
      case 'AFTER':
        return (BigInt(start.offset) + this.offsetStep).toString();
      case 'EARLIEST':
        return p.records[0]?.offset ?? p.next.toString();
      case 'AT_TIMESTAMP':
        return p.records.find((r) => r.arrivalTimeMs >= start.timestamp)?.offset ?? p.next.toString();
    }
  }

  private read(streamName: string, request: ReadRequest): ReadResult {
    const p = this.partition(this.stream(streamName), streamName, request.partition);
    checkReadBudget(request);
    const { start, untilOffset, maxRecords, endBefore } = request;
    if (endBefore !== undefined && start.type === 'AT_OFFSET') {
      // Kafka answers a fetch below the log start offset with OFFSET_OUT_OF_RANGE.
      const earliest = p.records[0]?.offset ?? p.next.toString();
      if (compareOffsets(start.offset, earliest) < 0) {
        throw new DataLossError(`offsets ${start.offset} to ${earliest} of ${request.partition} aged out before they were read`, {
          context: { partition: request.partition, offset: start.offset },
        });
      }
    }
    const after = p.records.filter(
      (r) => isAfterStart(start, r.offset) && (start.type !== 'AT_TIMESTAMP' || r.arrivalTimeMs >= start.timestamp),
    );
    let records = after.filter((r) => isBeforeEnd(r.offset, endBefore)).slice(0, maxRecords);
    if (untilOffset !== undefined) {
      const index = records.findIndex((r) => r.offset === untilOffset);
      if (index < 0) {
        const passed = records.some((r) => compareOffsets(r.offset, untilOffset) > 0);
        const context = { partition: request.partition, offset: untilOffset };
        if (passed) throw new DataLossError(`record ${untilOffset} of ${request.partition} is gone`, { context });
        throw new RangeMismatchError(`could not read up to ${untilOffset} in ${request.partition}`, { context });
      }
      records = records.slice(0, index + 1);
    }
    const budgeted = withinBytes(records, request.maxBytes);
    const more = budgeted.length < records.length;
    records = budgeted;
    const caughtUp = records.length === after.length;
    return {
      records: records.map((r) => ({ ...r })),
      caughtUp,
      closed: caughtUp && p.closed,
      lagMs: caughtUp ? 0 : null,
      ...(more ? { more } : {}),
    };
  }

  private newPartition(id: string, parentIds: string[], hashKeyRange: HashKeyRange): MemoryPartition {
    return { id, parentIds, hashKeyRange, closed: false, records: [], next: this.firstOffset };
  }

  private stream(streamName: string): MemoryStream {
    const stream = this.streams.get(streamName);
    if (stream === undefined) {
      throw new NotFoundError(`stream ${streamName} does not exist: create it (createStream), or fix the job's stream name`, {
        context: { stream: streamName },
      });
    }
    return stream;
  }

  private partition(stream: MemoryStream, streamName: string, id: string): MemoryPartition {
    const p = stream.partitions.get(id);
    if (p === undefined) throw new NotFoundError(`stream ${streamName} has no partition ${id}`);
    return p;
  }
}

/**
 * The records up to the one whose data brings them to `maxBytes` or more (all of them
 * without a budget). A memory partition answers at once: it has no use for maxReadMs.
 */
function withinBytes<R extends { readonly data: Uint8Array }>(records: R[], maxBytes: number | undefined): R[] {
  if (maxBytes === undefined) return records;
  let bytes = 0;
  for (const [i, record] of records.entries()) {
    bytes += record.data.byteLength;
    if (bytes >= maxBytes) return records.slice(0, i + 1);
  }
  return records;
}
