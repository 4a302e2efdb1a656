/**
 * Reads exact offset ranges of the partitions of one Kafka topic. A partition's id is its
 * number as a decimal string ("0", "1", ...), an offset the Kafka offset (a decimal
 * string, compared as BigInt).
 *
 * Kafka tells the planner where every partition ends (ListOffsets), so ranges are fixed
 * at plan time (`fixRanges`): the start is resolved to an offset (EARLIEST = the log start
 * offset, AFTER o = o + 1, AT_TIMESTAMP t = ListOffsets by timestamp, AT_OFFSET as is),
 * the end is min(start + maxRecords, the partition's end), and the plan records
 * [AT_OFFSET s, endBefore e). A start below the log start offset has aged out of
 * retention: DataLossError, or with failOnDataLoss false, the range starts at the log
 * start offset and says what was skipped.
 *
 * An executor then reads exactly [s, e) (`read`): every record whose offset is in the
 * range, in order, nothing outside it, whatever record batches the broker returns (see
 * kafka-records.ts). Offsets are read_committed: the partition's end is its last stable
 * offset, records of aborted transactions are never returned, and markers leave gaps.
 * With the plan's byte bound (`maxBytes`), the read ends at the record whose value
 * brings the records to it, and says `more` when that is not the range's last offset:
 * the same record on every read, and no fetch past it.
 *
 * A range is read with Fetch requests sent to the partition leader through kafkajs's own
 * cluster and broker objects (kafkajs-internals.ts, the one place that reaches them), not
 * with a consumer: no group, no offsets committed anywhere (the WAL is the only offset
 * store), and the read stops exactly at e. docs/kafka.md ("Why Fetch requests and not a
 * consumer") has the reasons. Topic metadata and watermarks use the public admin API.
 *
 * The reader is given its admin client and its fetcher; on AWS and locally they are the
 * shared clients of the connection (kafka-clients.ts), and a test can wrap them.
 */
import type { Admin } from 'kafkajs';
import kafkajs from 'kafkajs';
import { DataLossError, InvalidArgumentError, NotFoundError, TransientError } from '../../errors.js';
import type { FixedRange } from '../../protocol/fixed-ranges.js';
import { describeStart, isOffset, type Offset, type StartPosition } from '../../protocol/offsets.js';
import {
  checkReadBudget,
  type PartitionInfo,
  type RangeRequest,
  type ReadRequest,
  type ReadResult,
  type SourceReader,
  type SourceRecord,
} from '../../ports/source-reader.js';
import { minOffset, takeRange, type AbortedTransaction, type FetchedMessage } from './kafka-records.js';
import { retry } from '../../retry.js';

export type Sleep = (ms: number) => Promise<void>;

const PARTITION_ID = /^(0|[1-9][0-9]{0,9})$/;

/** The part of the admin API the reader uses (a test can wrap the real one). */
export type KafkaAdmin = Pick<Admin, 'fetchTopicMetadata' | 'fetchTopicOffsets' | 'fetchTopicOffsetsByTimestamp'>;

/** One partition of a decoded Fetch response. */
export interface FetchedPartition {
  readonly partition: number;
  readonly highWatermark: string;
  readonly lastStableOffset?: string;
  readonly abortedTransactions?: readonly AbortedTransaction[];
  readonly messages: readonly FetchedMessage[];
}

/** Sends one Fetch request for one partition to its leader. */
export type PartitionFetcher = (request: {
  readonly topic: string;
  readonly partition: number;
  readonly offset: Offset;
  readonly maxWaitMs: number;
  readonly maxBytes: number;
}) => Promise<FetchedPartition>;

export interface KafkaReaderTuning {
  /** A read that has not reached the end of its range after this long fails with a TransientError (default 30 s). */
  readonly readTimeoutMs?: number;
  /** How long the broker may hold a fetch while it has nothing past the position (default 500 ms). */
  readonly fetchMaxWaitMs?: number;
  /** Bytes per fetch (default 1 MiB). A record batch larger than this is still returned whole. */
  readonly fetchMaxBytes?: number;
  readonly sleep?: Sleep;
}

export interface KafkaSourceReaderOptions extends KafkaReaderTuning {
  readonly topic: string;
  readonly admin: () => Promise<KafkaAdmin>;
  readonly fetch: PartitionFetcher;
  readonly refreshMetadata?: () => Promise<void>;
}

export class KafkaSourceReader implements SourceReader {
  readonly topic: string;
  private readonly admin: () => Promise<KafkaAdmin>;
  private readonly fetchPartition: PartitionFetcher;
  private readonly refreshMetadata: () => Promise<void>;
  private readonly readTimeoutMs: number;
  private readonly fetchMaxWaitMs: number;
  private readonly fetchMaxBytes: number;
  private readonly sleep: Sleep;

