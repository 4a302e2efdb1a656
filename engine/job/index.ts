/**
 * The job API: what users write jobs with.
 *
 *   export const pageViews = defineJob({
 *     name: 'page-views',
 *     version: 1,
 *     source: kinesisSource({ streamName: 'clicks' }),
 *     pipeline: (events) => events
 *       .filter((e) => e.type === 'view')
 *       .withWatermark((e) => e.ts, { allowedLatenessMs: 10_000 })
 *       .keyBy((e) => e.page)
 *       .window(tumbling({ sizeMs: 60_000 }))
 *       .aggregate(count()),
 *     sink: dynamoDbSink({ tableName: 'page-views' }),
 *   });
 */
export { defineJob, JOB_DEFAULTS, type JobSpec, type PipelineInputOf } from './define-job.js';
export {
  kinesisSource,
  kafkaSource,
  memorySource,
  dynamoDbSink,
  memorySink,
  kinesisSink,
  kafkaSink,
  userSink,
  type SourceOptions,
  type KafkaSourceOptions,
  type DynamoDbSinkOptions,
  type KinesisSinkOptions,
  type KafkaSinkOptions,
  type UserSinkOptions,
} from './connectors.js';
export { SinkRejectedError } from '../sinks/sink-rejected-error.js';
export { idempotentHttpSink, idempotencyKeyOf, type IdempotentHttpSinkOptions } from '../sinks/idempotent-http-sink.js';
export type { UserSinkBatch } from '../ports/sink.js';
export { s3FileSink, type S3FileSinkOptions } from './file-sink-spec.js';
export type { Decode, DecodeName } from './decode.js';
export { Stream, KeyedStream, WindowedStream, AggregatedStream, OperatorStream, type PipelineEnd } from './stream.js';
export { dynamoDbTable, type LookupJoin, type LookupOptions, type LookupTableRef } from './lookup.js';
export { tumbling, sliding, session, type TumblingWindow, type SlidingWindow, type SessionWindow, type WindowSpec } from './windows.js';
export { count, sum, min, max, reduce, type Aggregate, type AggregateSpec } from './aggregates.js';
export {
  valueState,
  listState,
  mapState,
  type ValueState,
  type ListState,
  type MapState,
  type StateOptions,
} from './process/state-descriptors.js';
export type { ProcessFunction } from './process/process-function.js';
export type { ProcessContext, EmitOptions } from './process/context.js';
export type { Timer, TimeDomain, TimerService } from './process/timers.js';
export type {
  JobDefinition,
  JobSource,
  CompiledPipeline,
  PipelineInput,
  PipelineOutcome,
  RecordFailure,
  KeyedState,
  Trigger,
  OutputMode,
  KeyedBy,
  LateRecordsOutput,
  CheckpointSettings,
  StateMigration,
  DeadLetterLimit,
} from './types.js';
