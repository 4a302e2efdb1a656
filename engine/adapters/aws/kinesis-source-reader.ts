/**
 * Reads exact offset ranges of the shards of one Kinesis data stream. A partition is a
 * shard, an offset its 56-digit sequence number (compared as BigInt: compareOffsets).
 *
 * A read takes a shard iterator at the start position and pages through GetRecords until
 * it has `maxRecords`, spends its byte or time budget (`maxBytes`, `maxReadMs`: the
 * result then says `more`), reaches `untilOffset` (a recorded range: exactly up to it), reaches
 * the end of a closed shard (NextShardIterator is null), or reaches the tail: an empty page
 * with MillisBehindLatest 0. Real Kinesis can answer empty pages while the iterator is
 * still behind (gaps in the shard), so empty pages are followed, at most `maxEmptyPolls`
 * in a row. A non-empty page with MillisBehindLatest 0 is not taken as the tail:
 * kinesalite always answers 0. Nor is an empty one when the plan says the shard is
 * closed (`partitionClosed`): a closed shard can answer an empty page and a next iterator
 * before the page whose null iterator ends it (kinesalite does when the split came more
 * than a second after the shard's last record), and taking that page as the tail would
 * leave the shard unfinished and its children unread for ever.
 */
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  type GetRecordsCommandOutput,
  type GetShardIteratorCommandInput,
  type KinesisClient,
  type Shard,
} from '@aws-sdk/client-kinesis';
import { DataLossError, InvalidArgumentError, RangeMismatchError, TransientError } from '../../errors.js';
import { compareOffsets, describeStart, isOffset, type Offset, type StartPosition } from '../../protocol/offsets.js';
import {
  checkReadBudget,
  type PartitionInfo,
  type ReadRequest,
  type ReadResult,
  type SourceReader,
  type SourceRecord,
} from '../../ports/source-reader.js';
import { retry } from '../../retry.js';
import { isExpiredIterator, isThrottling, missingAs, retriedBySdk } from './aws-errors.js';
import { defaultSleep, type Sleep } from './dynamodb-util.js';
import type { ShardIteratorCache } from './shard-iterator-cache.js';

/** GetRecords returns at most 10,000 records per call. */
const GET_RECORDS_LIMIT = 10_000;

export interface KinesisSourceReaderOptions {
  readonly client: KinesisClient;
  readonly streamName: string;
  /** Empty pages in a row, while the shard is still behind, after which a read stops (default 10). */
  readonly maxEmptyPolls?: number;
  /** Wait between two empty pages (default 200 ms: a shard serves 5 GetRecords calls a second). */
  readonly emptyPollDelayMs?: number;
  /**
   * Attempts after an expired iterator, or after throttling the SDK did not retry itself
   * (a client built with maxAttempts 1): a throttle is retried by one of them, never by
   * both (engine/adapters/aws/clients.ts). Default 5.
   */
  readonly maxRetries?: number;
  readonly sleep?: Sleep;
  /**
   * A warm executor's iterators from earlier reads (shard-iterator-cache.ts): a read that
   * starts AFTER o takes the one a read ending at o left, instead of GetShardIterator.
   */
  readonly iterators?: ShardIteratorCache;
  /** The time an iterator is issued at, for the cache's expiry (default Date.now). */
  readonly now?: () => number;
}

export class KinesisSourceReader implements SourceReader {
  private readonly client: KinesisClient;
  private readonly streamName: string;
  private readonly maxEmptyPolls: number;
  private readonly emptyPollDelayMs: number;
  private readonly maxRetries: number;
  private readonly sleep: Sleep;
  private readonly iterators: ShardIteratorCache | undefined;
  private readonly now: () => number;

  constructor(options: KinesisSourceReaderOptions) {
    this.client = options.client;
    this.streamName = options.streamName;
    this.maxEmptyPolls = options.maxEmptyPolls ?? 10;
    this.emptyPollDelayMs = options.emptyPollDelayMs ?? 200;
    this.maxRetries = options.maxRetries ?? 5;
    this.sleep = options.sleep ?? defaultSleep;
    this.iterators = options.iterators;
    this.now = options.now ?? Date.now;
  }

