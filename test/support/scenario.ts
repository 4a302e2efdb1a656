import { expect } from 'vitest';
import { runDriver } from '../../engine/driver/run-driver.js';
import type { JobDefinition, JobSource } from '../../engine/job/types.js';
import type { EnginePorts } from '../../engine/ports/index.js';
import { BatchStatus } from '../../engine/protocol/batch-records.js';
import {
  assertUnambiguous,
  expectedCounts,
  generateClickstream,
  type ClickstreamSettings,
  type GeneratedEvent,
} from '../../jobs/clickstream/generate.js';
import { CLICKSTREAM_JOB, clickstreamJob } from '../../jobs/clickstream/job.js';
import { count, defineJob, dynamoDbSink, kinesisSource, reduce, tumbling } from '../../engine/job/index.js';
import { keyGroupScope } from '../../engine/protocol/key-groups.js';

/** A small clickstream: 3 partitions, ~10 batches per partition at 40 records per batch. */
export const SCENARIO_STREAM: ClickstreamSettings = {
  events: 1_200,
  partitions: 3,
  pages: 9,
  usersPerPartition: 50,
  startMs: Date.UTC(2026, 10, 1),
  spacingMs: 200,
  seed: 7,
  lateByMs: 8_000,
  tooLateByMs: 150_000,
  lateShare: 0.05,
  tooLateShare: 0.03,
  malformedShare: 0.01,
  noPageShare: 0.01,
};
export const SCENARIO_CAP = 40;

/**
 * Where the scenario's job keeps its keyed state. 'partitions': per partition (the
 * one-stage path, keyedBy: 'partitionKey'), each page on one partition. The others: in SCENARIO_KEY_GROUPS key
 * groups (the two-stage path), every page on every partition (spreadPages); stage 1's
 * output goes inline ('key-groups-inline': count(), one partial per page and window), or
 * through the exchange store ('key-groups-store': a count by reduce without merge, whose
 * values carry 2 KB each, so a partition's full batch is over the inline limit).
 */
export type ScenarioLayout = 'partitions' | 'key-groups-inline' | 'key-groups-store';
export const SCENARIO_KEY_GROUPS = 4;
const EXCHANGE_PADDING = 'x'.repeat(2_048);

/** One isolated set of ports with the scenario's stream loaded. */
export interface ScenarioWorld {
  readonly ports: EnginePorts;
  readonly job: JobDefinition;
  readonly jobId: string;
}

/** Builds worlds on one kind of adapter (memory, or AWS on the local stand-ins), the job in `layout` (default 'partitions'). */
export type WorldFactory = (
  events: readonly GeneratedEvent[],
  partitions: number,
  name: string,
  layout?: ScenarioLayout,
) => Promise<ScenarioWorld>;

/**
 * The scenario's clickstream with each page on one partition: the generator's pages
 * (`/page-3`) come from every partition, and these are named after theirs (`/p1/page-3`),
 * so the one-stage layout ('partitions', keyedBy: 'partitionKey' with the page as the
 * records' key) can keep each page's state with its partition. spreadPages undoes it.
 */