  constructor(options: KafkaSourceReaderOptions) {
    this.topic = options.topic;
    this.admin = options.admin;
    this.fetchPartition = options.fetch;
    this.refreshMetadata = options.refreshMetadata ?? (async () => {});
    this.readTimeoutMs = options.readTimeoutMs ?? 30_000;
    this.fetchMaxWaitMs = options.fetchMaxWaitMs ?? 500;
    this.fetchMaxBytes = options.fetchMaxBytes ?? 1_048_576;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** The topic's partitions, from fresh metadata (a partition added to the topic shows at the next call). */
  /** Not retryable: the driver leaves the job FAILED with this reason at once. */
  private missingTopic(): string {
    return `source Kafka topic ${this.topic} does not exist on the cluster: create it, or fix the job's topic`;
  }

  async listPartitions(): Promise<PartitionInfo[]> {
    const admin = await this.admin();
    let metadata: Awaited<ReturnType<KafkaAdmin['fetchTopicMetadata']>>;
    try {
      metadata = await admin.fetchTopicMetadata({ topics: [this.topic] });
    } catch (error) {
      if (kafkaErrorType(error) === 'UNKNOWN_TOPIC_OR_PARTITION') {
        throw new NotFoundError(this.missingTopic(), { cause: error, context: { topic: this.topic } });
      }
      throw error;
    }
    const topic = metadata.topics.find((t) => t.name === this.topic);
    if (topic === undefined) throw new NotFoundError(this.missingTopic(), { context: { topic: this.topic } });
    return topic.partitions
      .map((p) => p.partitionId)
      .sort((a, b) => a - b)
      .map((id) => ({ id: String(id), parentIds: [], closed: false }));
  }

  /**
   * Fixes each range: start resolved to an offset, end = min(start + maxRecords, the
   * partition's last stable offset). See the header for data loss.
   */
  async fixRanges(requests: readonly RangeRequest[], options: { readonly failOnDataLoss: boolean }): Promise<FixedRange[]> {
    if (requests.length === 0) return [];
    for (const r of requests) {
      partitionNumber(r.partition);
      if (!Number.isSafeInteger(r.maxRecords) || r.maxRecords < 1) {
        throw new InvalidArgumentError(`maxRecords must be a positive integer, got ${r.maxRecords}`);
      }
    }
    const admin = await this.admin();
    const watermarks = new Map(
      (await admin.fetchTopicOffsets(this.topic)).map((w) => [String(w.partition), { low: BigInt(w.low), high: BigInt(w.high) }]),
    );
    const byTimestamp = new Map<number, Map<string, bigint>>();
    for (const r of requests) {
      if (r.start.type !== 'AT_TIMESTAMP' || byTimestamp.has(r.start.timestamp)) continue;
      const offsets = await admin.fetchTopicOffsetsByTimestamp(this.topic, r.start.timestamp);
      byTimestamp.set(r.start.timestamp, new Map(offsets.map((o) => [String(o.partition), BigInt(o.offset)])));
    }

    return requests.map(({ partition, start, maxRecords }) => {
      const context = { topic: this.topic, partition, start: describeStart(start) };
      const w = watermarks.get(partition);
      if (w === undefined) {
        throw new TransientError(`ListOffsets returned no offsets for partition ${partition} of topic ${this.topic}`, { context });
      }
      let from: bigint;
      switch (start.type) {
        case 'EARLIEST':
          from = w.low;
          break;
        case 'AFTER':
          from = BigInt(checkedOffset(start.offset)) + 1n;
          break;
        case 'AT_OFFSET':
          from = BigInt(checkedOffset(start.offset));
          break;
        case 'AT_TIMESTAMP': {
          const found = byTimestamp.get(start.timestamp)?.get(partition);
          if (found === undefined) {
            throw new TransientError(`ListOffsets by timestamp returned nothing for partition ${partition} of ${this.topic}`, { context });
          }
          // No record at or after the timestamp: the end (kafkajs reports -1 as the end it saw).
          from = found < 0n ? w.high : found < w.low ? w.low : found > w.high ? w.high : found;
          break;
        }
      }
      let skipped: { from: Offset; to: Offset } | undefined;
      if (from < w.low) {
        if (options.failOnDataLoss) {
          throw new DataLossError(
            `offsets ${from} to ${w.low} of partition ${partition} of Kafka topic ${this.topic} aged out of retention before they were read ` +
              `(the job allows no data loss: set failOnDataLoss: false on kafkaSource to skip them)`,
            { context: { ...context, offset: from.toString(), earliest: w.low.toString() } },
          );
        }
        skipped = { from: from.toString(), to: w.low.toString() };
        from = w.low;
      } else if (from > w.high) {
        // The partition's end is behind where the job is: the log was truncated (unclean
        // leader election) or the topic was deleted and created again.
        if (options.failOnDataLoss) {
          throw new DataLossError(
            `partition ${partition} of Kafka topic ${this.topic} ends at ${w.high}, before offset ${from} where the job continues: ` +
              `the log was truncated or the topic recreated (set failOnDataLoss: false on kafkaSource to continue from its end)`,
            { context: { ...context, offset: from.toString(), latest: w.high.toString() } },
          );
        }
        from = w.high;
      }
      const endBefore = minOffset(from + BigInt(maxRecords), w.high);
      return {
        partition,
        start: { type: 'AT_OFFSET', offset: from.toString() },
        endBefore: endBefore.toString(),
        endIsTail: endBefore === w.high,
        ...(skipped === undefined ? {} : { skipped }),
      };
    });
  }

  /**
   * Reads exactly the records at offsets in [start, endBefore) of one partition, in
   * order. Without `endBefore`, the range is fixed first (as fixRanges would, failing on
   * data loss) and capped at maxRecords offsets.
   */
  async read(request: ReadRequest): Promise<ReadResult> {
    const { partition } = request;
    const id = partitionNumber(partition);
    if (request.untilOffset !== undefined) {
      throw new InvalidArgumentError(`Kafka ranges are fixed at plan time (endBefore); untilOffset belongs to recorded ranges`);
    }
    checkReadBudget(request);
    let start: bigint;
    let endBefore: bigint;
    let endIsTail: boolean | null = null;
    if (request.endBefore === undefined) {
      const [fixed] = await this.fixRanges([{ partition, start: request.start, maxRecords: Math.max(1, request.maxRecords) }], {
        failOnDataLoss: true,
      });
      start = BigInt((fixed!.start as { offset: Offset }).offset);
      endBefore = request.maxRecords < 1 ? start : BigInt(fixed!.endBefore);
      endIsTail = fixed!.endIsTail && endBefore === BigInt(fixed!.endBefore);
    } else {
      endBefore = BigInt(checkedOffset(request.endBefore, 'endBefore'));
      start = startOffsetOf(request.start);
      if (endBefore < start) {
        throw new InvalidArgumentError(
          `the range ${describeStart(request.start)} to before ${request.endBefore} of partition ${partition} is inverted`,
        );
      }
    }
    const read = await this.readExact(id, start, endBefore, request.maxBytes);
    if (read.cut) return { records: read.records, caughtUp: false, closed: false, lagMs: null, more: true };
    return {
      records: read.records,
      caughtUp: endIsTail ?? read.reachedTail,
      closed: false,
      lagMs: (endIsTail ?? read.reachedTail) ? 0 : null,
    };
  }

  /**
   * The records of [start, endBefore), fetch after fetch; with maxBytes, only up to the
   * record whose value brings them to maxBytes (`cut` when that record is not the range's
   * last offset): the same record on every read, as a range's records never change.
   */
  private async readExact(
    partition: number,
    start: bigint,
    endBefore: bigint,
    maxBytes: number | undefined,
  ): Promise<{ records: SourceRecord[]; reachedTail: boolean; cut: boolean }> {
    const records: SourceRecord[] = [];
    let bytes = 0;
    const id = String(partition);
    const deadline = Date.now() + this.readTimeoutMs;
    let position = start;
    let reachedTail = false;
    let lastProblem = 'nothing';
    const timedOut = () =>
      new TransientError(
        `partition ${id} of Kafka topic ${this.topic}: read up to ${position} of the range [${start}, ${endBefore}) ` +
          `in ${this.readTimeoutMs} ms (last: ${lastProblem})`,
        { context: { topic: this.topic, partition: id, offset: position.toString(), endBefore: endBefore.toString() } },
      );
    while (position < endBefore) {
      if (Date.now() > deadline) throw timedOut();
      // A failed fetch is tried again (with fresh metadata: the leader may have moved) until
      // it succeeds, checkFetchError says it cannot, or the read's time is up.
      const fetched: FetchedPartition = await retry(
        async (attempt, bail) => {
          if (attempt > 1 && Date.now() > deadline) bail(timedOut());
          try {
            return await this.fetchPartition({
              topic: this.topic,
              partition,
              offset: position.toString(),
              maxWaitMs: this.fetchMaxWaitMs,
              maxBytes: this.fetchMaxBytes,
            });
          } catch (error) {
            await this.checkFetchError(error, id, position, start, endBefore).catch(bail);
            lastProblem = describeKafkaError(error);
            await this.refreshMetadata().catch(() => {});
            throw error;
          }
        },
        { attempts: Number.POSITIVE_INFINITY, baseDelayMs: 100, maxDelayMs: 2_000, clock: { sleep: this.sleep }, shouldRetry: () => true },
      );
      const taken = takeRange(fetched.messages, fetched.abortedTransactions ?? [], position, endBefore);
      for (const m of taken.messages) {
        const record = toSourceRecord(id, m);
        records.push(record);
        bytes += record.data.byteLength;
        if (maxBytes !== undefined && bytes >= maxBytes && BigInt(record.offset) + 1n < endBefore) {
          return { records, reachedTail: false, cut: true };
        }
      }
      const end = BigInt(stableEnd(fetched));
      reachedTail = end <= endBefore;
      if (taken.next > position) {
        position = taken.next;
      } else {
        // Nothing past the position: the broker's end is below the range's end (a new
        // leader catching up), or only empty batches were there. Ask again.
        lastProblem = `no records at ${position}; the partition's end is ${end}`;
        await this.sleep(50);
      }
    }
    return { records, reachedTail, cut: false };
  }

  /** Throws what a failed fetch means for the range, or returns when it is worth another attempt. */
  private async checkFetchError(error: unknown, partition: string, position: bigint, start: bigint, endBefore: bigint): Promise<void> {
    const type = kafkaErrorType(error);
    if (type === 'OFFSET_OUT_OF_RANGE') {
      const offsets = await (await this.admin()).fetchTopicOffsets(this.topic).catch(() => null);
      const low = offsets?.find((o) => String(o.partition) === partition)?.low;
      if (low !== undefined && position < BigInt(low)) {
        throw new DataLossError(
          `offsets ${position} to ${low} of partition ${partition} of Kafka topic ${this.topic} aged out of retention after the batch ` +
            `was planned, before the range [${start}, ${endBefore}) was read`,
          { cause: error, context: { topic: this.topic, partition, offset: position.toString(), earliest: low } },
        );
      }
      return;
    }
    if (error instanceof kafkajs.KafkaJSError && !error.retriable) throw error;
    if (!(error instanceof kafkajs.KafkaJSError) && !isNetworkError(error)) throw error;
  }
}

function toSourceRecord(partition: string, m: FetchedMessage): SourceRecord {
  const value = m.value;
  return {
    partition,
    offset: m.offset,
    key: m.key === null ? '' : m.key.toString('utf8'),
    data: value === null ? new Uint8Array(0) : new Uint8Array(value.buffer, value.byteOffset, value.byteLength),
    arrivalTimeMs: Number(m.timestamp),
  };
}

/** The end of the partition a read_committed fetch can reach: the last stable offset when the broker says. */
function stableEnd(fetched: FetchedPartition): string {
  const lso = fetched.lastStableOffset;
  return lso !== undefined && lso !== '-1' && BigInt(lso) >= 0n ? lso : fetched.highWatermark;
}

function startOffsetOf(start: StartPosition): bigint {
  if (start.type === 'AT_OFFSET') return BigInt(checkedOffset(start.offset));
  if (start.type === 'AFTER') return BigInt(checkedOffset(start.offset)) + 1n;
  throw new InvalidArgumentError(
    `a Kafka range with endBefore starts at an offset, not ${describeStart(start)}: fix it with fixRanges first`,
  );
}

function partitionNumber(partition: string): number {
  if (typeof partition !== 'string' || !PARTITION_ID.test(partition) || Number(partition) > 2_147_483_647) {
    throw new InvalidArgumentError(`a Kafka partition id is its number as a decimal string, got ${JSON.stringify(partition)}`);
  }
  return Number(partition);
}

function checkedOffset(value: unknown, what = 'offset'): Offset {
  if (!isOffset(value))
    throw new InvalidArgumentError(`${what} must be a non-negative decimal integer string, got ${JSON.stringify(value)}`);
  return value;
}

function kafkaErrorType(error: unknown): string | undefined {
  const type = (error as { type?: unknown } | null)?.type;
  return typeof type === 'string' ? type : undefined;
}

function describeKafkaError(error: unknown): string {
  if (error instanceof Error) return `${error.name}${kafkaErrorType(error) ? ` ${kafkaErrorType(error)}` : ''}: ${error.message}`;
  return String(error);
}

function isNetworkError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(ECONNRESET|ECONNREFUSED|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND)$/.test(code);
}
