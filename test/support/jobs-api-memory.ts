/**
 * The jobs API's operations (engine/api/jobs.ts) on the memory adapters, for their tests:
 * a context with a recording fake of the driver's executions, the project's catalog with
 * variants of its page-views job, and the batch records a job's write-ahead log holds.
 */
import { createMemoryPorts, type MemoryPorts } from '../../engine/adapters/memory/index.js';
import { MemoryJobRegistry } from '../../engine/adapters/memory/memory-job-registry.js';
import type { ControlApiContext, ReadApiContext } from '../../engine/api/context.js';
import { parseStartJob } from '../../engine/api/requests.js';
import type { JobCatalog } from '../../engine/driver/catalog.js';
import type { DriverExecutions } from '../../engine/ports/driver-executions.js';
import type { BatchCommit, BatchPlan } from '../../engine/protocol/batch-records.js';
import { catalog as projectCatalog } from '../../jobs/catalog.js';
import { clickstreamJob } from '../../jobs/clickstream/job.js';
import { memoryApiContext } from './api-context.js';
import { batchCommit, batchPlan, metrics, partitionCommit, partitionPlan } from './builders.js';

export const catalog: JobCatalog = {
  ...projectCatalog,
  // The same job at version 2, with no state migration from version 1.
  'page-views-v2': { description: 'v2', create: () => ({ ...clickstreamJob(), version: 2 }) },
  'other-stream': { description: 'reads another stream', create: () => clickstreamJob({ streamName: 'elsewhere' }) },
  // The same job with its state per partition (only the layout matters here).
  'page-views-per-partition': { description: 'per partition', create: () => clickstreamJob({ keyedBy: 'partitionKey' }) },
};

/** A context on fresh memory ports, whose catalog's streams exist. */
export interface Fixture {
  readonly ctx: ControlApiContext & ReadApiContext;
  readonly ports: MemoryPorts;
  readonly registry: MemoryJobRegistry;
  /** Every execution start asked for, in order, with what it answered. */
  readonly starts: string[];
}

export function fixture(): Fixture {
  const ports = createMemoryPorts();
  // The catalog's jobs read these streams: a start checks its source exists.
  for (const stream of ['clickstream', 'elsewhere', 's']) ports.source.createStream(stream, ['p0']);
  const registry = new MemoryJobRegistry();
  const started = new Set<string>();
  const starts: string[] = [];
  const executions: DriverExecutions = {
    async start(name) {
      const outcome = started.has(name) ? 'exists' : 'started';
      started.add(name);
      starts.push(`${name} ${outcome}`);
      return outcome;
    },
    async status(name) {
      return started.has(name) ? 'RUNNING' : null;
    },
  };
  return {
    ctx: memoryApiContext(ports, { registry, executions, catalog }),
    ports,
    registry,
    starts,
  };
}

/** A start of the catalog's page-views job as instance j, with `over` on the request. */
export const request = (over: Record<string, unknown> = {}) => parseStartJob({ jobName: 'page-views', jobId: 'j', ...over });

/** Batch `batchId` of `jobId`: partition p0 from its start, job version 1. */
export function plan(jobId: string, batchId: number, over: Partial<BatchPlan> = {}): BatchPlan {
  return batchPlan({ jobId, batchId, plannedAt: 1_000 * batchId, partitions: [partitionPlan('p0')], jobVersion: 1, ...over });
}

/** The commit of batch `batchId`: `records` read from p0 in `durationMs`, 7 state rows, 5 ms behind. */
export function commit(batchId: number, records: number, durationMs = 100): BatchCommit {
  const end = { count: records, ...(records > 0 ? { lastOffset: String(batchId * 100) } : {}) };
  return batchCommit({
    batchId,
    committedAt: 1_000 * batchId + durationMs,
    partitions: { p0: partitionCommit({ end, nextStart: { type: 'AFTER', offset: String(batchId * 100) }, lagMs: 5 }) },
    metrics: metrics({ records, stateRows: 7, durationMs, lagMs: 5 }),
  });
}

/** Batches 1..`count` of `jobId`, planned and committed, batch n with 10·n records. */
export async function writeBatches(ports: MemoryPorts, jobId: string, count: number): Promise<void> {
  await ports.wal.acquireEpoch(jobId);
  for (let id = 1; id <= count; id += 1) {
    // The catalog's page-views keeps its state in 8 key groups (the default).
    await ports.wal.putPlan(plan(jobId, id, { keyGroups: 8, groups: {} }));
    await ports.wal.commitBatch(jobId, commit(id, 10 * id));
  }
}
