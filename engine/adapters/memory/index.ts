import type { EnginePorts, Logger } from '../../ports/index.js';
import type { Sink, SinkSpec } from '../../ports/sink.js';
import type { SourceSpec } from '../../ports/source-reader.js';
import { BlobStateStore } from '../../state/blob-state-store.js';
import { ManualClock } from './manual-clock.js';
import { MemoryBlobStore } from './memory-blob-store.js';
import { MemoryDeadLetterQueue } from './memory-dead-letter-queue.js';
import { MemorySink } from './memory-sink.js';
import { MemorySource } from './memory-source.js';
import { MemoryWriteAheadLog } from './memory-write-ahead-log.js';

export { ManualClock, MemoryBlobStore, MemoryDeadLetterQueue, MemorySink, MemorySource, MemoryWriteAheadLog };

export interface MemoryPorts extends EnginePorts {
  readonly wal: MemoryWriteAheadLog;
  readonly blobs: MemoryBlobStore;
  readonly source: MemorySource;
  readonly deadLetters: MemoryDeadLetterQueue;
  readonly clock: ManualClock;
  /** The sink of a spec, created on first use (memory and dynamodb specs alike, keyed by name). */
  sink(spec: SinkSpec): MemorySink;
}

export const silentLogger: Logger = { info: () => {}, warn: () => {}, error: () => {} };

/** Every port in memory: for unit tests, scenario tests and the job test harness. */
export function createMemoryPorts(options: { clock?: ManualClock; logger?: Logger } = {}): MemoryPorts {
  const clock = options.clock ?? new ManualClock();
  const blobs = new MemoryBlobStore();
  const source = new MemorySource({ now: () => clock.now() });
  const sinks = new Map<string, MemorySink>();
  const sink = (spec: SinkSpec): MemorySink => {
    const name = spec.type === 'memory' ? spec.name : spec.tableName;
    let s = sinks.get(name);
    if (s === undefined) {
      s = new MemorySink();
      sinks.set(name, s);
    }
    return s;
  };
  return {
    wal: new MemoryWriteAheadLog(),
    blobs,
    state: new BlobStateStore(blobs),
    deadLetters: new MemoryDeadLetterQueue(),
    source,
    sources: (spec: SourceSpec) => source.reader(spec.streamName),
    sinks: (spec: SinkSpec): Sink => sink(spec),
    sink,
    clock,
    logger: options.logger ?? silentLogger,
  };
}

