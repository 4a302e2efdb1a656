/**
 * The worlds, the counting job and the helpers of the replay scenarios
 * (replay.scenario.ts, replay-key-groups.scenario.ts, regroup.scenario.ts): the input,
 * the expected counts computed from it alone, and what the sink and the WAL hold.
 */
import { expect } from 'vitest';
import { runDriver } from '../../engine/driver/run-driver.js';
import type { JsonValue } from '../../engine/json.js';
import { count, defineJob, dynamoDbSink, kinesisSource } from '../../engine/job/index.js';
import type { JobDefinition, StateMigration } from '../../engine/job/types.js';
import type { EnginePorts } from '../../engine/ports/index.js';
import { BatchStatus, type BatchRecord } from '../../engine/protocol/batch-records.js';
import { SimulatedCrash } from '../support/crash.js';

/** Records per partition per batch (the job's rate limit). */
export const CAP = 10;
export const PARTITIONS = 2;
export const RECORDS = 60;

/** One isolated world: ports, a stream of PARTITIONS partitions, sink tables on demand. */
export interface ReplayWorld {
  readonly ports: EnginePorts;
  readonly streamName: string;
  /** Appends payloads (in order) to partition `index`. */
  append(index: number, payloads: readonly string[]): Promise<void>;
  /** A new, empty sink table. */
  sinkTable(): Promise<string>;
}

export type ReplayWorldFactory = (name: string) => Promise<ReplayWorld>;

export interface Click {
  readonly user: string;
  readonly ok: boolean;
}

/** What a partition holds, in order: an event, or null for a malformed record. */
export type Input = (Click | null)[][];

export function clicks(partition: number, from: number, to: number): Click[] {
  return Array.from({ length: to - from }, (_, k) => {
    const i = from + k;
    return { user: `p${partition}-u${i % 4}`, ok: i % 3 !== 0 };
  });
}

/** Appends events (and, where asked, a malformed record) to every partition; returns what each holds now. */
export async function load(
  world: ReplayWorld,
  input: Input,
  perPartition: (p: number, already: number) => (Click | null)[],
): Promise<void> {
  for (let p = 0; p < PARTITIONS; p += 1) {
    const events = perPartition(p, input[p]?.length ?? 0);
    input[p] = [...(input[p] ?? []), ...events];
    await world.append(
      p,
      events.map((e) => (e === null ? '{not json' : JSON.stringify(e))),
    );
  }
}

/** The standard input: RECORDS events per partition, one malformed record in batch 5 of partition 0. */
export async function loadStandard(world: ReplayWorld): Promise<Input> {
  const input: Input = [];
  await load(world, input, (p) => {
    const events: (Click | null)[] = clicks(p, 0, RECORDS);
    if (p === 0) events.splice(4 * CAP + 5, 0, null);
    return events;
  });
  return input;
}

/**
 * The counting job. Version 1 as first written counts every event per user; `fixed`
 * drops the events marked bad; `named` keeps the count under `views` (a new state layout).
 */
export function userCounts(args: {
  readonly streamName: string;
  readonly sinkTable: string;
  readonly fixed?: boolean;
  readonly version?: number;
  readonly named?: boolean;
  readonly migrations?: readonly StateMigration[];
  readonly retainBatches?: number;
  readonly cap?: number;
}): JobDefinition {
  return defineJob({
    name: 'user-counts',
    version: args.version ?? 1,
    source: kinesisSource({ streamName: args.streamName }),
    pipeline: (events) => {
      const kept = args.fixed ? events.filter((e: Click) => e.ok) : events;
      return kept.keyBy((e: Click) => e.user).aggregate(args.named ? { views: count() } : count());
    },
    sink: dynamoDbSink({ tableName: args.sinkTable }),
    trigger: { type: 'availableNow' },
    maxRecordsPerPartition: args.cap ?? CAP,
    checkpoint: { snapshotEvery: 3, retainBatches: args.retainBatches ?? 50 },
    ...(args.migrations ? { migrations: args.migrations } : {}),
    // These scenarios replay state kept per partition (each user's clicks come on one
    // partition, keyed by the user); replay-key-groups.scenario.ts replays key groups.
    keyedBy: 'partitionKey',
  });
}

/** A record's partition key in these worlds: its user (the producer partitions by user), 'none' for a malformed one. */
export function userOf(payload: string): string {
  try {
    const user = (JSON.parse(payload) as { user?: unknown }).user;
    return typeof user === 'string' ? user : 'none';
  } catch {
    return 'none';
  }
}

