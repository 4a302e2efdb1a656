/**
 * The latency benchmark's job: a running count per key over all time, whose sink row also
 * carries the highest sequence number and the newest production time it has seen. Each
 * record is `{ k, s, t }`: its key, its sequence number within the key (1, 2, 3...) and
 * the epoch ms it was produced at. Records of one key land on one shard, in order, so a
 * row holding count c means records 1..c of the key are in the sink: the poller turns
 * row versions into a visible time per record. count = seq on every row seen is the
 * exactly-once check (a record counted twice makes count > seq, a lost one count < seq).
 */
import type { JobCatalog } from '../../engine/driver/catalog.js';
import { JobSpecError } from '../../engine/errors.js';
import { count, defineJob, dynamoDbSink, kinesisSource, max } from '../../engine/job/index.js';
import type { JobDefinition } from '../../engine/job/types.js';

export const LATENCY_JOB_NAME = 'latency-counts';

export interface LatencyRecord {
  readonly k: string;
  readonly s: number;
  readonly t: number;
}

/** What the sink row of a key holds. */
export interface LatencyRow {
  readonly count: number;
  readonly seq: number;
  readonly newest: number;
}

export interface LatencyJobSettings {
  readonly streamName: string;
  readonly sinkTable: string;
  readonly intervalMs: number;
  /** null: the job sets none, and gets the default for its trigger (engine/job/rate-limit.ts). */
  readonly maxRecordsPerPartition: number | null;
}

export function latencyJob(settings: LatencyJobSettings): JobDefinition {
  return defineJob({
    name: LATENCY_JOB_NAME,
    version: 1,
    source: kinesisSource({ streamName: settings.streamName, startingPosition: 'EARLIEST' }),
    decode: 'json',
    pipeline: (events) =>
      events
        .map((e: Partial<LatencyRecord>): LatencyRecord => {
          if (typeof e.k !== 'string' || typeof e.s !== 'number' || typeof e.t !== 'number')
            throw new TypeError('a record needs k, s and t');
          return { k: e.k, s: e.s, t: e.t };
        })
        .keyBy((e) => e.k)
        .aggregate({ count: count(), seq: max((e: LatencyRecord) => e.s), newest: max((e: LatencyRecord) => e.t) }),
    sink: dynamoDbSink({ tableName: settings.sinkTable }),
    outputMode: 'update',
    trigger: { type: 'interval', intervalMs: settings.intervalMs },
    ...(settings.maxRecordsPerPartition === null ? {} : { maxRecordsPerPartition: settings.maxRecordsPerPartition }),
    checkpoint: { snapshotEvery: 10, retainBatches: 100 },
  });
}

/** The catalog the benchmark's driver resolves its job instances from. */
export const latencyCatalog: JobCatalog = {
  [LATENCY_JOB_NAME]: {
    description: 'running count, highest sequence number and newest production time per key (the latency benchmark)',
    create: (p) => {
      const { streamName, sinkTable, intervalMs, maxRecordsPerPartition } = p;
      if (typeof streamName !== 'string' || typeof sinkTable !== 'string' || typeof intervalMs !== 'number') {
        throw new JobSpecError(`${LATENCY_JOB_NAME} needs streamName, sinkTable and intervalMs`, {
          context: { jobName: LATENCY_JOB_NAME },
        });
      }
      return latencyJob({
        streamName,
        sinkTable,
        intervalMs,
        maxRecordsPerPartition: typeof maxRecordsPerPartition === 'number' ? maxRecordsPerPartition : null,
      });
    },
  },
};
