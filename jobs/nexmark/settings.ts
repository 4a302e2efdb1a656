/**
 * What every NEXMark query job shares: the parameters of Beam's NexmarkConfiguration the
 * queries use, and one way to build a query job on the `nexmark` stream.
 */
import {
  defineJob,
  dynamoDbSink,
  kinesisSource,
  type JobDefinition,
  type JobSpec,
  type OutputMode,
  type PipelineEnd,
  type Stream,
} from '#sluice/job';
import type { NexmarkEvent } from './model.js';

export const NEXMARK = {
  streamName: 'nexmark',
  /** Beam's windowSizeSec (10): q3's join bound is derived apart, q5, q7, q8 windows and q11's session gap. */
  windowSizeMs: 10_000,
  /** Beam's windowPeriodSec (5): q5's slide. */
  windowPeriodMs: 5_000,
  /** Beam's auctionSkip (123): q2 keeps bids whose auction id is a multiple of it (Flink SQL q2's MOD(auction, 123) = 0). */
  auctionSkip: 123,
  /** Flink SQL q1's rate (dollars to euros): price * 0.908. */
  dollarToEuro: 0.908,
  /** q3's category and states (Beam Query3). */
  q3Category: 10,
  q3States: ['OR', 'ID', 'CA'] as readonly string[],
  /**
   * The watermark's delay. The generator's event times never decrease, so only the spread
   * between partitions read in one batch can make a value late; the queries' checks
   * assert that no record was.
   */
  allowedLatenessMs: 5_000,
  /** Beam's firstEventRate default: events per second of event time. */
  eventsPerSecond: 10_000,
  maxRecordsPerPartition: 10_000,
} as const;

export interface NexmarkJobOptions {
  /** Job name (default `nexmark-<query>`). */
  readonly name?: string;
  readonly streamName?: string;
  /** Sink table (default the job's name). */
  readonly sinkTable?: string;
  readonly maxRecordsPerPartition?: number;
  /** The generator's rate: q3's join bound is a number of events, so its time depends on it. */
  readonly eventsPerSecond?: number;
}

/** A query job: the nexmark stream as JSON events, the query's pipeline, a DynamoDB sink (or `sink`), available-now. */
export function nexmarkJob(
  query: string,
  options: NexmarkJobOptions,
  pipeline: (events: Stream<NexmarkEvent>) => PipelineEnd,
  outputMode: OutputMode = 'update',
  sink?: JobSpec<NexmarkEvent>['sink'],
): JobDefinition {
  const name = options.name ?? `nexmark-${query}`;
  return defineJob<NexmarkEvent>({
    name,
    version: 1,
    source: kinesisSource({ streamName: options.streamName ?? NEXMARK.streamName, startingPosition: 'EARLIEST' }),
    decode: 'json',
    pipeline,
    sink: sink ?? dynamoDbSink({ tableName: options.sinkTable ?? name }),
    outputMode,
    trigger: { type: 'availableNow' },
    maxRecordsPerPartition: options.maxRecordsPerPartition ?? NEXMARK.maxRecordsPerPartition,
    checkpoint: { snapshotEvery: 10, retainBatches: 100 },
  });
}

/** The events with their event time declared: every windowed or joined query starts here. */
export const timed = (events: Stream<NexmarkEvent>): Stream<NexmarkEvent> =>
  events.withWatermark((e) => e.dateTime, { allowedLatenessMs: NEXMARK.allowedLatenessMs });
