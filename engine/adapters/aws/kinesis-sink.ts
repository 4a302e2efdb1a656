/**
 * The Kinesis sink: at-least-once, every record with a deterministic id
 * (engine/sinks/kinesis-records.ts has the record format and the consumer's dedupe rule).
 *
 * A write puts one record per row key with PutRecords (kinesis-producer.ts putAllRecords):
 * chunks of at most 500 records and 5 MiB; the records a response reports as failed
 * (FailedRecordCount, a per-record ErrorCode: ProvisionedThroughputExceededException or
 * InternalFailure) are sent again, and only they, with exponential backoff, before any
 * later chunk. When they keep failing the write throws TransientError and the batch is
 * retried, putting every record again: duplicates with the same ids. A call that fails as
 * a whole has been retried by the SDK already (clients.ts) and fails the batch the same way.
 *
 * Which crashes lead to duplicates:
 *   - a retry after a partial write: a write that put some chunks (or some records of a
 *     chunk) and then failed, or an executor that died after its write and before the
 *     commit, is run again and appends the records it had already put;
 *   - a zombie: an executor that the driver gave up on (a Lambda timeout) still puts its
 *     records, possibly after the next batch's, so an older version of a row can follow a
 *     newer one in the shard;
 *   - a replay appends the replayed batches' records under a higher generation.
 * In every case a duplicate carries the id of the first copy, and the (generation, batch)
 * in each record tells the consumer which version of a row is newest.
 *
 * A row that no record can carry (over 1 MiB with its envelope) is refused for good and
 * becomes a dead letter (the write's `rejected`): it never blocks the partition.
 *
 * `get` and `scan` read the whole stream from its trim horizon (for tests and checks, not
 * the hot path; the executors are granted kinesis:PutRecords only); `records()` gives the
 * raw records, duplicates included, read as the Kafka sink reads its topic
 * (engine/sinks/stream-sink-readback.ts).
 */
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { Sink, SinkRow, SinkWrite, SinkWriteResult, StoredRow } from '../../ports/sink.js';
import { dedupedView, kinesisRecordsOf, writeResultOf, type KinesisSinkEnvelope } from '../../sinks/kinesis-records.js';
import { readSinkEnvelopes } from '../../sinks/stream-sink-readback.js';
import type { Sleep } from './dynamodb-util.js';
import { putAllRecords } from './kinesis-producer.js';
import { KinesisSourceReader } from './kinesis-source-reader.js';

export interface KinesisSinkOptions {
  readonly client: KinesisClient;
  readonly streamName: string;
  readonly partitionKey?: (row: SinkRow) => string;
  readonly sleep?: Sleep;
}

export class KinesisSink implements Sink {
  private readonly client: KinesisClient;
  private readonly streamName: string;
  private readonly partitionKey: ((row: SinkRow) => string) | undefined;
  private readonly sleep: Sleep | undefined;

  constructor(options: KinesisSinkOptions) {
    this.client = options.client;
    this.streamName = options.streamName;
    this.partitionKey = options.partitionKey;
    this.sleep = options.sleep;
  }

  async write(request: SinkWrite): Promise<SinkWriteResult> {
    const { records, rejected } = kinesisRecordsOf(request, this.partitionKey);
    if (records.length > 0) {
      await putAllRecords(
        this.client,
        this.streamName,
        records.map((r) => ({ key: r.partitionKey, data: r.data })),
        this.sleep === undefined ? {} : { sleep: this.sleep },
      );
    }
    return writeResultOf(request, rejected);
  }

  async get(key: string): Promise<StoredRow | null> {
    return (await this.scan()).find((row) => row.key === key) ?? null;
  }

  async scan(): Promise<StoredRow[]> {
    return dedupedView(await this.records());
  }

  /** Every record of this sink in the stream, shard by shard in sequence order: duplicates included. */
  async records(): Promise<KinesisSinkEnvelope[]> {
    return readSinkEnvelopes(
      new KinesisSourceReader({
        client: this.client,
        streamName: this.streamName,
        maxEmptyPolls: 3,
        emptyPollDelayMs: 50,
        ...(this.sleep === undefined ? {} : { sleep: this.sleep }),
      }),
    );
  }
}