  async listPartitions(): Promise<PartitionInfo[]> {
    const shards: Shard[] = [];
    const seen = new Set<string>();
    let nextToken: string | undefined;
    do {
      // With a NextToken, StreamName must not be sent. kinesalite ignores paging and answers everything at once.
      const page = await this.client
        .send(new ListShardsCommand(nextToken === undefined ? { StreamName: this.streamName } : { NextToken: nextToken }))
        .catch((error: unknown) => {
          throw missingAs(
            error,
            `source stream ${this.streamName} does not exist in this account and region: create it, or fix the job's streamName`,
            { stream: this.streamName },
          );
        });
      for (const shard of page.Shards ?? []) {
        if (shard.ShardId !== undefined && !seen.has(shard.ShardId)) {
          seen.add(shard.ShardId);
          shards.push(shard);
        }
      }
      nextToken = page.NextToken;
    } while (nextToken !== undefined);
    return shards.map((shard) => ({
      id: shard.ShardId!,
      parentIds: [shard.ParentShardId, shard.AdjacentParentShardId].filter((id): id is string => id !== undefined),
      closed: shard.SequenceNumberRange?.EndingSequenceNumber !== undefined,
      ...(shard.HashKeyRange?.StartingHashKey !== undefined && shard.HashKeyRange.EndingHashKey !== undefined
        ? { hashKeyRange: { start: shard.HashKeyRange.StartingHashKey, end: shard.HashKeyRange.EndingHashKey } }
        : {}),
    }));
  }

  async read(request: ReadRequest): Promise<ReadResult> {
    const { partition, start, maxRecords, untilOffset } = request;
    if (!Number.isInteger(maxRecords) || maxRecords < 0) {
      throw new InvalidArgumentError(`maxRecords must be a non-negative integer, got ${maxRecords}`);
    }
    if (untilOffset !== undefined && !isOffset(untilOffset)) {
      throw new InvalidArgumentError(`untilOffset must be an offset, got ${JSON.stringify(untilOffset)}`);
    }
    checkReadBudget(request);
    const { maxBytes, maxReadMs } = request;
    const context = { stream: this.streamName, partition, start: describeStart(start), untilOffset: untilOffset ?? null };
    const records: SourceRecord[] = [];
    const startedAtMs = this.now();
    let bytes = 0;
    // The read stopped at its byte or time budget (maxBytes, maxReadMs).
    let budgetSpent = false;
    let lagMs: number | null = null;
    let caughtUp = false;
    let closed = false;
    let reachedUntil = false;
    let emptyPolls = 0;
    let iterator: string | undefined = maxRecords > 0 ? await this.firstIterator(partition, start) : undefined;
    // Whether `iterator` points just after the last record returned (or the start): false once a page is cut.
    let iteratorAtEnd = true;
    let issuedAtMs = 0;

    while (iterator !== undefined && records.length < maxRecords && !reachedUntil && !budgetSpent) {
      if (maxReadMs !== undefined && records.length > 0 && this.now() - startedAtMs >= maxReadMs) {
        budgetSpent = true;
        break;
      }
      issuedAtMs = this.now();
      const page: GetRecordsCommandOutput = await this.getRecords(iterator, maxRecords - records.length, partition, start, records);
      if (page.MillisBehindLatest !== undefined) lagMs = page.MillisBehindLatest;
      const fetched = (page.Records ?? []).map((r) => ({
        partition,
        offset: r.SequenceNumber!,
        key: r.PartitionKey ?? '',
        data: r.Data ?? new Uint8Array(),
        arrivalTimeMs: r.ApproximateArrivalTimestamp?.getTime() ?? 0,
      }));
      let consumedAll = true;
      for (const [i, record] of fetched.entries()) {
        const last = records[records.length - 1];
        if (last !== undefined && compareOffsets(record.offset, last.offset) <= 0) {
          throw new RangeMismatchError(`shard ${partition} returned ${record.offset} after ${last.offset}`, { context });
        }
        if (untilOffset !== undefined && compareOffsets(record.offset, untilOffset) > 0) {
          throw new DataLossError(
            `record ${untilOffset} of shard ${partition} is gone: the shard went from ${last?.offset ?? describeStart(start)} to ${record.offset}`,
            { context },
          );
        }
        records.push(record);
        bytes += record.data.byteLength;
        if (untilOffset !== undefined && record.offset === untilOffset) reachedUntil = true;
        if (maxBytes !== undefined && bytes >= maxBytes) budgetSpent = true;
        if (reachedUntil || records.length >= maxRecords || budgetSpent) {
          consumedAll = i === fetched.length - 1;
          break;
        }
      }
      iterator = page.NextShardIterator ?? undefined;
      if (!consumedAll) {
        iteratorAtEnd = false;
        break;
      }
      if (iterator === undefined) {
        closed = true;
        caughtUp = true;
      } else if (fetched.length === 0) {
        // At the tail, unless the shard is closed: then only a null iterator ends it.
        if (page.MillisBehindLatest === 0 && !request.partitionClosed) {
          caughtUp = true;
          break;
        }
        emptyPolls += 1;
        if (emptyPolls >= this.maxEmptyPolls) break;
        await this.sleep(this.emptyPollDelayMs);
      } else {
        emptyPolls = 0;
      }
    }

    if (untilOffset !== undefined && !reachedUntil) {
      const why = closed
        ? 'the shard ended'
        : caughtUp
          ? 'the shard has nothing more'
          : records.length >= maxRecords
            ? `the cap of ${maxRecords} records was reached`
            : `${this.maxEmptyPolls} empty pages in a row`;
      throw new RangeMismatchError(
        `could not read shard ${partition} of ${this.streamName} up to ${untilOffset}: ${why} after ${records.length} records`,
        { context },
      );
    }
    if (iterator !== undefined && iteratorAtEnd) this.keepIterator(partition, start, records.at(-1)?.offset, iterator, issuedAtMs);
    const more = budgetSpent && !caughtUp && !closed && records.length < maxRecords;
    return { records, caughtUp, closed, lagMs, ...(more ? { more } : {}) };
  }

