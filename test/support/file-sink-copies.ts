/**
 * The world of the file-sink replay tests (test/unit/replay/file-sink-into.test.ts,
 * test/scenario/file-sink-replay-memory.test.ts), on the memory adapters: six batches'
 * worth of events on one shard, every third not ok, and a job that copies them into a
 * file sink, every event in its first logic and only the ok ones in its fixed logic.
 */
import { createMemoryPorts, type MemoryPorts } from '../../engine/adapters/memory/index.js';
import { defineJob, memorySource, s3FileSink } from '../../engine/job/index.js';
import type { JobDefinition } from '../../engine/job/types.js';

/** Records per batch (the job's rate limit). */
export const CAP = 10;
export const EVENTS = Array.from({ length: 6 * CAP }, (_, i) => ({ id: i, ok: i % 3 !== 0 }));

/** The copying job, `fixed` or not, writing its files under `sink.prefix`. */
export function copiesJob(fixed: boolean, sink: { readonly prefix: string; readonly format: 'jsonl' | 'parquet' }): JobDefinition {
  return defineJob({
    name: 'copies',
    version: 1,
    source: memorySource({ streamName: 'events' }),
    pipeline: (events) => (fixed ? events.filter((e: { ok: boolean }) => e.ok) : events).map((e: { id: number }) => ({ id: e.id })),
    sink: s3FileSink(sink),
    trigger: { type: 'availableNow' },
    maxRecordsPerPartition: CAP,
  });
}

/** Memory ports whose stream `events` holds EVENTS. */
export function copiesWorld(): MemoryPorts {
  const ports = createMemoryPorts();
  ports.source.createStream('events', ['shard-0']);
  ports.source.append(
    'events',
    'shard-0',
    EVENTS.map((e) => ({ key: String(e.id), data: new TextEncoder().encode(JSON.stringify(e)) })),
  );
  return ports;
}