export function scenarioEvents(settings: ClickstreamSettings = SCENARIO_STREAM): GeneratedEvent[] {
  assertUnambiguous(settings, {
    maxRecordsPerPartition: SCENARIO_CAP,
    allowedLatenessMs: CLICKSTREAM_JOB.allowedLatenessMs,
    windowMs: CLICKSTREAM_JOB.windowMs,
  });
  return generateClickstream(settings).map((e) => ({
    ...e,
    page: e.page === null ? null : `/p${e.partitionIndex}${e.page}`,
    payload: e.payload.replace(/"\/page-/g, `"/p${e.partitionIndex}/page-`),
  }));
}

/** Every page on every partition, as the generator makes them: each page's clicks come from all partitions. */
export function spreadPages(events: readonly GeneratedEvent[]): GeneratedEvent[] {
  return events.map((e) => ({
    ...e,
    page: e.page?.replace(/^\/p\d+\//, '/') ?? null,
    payload: e.payload.replace(/"\/p\d+\/page-/g, '"/page-'),
  }));
}

/** The scenario's job, its state laid out as `layout` says; `source` replaces the Kinesis stream (a Kafka topic). */
export function scenarioJob(names: { streamName?: string; sinkTable: string; source?: JobSource; layout?: ScenarioLayout }): JobDefinition {
  const { layout = 'partitions', ...rest } = names;
  const settings = { maxRecordsPerPartition: SCENARIO_CAP, checkpoint: { snapshotEvery: 3, retainBatches: 4 } };
  if (layout === 'partitions') return clickstreamJob({ ...rest, ...settings, keyedBy: 'partitionKey' });
  const { windowMs, allowedLatenessMs } = CLICKSTREAM_JOB;
  const throughStore = layout === 'key-groups-store';
  return defineJob({
    name: 'page-views',
    version: 1,
    source: rest.source ?? kinesisSource({ streamName: rest.streamName ?? CLICKSTREAM_JOB.streamName, startingPosition: 'EARLIEST' }),
    pipeline: (events) =>
      events
        .map((e: { page?: unknown; ts?: unknown }) => {
          if (typeof e.page !== 'string' || typeof e.ts !== 'number') throw new TypeError('a click needs a page and a ts');
          return { page: e.page, ts: e.ts, ...(throughStore ? { padding: EXCHANGE_PADDING } : {}) };
        })
        .withWatermark((e) => e.ts, { allowedLatenessMs })
        .keyBy((e) => e.page)
        .window(tumbling({ sizeMs: windowMs }))
        .aggregate(throughStore ? reduce({ initial: 0, add: (n: number) => n + 1 }) : count()),
    sink: dynamoDbSink({ tableName: rest.sinkTable }),
    trigger: { type: 'availableNow' },
    keyGroups: SCENARIO_KEY_GROUPS,
    ...settings,
  });
}

/** Runs the job's driver until it is caught up. */
export async function runToEnd(world: ScenarioWorld): Promise<void> {
  const outcome = await runDriver(world.job, world.ports, { jobId: world.jobId, executorAttempts: 1 });
  expect(outcome.stoppedBy).toBe('caught-up');
}

/**
 * Asserts the exactly-once outcome: the sink holds exactly the expected count for every
 * (page, window) and nothing else; every bad record is a dead letter once; every batch
 * in the WAL is committed, once, in order; the metrics add up to the input.
 */
export async function assertExactlyOnce(world: ScenarioWorld, events: readonly GeneratedEvent[]): Promise<void> {
  const expected = expectedCounts(events, CLICKSTREAM_JOB.windowMs);
  const rows = await world.ports.sinks(world.job.sink).scan();
  const actual = new Map(rows.map((r) => [r.key, r.value.value]));
  expect(actual.size).toBe(expected.counts.size);
  for (const [key, count] of expected.counts) expect(actual.get(key), key).toBe(count);

  const letters = await world.ports.deadLetters.list(world.jobId);
  expect(letters).toHaveLength(expected.deadLetters);
  expect(new Set(letters.map((l) => `${l.partition}#${l.offset}`)).size).toBe(expected.deadLetters);

  const batches = await world.ports.wal.listBatches(world.jobId);
  expect(batches.length).toBeGreaterThan(0);
  batches.forEach((b, i) => {
    expect(b.status).toBe(BatchStatus.COMMITTED);
    if (i > 0) expect(b.plan.batchId).toBe(batches[i - 1]!.plan.batchId + 1);
  });
}

/** Sum of the commit metrics over every batch still in the WAL (retention off or wide enough). */
export async function committedMetrics(world: ScenarioWorld): Promise<{ records: number; lateRecords: number; deadLetters: number }> {
  const batches = await world.ports.wal.listBatches(world.jobId);
  const sum = { records: 0, lateRecords: 0, deadLetters: 0 };
  for (const b of batches) {
    sum.records += b.commit!.metrics.records;
    sum.lateRecords += b.commit!.metrics.lateRecords;
    sum.deadLetters += b.commit!.metrics.deadLetters;
  }
  return sum;
}

/**
 * The committed state of every partition and key group after batch `batchId` (default: the latest), for
 * comparing a crashed run with a clean one. Compare at the same batch: a recovery may run
 * one more, empty, batch than a clean run, whose watermark evicts more windows.
 */
export async function committedState(
  world: ScenarioWorld,
  batchId?: number,
): Promise<{ batchId: number; state: Record<string, Record<string, unknown>> }> {
  const record =
    batchId === undefined ? await world.ports.wal.getLatestBatch(world.jobId) : await world.ports.wal.getBatch(world.jobId, batchId);
  if (record?.commit === undefined) throw new Error(`batch ${batchId ?? 'latest'} of ${world.jobId} is not committed`);
  const out: Record<string, Record<string, unknown>> = {};
  for (const [partition, p] of Object.entries(record.commit.partitions)) {
    out[partition] = Object.fromEntries(await world.ports.state.load(world.jobId, partition, p.stateVersion));
  }
  for (const [group, g] of Object.entries(record.commit.groups ?? {})) {
    const scope = keyGroupScope(Number(group));
    out[scope] = Object.fromEntries(await world.ports.state.load(world.jobId, scope, g.version));
  }
  return { batchId: record.plan.batchId, state: out };
}
