import { DataLossError, InvalidArgumentError, RangeMismatchError } from '../../errors.js';
import { compareOffsets, isAfterStart, type Offset } from '../../protocol/offsets.js';
import type { PartitionInfo, ReadRequest, ReadResult, SourceReader, SourceRecord } from '../../ports/source-reader.js';

export interface AppendRecord {
  readonly key: string;
  readonly data: Uint8Array;
  readonly arrivalTimeMs?: number;
}

interface MemoryPartition {
  readonly id: string;
  readonly parentIds: string[];
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

  constructor(options: MemorySourceOptions = {}) {
    this.firstOffset = options.firstOffset ?? 49_000_000_000_000_000_000_000n;
    this.offsetStep = options.offsetStep ?? 7n;
    this.now = options.now ?? (() => 0);
  }

  createStream(streamName: string, partitionIds: readonly string[]): void {
    if (this.streams.has(streamName)) return;
    const partitions = new Map<string, MemoryPartition>();
    for (const id of partitionIds) partitions.set(id, this.newPartition(id, []));
    this.streams.set(streamName, { partitions });
  }

  /** Closes `partition` and adds `children` that continue it (a Kinesis split or merge). */
  reshard(streamName: string, parents: readonly string[], children: readonly string[]): void {
    const stream = this.stream(streamName);
    for (const parent of parents) this.partition(stream, streamName, parent).closed = true;
    for (const child of children) stream.partitions.set(child, this.newPartition(child, [...parents]));
  }

  append(streamName: string, partition: string, records: readonly AppendRecord[]): Offset[] {
    const p = this.partition(this.stream(streamName), streamName, partition);
    if (p.closed) throw new InvalidArgumentError(`partition ${partition} of ${streamName} is closed`);
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
    return {
      listPartitions: async () => this.listPartitions(streamName),
      read: async (request) => this.read(streamName, request),
    };
  }

  private listPartitions(streamName: string): PartitionInfo[] {
    return [...this.stream(streamName).partitions.values()].map((p) => ({
      id: p.id,
      parentIds: [...p.parentIds],
      closed: p.closed,
    }));
  }

  private read(streamName: string, request: ReadRequest): ReadResult {
    const p = this.partition(this.stream(streamName), streamName, request.partition);
    const { start, untilOffset, maxRecords } = request;
    const after = p.records.filter((r) => isAfterStart(start, r.offset) && (start.type !== 'AT_TIMESTAMP' || r.arrivalTimeMs >= start.timestamp));
    let records = after.slice(0, maxRecords);
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
    const caughtUp = records.length === after.length;
    return { records: records.map((r) => ({ ...r })), caughtUp, closed: caughtUp && p.closed, lagMs: caughtUp ? 0 : null };
  }

  private newPartition(id: string, parentIds: string[]): MemoryPartition {
    return { id, parentIds, closed: false, records: [], next: this.firstOffset };
  }

  private stream(streamName: string): MemoryStream {
    const stream = this.streams.get(streamName);
    if (stream === undefined) throw new InvalidArgumentError(`no stream named ${streamName}`);
    return stream;
  }

  private partition(stream: MemoryStream, streamName: string, id: string): MemoryPartition {
    const p = stream.partitions.get(id);
    if (p === undefined) throw new InvalidArgumentError(`stream ${streamName} has no partition ${id}`);
    return p;
  }
}