  /** A kept iterator when the read starts AFTER an offset a previous read ended at; otherwise GetShardIterator. */
  private async firstIterator(partition: string, start: StartPosition): Promise<string | undefined> {
    const kept = start.type === 'AFTER' ? this.iterators?.take(this.streamName, partition, start.offset) : undefined;
    return kept ?? this.iteratorAt(partition, start);
  }

  /** Keeps the iterator a read ended with, under the offset it reads after: the last record's, or an AFTER start's. */
  private keepIterator(
    partition: string,
    start: StartPosition,
    lastOffset: Offset | undefined,
    iterator: string,
    issuedAtMs: number,
  ): void {
    const after = lastOffset ?? (start.type === 'AFTER' ? start.offset : undefined);
    if (after !== undefined) this.iterators?.put(this.streamName, partition, after, iterator, issuedAtMs);
  }

  private async iteratorAt(partition: string, start: StartPosition): Promise<string | undefined> {
    const input = iteratorRequest(this.streamName, partition, start);
    const { ShardIterator } = await this.withRetries(partition, () => this.client.send(new GetShardIteratorCommand(input))).catch(
      (error: unknown) => {
        throw this.missingShard(error, partition);
      },
    );
    return ShardIterator;
  }

  /** A not-found answer for a shard's iterator or records: the stream or the shard is gone (NotFoundError, not retryable). */
  private missingShard(error: unknown, partition: string): unknown {
    return missingAs(
      error,
      `source stream ${this.streamName} or its shard ${partition} does not exist in this account and region (deleted, ` +
        `or the shard aged out of its retention): create the stream, or fix the job's streamName`,
      { stream: this.streamName, partition },
    );
  }

  /** One GetRecords call; on an expired iterator, a fresh one from the last offset read (or the start). */
  private async getRecords(
    iterator: string,
    remaining: number,
    partition: string,
    start: StartPosition,
    read: readonly SourceRecord[],
  ): Promise<GetRecordsCommandOutput> {
    let current = iterator;
    return this.withRetries(partition, async () => {
      try {
        return await this.client.send(new GetRecordsCommand({ ShardIterator: current, Limit: Math.min(GET_RECORDS_LIMIT, remaining) }));
      } catch (error) {
        if (isExpiredIterator(error)) {
          const last: Offset | undefined = read[read.length - 1]?.offset;
          const fresh = await this.iteratorAt(partition, last === undefined ? start : { type: 'AFTER', offset: last });
          if (fresh !== undefined) current = fresh;
        }
        throw error;
      }
    }).catch((error: unknown) => {
      throw this.missingShard(error, partition);
    });
  }

  private withRetries<T>(partition: string, call: () => Promise<T>): Promise<T> {
    return retry(call, {
      attempts: this.maxRetries + 1,
      baseDelayMs: 100,
      maxDelayMs: 5_000,
      clock: { sleep: this.sleep },
      shouldRetry: (error) => isExpiredIterator(error) || (isThrottling(error) && !retriedBySdk(error)),
      onExhausted: (error, attempts) =>
        new TransientError(`Kinesis ${(error as Error).name} on shard ${partition} of ${this.streamName} after ${attempts} attempts`, {
          cause: error,
          context: { stream: this.streamName, partition },
        }),
    });
  }
}

function iteratorRequest(streamName: string, shardId: string, start: StartPosition): GetShardIteratorCommandInput {
  const base = { StreamName: streamName, ShardId: shardId };
  switch (start.type) {
    case 'EARLIEST':
      return { ...base, ShardIteratorType: 'TRIM_HORIZON' };
    case 'AT_TIMESTAMP':
      return { ...base, ShardIteratorType: 'AT_TIMESTAMP', Timestamp: new Date(start.timestamp) };
    case 'AFTER':
      return { ...base, ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', StartingSequenceNumber: start.offset };
    case 'AT_OFFSET':
      return { ...base, ShardIteratorType: 'AT_SEQUENCE_NUMBER', StartingSequenceNumber: start.offset };
  }
}
