import type { EnginePorts, Logger } from '../../ports/index.js';
import type { FileSinkSpec, KafkaSinkSpec, KinesisSinkSpec, Sink, SinkSpec, UserSinkSpec } from '../../ports/sink.js';
import type { SourceSpec } from '../../ports/source-reader.js';
import { BlobStateStore } from '../../state/blob-state-store.js';
import { BlobExchangeStore } from '../../state/exchange-store.js';
import { BlobLookupRecordStore } from '../../state/lookup-record-store.js';
import { ManualClock } from './manual-clock.js';
import { MemoryBlobStore } from './memory-blob-store.js';
import { MemoryDeadLetterQueue } from './memory-dead-letter-queue.js';
import { MemoryFileSinks } from './memory-file-sink.js';
import { MemoryJobTargets } from './memory-job-targets.js';
import { MemoryLookupTables } from './memory-lookup-tables.js';
import { MemoryKafkaSink } from './memory-kafka-sink.js';
import { MemoryKinesisSink } from './memory-kinesis-sink.js';
import { MemorySink } from './memory-sink.js';
import { MemorySource } from './memory-source.js';
import { MemoryUserSink } from './memory-user-sink.js';
import { MemoryWriteAheadLog } from './memory-write-ahead-log.js';

export { ManualClock, MemoryBlobStore, MemoryDeadLetterQueue, MemoryLookupTables, MemorySink, MemorySource, MemoryWriteAheadLog };
export { MemoryKafkaSink, MemoryKinesisSink, MemoryUserSink };
export { MemoryFileSinks };
export { MemoryJobTargets };

export interface MemoryPorts extends EnginePorts {
  readonly wal: MemoryWriteAheadLog;
  readonly blobs: MemoryBlobStore;
  /** The streams of kinesis and memory sources: Kinesis-like offsets, ranges recorded by the executor. */
  readonly source: MemorySource;
  /** The topics of kafka sources: offsets 0, 1, 2... per partition, ranges fixed at plan time (the memory twin of Kafka). */
  readonly kafka: MemorySource;
  /** The memory source a spec reads from, and the name of its stream there. */
  memorySourceOf(spec: SourceSpec): { readonly source: MemorySource; readonly name: string };
  readonly deadLetters: MemoryDeadLetterQueue;
  readonly clock: ManualClock;
  /**
   * The sink of a spec, created on first use (memory and dynamodb specs alike, keyed by
   * name). A kinesis spec gets the Kinesis sink's memory twin (every put recorded,
   * duplicates included), by stream name; a user spec the user sink around its function,
   * recording every call, by sink name. A kafka spec gets the Kafka sink's memory twin
   * (every message sent recorded, duplicates included), by topic.
   */
  sink(spec: KinesisSinkSpec): MemoryKinesisSink;
  sink(spec: KafkaSinkSpec): MemoryKafkaSink;
  sink(spec: UserSinkSpec): MemoryUserSink;
  sink(spec: Exclude<SinkSpec, KinesisSinkSpec | KafkaSinkSpec | UserSinkSpec | FileSinkSpec>): MemorySink;
  sink(spec: SinkSpec): Sink;
  /** The file sinks and their buckets (a spec without a bucket writes to `blobs`, the checkpoint bucket). */
  readonly files: MemoryFileSinks;
  /** The lookup tables, by table name: a test puts and changes their items (`lookups.put('customers', [...])`). */
  readonly lookups: MemoryLookupTables;
  /** What the jobs API checks before a start: the streams, topics and lookup tables above. */
  readonly targets: MemoryJobTargets;
}

export const silentLogger: Logger = { info: () => {}, warn: () => {}, error: () => {} };

/** Every port in memory: for unit tests, scenario tests and the job test harness. */
export function createMemoryPorts(options: { clock?: ManualClock; logger?: Logger } = {}): MemoryPorts {
  const clock = options.clock ?? new ManualClock();
  const blobs = new MemoryBlobStore();
  const source = new MemorySource({ now: () => clock.now() });
  const kafka = new MemorySource({ now: () => clock.now(), fixedRanges: true, firstOffset: 0n, offsetStep: 1n });
  const memorySourceOf = (spec: SourceSpec) =>
    spec.type === 'kafka' ? { source: kafka, name: spec.topic } : { source, name: spec.streamName };
  const sinks = new Map<string, MemorySink>();
  const files = new MemoryFileSinks(blobs);
  const streamSinks = new Map<string, MemoryKinesisSink>();
  const userSinks = new Map<string, MemoryUserSink>();
  const topicSinks = new Map<string, MemoryKafkaSink>();
  const sink = ((spec: SinkSpec): Sink => {
    if (spec.type === 'kafka') {
      let s = topicSinks.get(spec.topic);
      if (s === undefined) {
        s = new MemoryKafkaSink({
          ...(spec.key === undefined ? {} : { key: spec.key }),
          ...(spec.maxMessageBytes === undefined ? {} : { maxMessageBytes: spec.maxMessageBytes }),
        });
        topicSinks.set(spec.topic, s);
      }
      return s;
    }
    if (spec.type === 'kinesis') {
      let s = streamSinks.get(spec.streamName);
      if (s === undefined) {
        s = new MemoryKinesisSink(spec.partitionKey);
        streamSinks.set(spec.streamName, s);
      }
      return s;
    }
    if (spec.type === 'user') {
      let s = userSinks.get(spec.name);
      if (s === undefined || s.spec.write !== spec.write) {
        s = new MemoryUserSink(spec);
        userSinks.set(spec.name, s);
      }
      return s;
    }
    if (spec.type === 's3files') return files.sink(spec);
    const name = spec.type === 'memory' ? spec.name : spec.tableName;
    let s = sinks.get(name);
    if (s === undefined) {
      s = new MemorySink();
      sinks.set(name, s);
    }
    return s;
  }) as MemoryPorts['sink'];
  const lookups = new MemoryLookupTables();
  return {
    wal: new MemoryWriteAheadLog(),
    blobs,
    state: new BlobStateStore(blobs),
    exchange: new BlobExchangeStore(blobs),
    deadLetters: new MemoryDeadLetterQueue(),
    source,
    kafka,
    memorySourceOf,
    sources: (spec: SourceSpec) => {
      const { source: memory, name } = memorySourceOf(spec);
      return memory.reader(name);
    },
    sinks: (spec: SinkSpec): Sink => sink(spec),
    sink,
    files,
    lookups,
    lookupTables: (spec) => lookups.table(spec),
    targets: new MemoryJobTargets({ streams: source, topics: kafka, lookups }),
    lookupRecords: new BlobLookupRecordStore(blobs),
    clock,
    logger: options.logger ?? silentLogger,
  };
}
