/**
 * The worlds of the stream sink scenarios on the memory adapters (the Kafka sink in
 * test/scenario/kafka-sink-memory.test.ts, the Kinesis and user sinks in
 * test/scenario/stream-sinks-memory.test.ts): the same job and input for every sink, so
 * the sinks' outcomes compare, and the crash between the sink write and the commit that
 * makes a sink write batch 1 twice.
 */
import { expect } from 'vitest';
import { createMemoryPorts, type MemoryPorts } from '../../engine/adapters/memory/index.js';
import { runDriver } from '../../engine/driver/run-driver.js';
import { count, defineJob, memorySource } from '../../engine/job/index.js';
import type { JobDefinition } from '../../engine/job/types.js';
import type { JsonObject } from '../../engine/json.js';
import type { SinkSpec } from '../../engine/ports/sink.js';
import { SimulatedCrash, withCrash } from './crash.js';

export interface SinkWorld {
  readonly ports: MemoryPorts;
  readonly job: JobDefinition;
}

/** A click: the page is also the record's key. */
type Click = { readonly page: string } & JsonObject;

/** Memory ports whose stream 'clicks' holds each partition's clicks, in order, as JSON. */
function clicksOn(partitions: Readonly<Record<string, readonly Click[]>>): MemoryPorts {
  const ports = createMemoryPorts();
  ports.source.createStream('clicks', Object.keys(partitions));
  const enc = new TextEncoder();
  for (const [partition, clicks] of Object.entries(partitions)) {
    ports.source.append(
      'clicks',
      partition,
      clicks.map((c) => ({ key: c.page, data: enc.encode(JSON.stringify(c)) })),
    );
  }
  return ports;
}

/**
 * Counts of clicks per page into `sink`: 10 clicks on each of two partitions over 3 pages
 * each, read 4 records a partition per batch, so the job takes several batches.
 */
export function pageCountsWorld(sink: SinkSpec): SinkWorld {
  const tenClicks = (p: string) => Array.from({ length: 10 }, (_, i) => ({ page: `${p}-k${i % 3}` }));
  const ports = clicksOn({ p0: tenClicks('p0'), p1: tenClicks('p1') });
  const job = defineJob({
    name: 'page-counts',
    version: 1,
    source: memorySource({ streamName: 'clicks' }),
    pipeline: (s) => s.keyBy((e) => e.page).aggregate(count()),
    sink,
    trigger: { type: 'availableNow' },
    maxRecordsPerPartition: 4,
  });
  return { ports, job };
}

/** pageCountsWorld's final counts: 10 records per partition over 3 keys. */
export const FINAL_COUNTS = { 'p0-k0': 4, 'p0-k1': 3, 'p0-k2': 3, 'p1-k0': 4, 'p1-k1': 3, 'p1-k2': 3 };

/**
 * pageCountsWorld after a crash between batch 1's sink write and its commit: the sink has
 * batch 1's output, the WAL still has the batch planned, not committed.
 */
export async function crashAfterSinkWrite(sink: SinkSpec): Promise<SinkWorld> {
  const { ports, job } = pageCountsWorld(sink);
  const crashing = withCrash(ports, { point: 'after-sink-write', batchId: 1 });
  await expect(runDriver(job, crashing, { executorAttempts: 1 })).rejects.toBeInstanceOf(SimulatedCrash);
  expect(crashing.fired()).toBe(true);
  expect(await ports.wal.getLatestBatch(job.name)).toMatchObject({ status: 'PLANNED', plan: { batchId: 1 } });
  return { ports, job };
}

/** A new driver on the same stores runs the job until it is caught up (after a crash: from the planned batch on). */
export async function runToCaughtUp({ ports, job }: SinkWorld): Promise<void> {
  expect((await runDriver(job, ports)).stoppedBy).toBe('caught-up');
}

/** The job 'pages' into `sink`: the given clicks on one partition, each copied into a row as it is, in one-stage batches. */
export function pagesWorld(sink: SinkSpec, clicks: readonly Click[]): SinkWorld {
  const ports = clicksOn({ p0: clicks });
  const job = defineJob({
    name: 'pages',
    version: 1,
    source: memorySource({ streamName: 'clicks' }),
    pipeline: (s) => s.map((e) => ({ ...e })),
    sink,
    trigger: { type: 'availableNow' },
  });
  return { ports, job };
}
