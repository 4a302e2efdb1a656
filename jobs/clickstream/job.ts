import { CLICKSTREAM_JOB } from './settings.js';
import { count, defineJob, dynamoDbSink, kinesisSink, kinesisSource, s3FileSink, tumbling, type JobSource } from '#sluice/job';

export { CLICKSTREAM_JOB };

/** What every sink builder of #sluice/job returns. */
type SinkSpec = ReturnType<typeof dynamoDbSink>;

interface Click {
  readonly page: string;
  readonly user?: string;
  readonly ts: number;
}

/** Views per page per 10-second window of event time, with 30 s of allowed lateness. */
export interface ClickstreamJobOverrides {
  readonly name?: string;
  readonly maxRecordsPerPartition?: number;
  readonly streamName?: string;
  /** Read another source instead of the Kinesis stream (e.g. kafkaSource({ topic: 'clickstream' })); streamName is then unused. */
  readonly source?: JobSource;
  readonly sinkTable?: string;
  /** How rows go to the sink table: 'transactions' (the default) or conditional 'puts' (half the WRU; docs/sinks/README.md). */
  readonly sinkWrites?: 'transactions' | 'puts';
  /** Write Parquet files under this prefix of the checkpoint bucket (s3FileSink) instead of the DynamoDB table. */
  readonly sinkFiles?: string;
  /** Write the rows as records of this Kinesis stream (kinesisSink: at least once, deterministic ids) instead of the table. */
  readonly sinkStream?: string;
  /** Write the rows to this sink (a Kafka topic, a user sink...) instead of the table. */
  readonly sink?: SinkSpec;
  readonly checkpoint?: { snapshotEvery: number; retainBatches: number };
  /**
   * Count per page (the default: every page's views come on every partition, so they meet
   * in key groups), or per user (the stream's partition key, so `keyedBy: 'partitionKey'`
   * may skip the exchange; the benchmark compares the two).
   */
  readonly groupBy?: 'page' | 'user';
  readonly keyedBy?: 'partitionKey';
}

export function clickstreamJob(overrides: ClickstreamJobOverrides = {}) {
  return defineJob({
    name: overrides.name ?? 'page-views',
    version: 1,
    source:
      overrides.source ?? kinesisSource({ streamName: overrides.streamName ?? CLICKSTREAM_JOB.streamName, startingPosition: 'EARLIEST' }),
    decode: 'json',
    pipeline: (events) =>
      events
        .map((e: Partial<Click>): Click => {
          if (typeof e.page !== 'string' || typeof e.ts !== 'number') throw new TypeError('a click needs a page and a ts');
          return { page: e.page, user: e.user ?? '', ts: e.ts };
        })
        .withWatermark((e) => e.ts, { allowedLatenessMs: CLICKSTREAM_JOB.allowedLatenessMs })
        .keyBy((e) => (overrides.groupBy === 'user' ? e.user! : e.page))
        .window(tumbling({ sizeMs: CLICKSTREAM_JOB.windowMs }))
        .aggregate(count()),
    sink:
      overrides.sink ??
      (overrides.sinkFiles !== undefined
        ? s3FileSink({ prefix: overrides.sinkFiles, format: 'parquet' })
        : overrides.sinkStream !== undefined
          ? kinesisSink({ streamName: overrides.sinkStream })
          : dynamoDbSink({
              tableName: overrides.sinkTable ?? CLICKSTREAM_JOB.sinkTable,
              ...(overrides.sinkWrites === undefined ? {} : { writes: overrides.sinkWrites }),
            })),
    outputMode: 'update',
    trigger: { type: 'availableNow' },
    maxRecordsPerPartition: overrides.maxRecordsPerPartition ?? CLICKSTREAM_JOB.maxRecordsPerPartition,
    checkpoint: overrides.checkpoint ?? { snapshotEvery: 10, retainBatches: 100 },
    ...(overrides.keyedBy === undefined ? {} : { keyedBy: overrides.keyedBy }),
  });
}