/** Version 2 keeps { views } where version 1 kept a number: its migration converts the state. */
export const FROM_NUMBER_TO_VIEWS: StateMigration = { fromVersion: 1, state: (key, value) => ({ key, value: { views: value } }) };

/**
 * Counts per user: the old logic (every event) for each partition's first `oldUpTo`
 * records, the new one (`fixed`: events marked ok) for the rest.
 */
export function expectedCounts(input: Input, oldUpTo: number, fixed = true): Map<string, number> {
  const counts = new Map<string, number>();
  input.forEach((events) =>
    events.forEach((e, i) => {
      if (e === null) return;
      if (i >= oldUpTo && fixed && !e.ok) return;
      counts.set(e.user, (counts.get(e.user) ?? 0) + 1);
    }),
  );
  return counts;
}

export async function sinkCounts(world: ReplayWorld, job: JobDefinition, field = 'value'): Promise<Map<string, JsonValue | undefined>> {
  const rows = await world.ports.sinks(job.sink).scan();
  return new Map(rows.map((r) => [r.key, r.value[field]]));
}

/** The committed state of every partition after the latest batch, as { user: count }. */
export async function committedCounts(ports: EnginePorts, jobId: string): Promise<Map<string, JsonValue>> {
  const latest = await ports.wal.getLatestBatch(jobId);
  const counts = new Map<string, JsonValue>();
  for (const [partition, p] of Object.entries(latest?.commit?.partitions ?? {})) {
    for (const [key, value] of await ports.state.load(jobId, partition, p.stateVersion)) counts.set(JSON.parse(key)[0], value);
  }
  return counts;
}

export async function runToEnd(world: ReplayWorld, job: JobDefinition, jobId: string): Promise<void> {
  const outcome = await runDriver(job, world.ports, { jobId, executorAttempts: 1 });
  expect(outcome.stoppedBy).toBe('caught-up');
}

/** Every batch in the WAL, in id order, committed once; their ids. */
export async function assertCommittedOnce(ports: EnginePorts, jobId: string, first = 1): Promise<BatchRecord[]> {
  const batches = await ports.wal.listBatches(jobId);
  expect(batches.map((b) => b.plan.batchId)).toEqual(batches.map((_, i) => first + i));
  for (const b of batches) expect(b.status).toBe(BatchStatus.COMMITTED);
  return batches;
}

/** A snapshot of everything a replay could write, through the ports. */
export async function everything(world: ReplayWorld, jobIds: readonly string[], jobs: readonly JobDefinition[]): Promise<unknown> {
  const { ports } = world;
  const out: Record<string, unknown> = {};
  for (const jobId of jobIds) {
    const partitions = await ports.state.listPartitions(jobId);
    out[jobId] = {
      batches: await ports.wal.listBatches(jobId),
      replays: await ports.wal.listReplays(jobId),
      superseded: await ports.wal.listSupersededBatches(jobId, 1),
      epoch: await ports.wal.currentEpoch(jobId),
      deadLetters: await ports.deadLetters.list(jobId),
      state: await Promise.all(partitions.map(async (p) => [p, await ports.state.listVersions(jobId, p)])),
    };
  }
  out.sinks = await Promise.all(jobs.map((job) => ports.sinks(job.sink).scan()));
  return out;
}

/** The ports of `world`, dying right after a WAL method of the replay completes. */
export function crashingAfter(ports: EnginePorts, method: 'beginReplay' | 'supersedeBatchesAbove'): EnginePorts {
  const wal = new Proxy(ports.wal, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (prop !== method || typeof value !== 'function') return typeof value === 'function' ? value.bind(target) : value;
      return async (...args: unknown[]) => {
        await value.apply(target, args);
        throw new SimulatedCrash('after-commit', -1);
      };
    },
  });
  return { ...ports, wal };
}

/** A world where version 1 (every event counted) ran to the end: batches 1..latest, more than `fromBatch` + 2 of them. */
export async function ranVersionOne(makeWorld: ReplayWorldFactory, name: string, fromBatch: number) {
  const world = await makeWorld(name);
  const sinkTable = await world.sinkTable();
  const jobId = `user-counts-${name}`;
  const old = userCounts({ streamName: world.streamName, sinkTable });
  const fixed = userCounts({ streamName: world.streamName, sinkTable, fixed: true });
  const input = await loadStandard(world);
  await runToEnd(world, old, jobId);
  const before = await world.ports.wal.listBatches(jobId);
  const latest = before.at(-1)!.plan.batchId;
  expect(latest).toBeGreaterThan(fromBatch + 2);
  expect(await sinkCounts(world, old)).toEqual(expectedCounts(input, Infinity));
  return { world, sinkTable, jobId, old, fixed, input, before, latest };
}
