/**
 * The world of the scenarios of jobs whose state lives in key groups (replay-key-groups.scenario.ts,
 * regroup.scenario.ts), on the worlds of replay.scenario.ts: a count of views per user, where every
 * user's views arrive on both partitions, so only key groups (or a regroup that merges what each
 * partition counted) give the right totals. The fixed logic drops the views marked bad; each test
 * computes the expected sink from the input alone: the old logic's count for each partition's
 * records of batches 1..N, the new logic's after, summed over the partitions.
 */
import { expect } from 'vitest';
import { runDriver } from '../../engine/driver/run-driver.js';
import type { JsonValue } from '../../engine/json.js';
import { count, defineJob, dynamoDbSink, kinesisSource, reduce } from '../../engine/job/index.js';
import type { JobDefinition, StateMigration } from '../../engine/job/types.js';
import type { EnginePorts } from '../../engine/ports/index.js';
import { generationOf } from '../../engine/protocol/batch-records.js';
import { keyGroupOf, keyGroupScope } from '../../engine/protocol/key-groups.js';
import { CAP, type ReplayWorld, type ReplayWorldFactory } from './replay-world.js';

export const PARTITIONS = 2;
const RECORDS = 50;
export const USERS = 5;
/** The checkpoint replays start from. */
export const N = 2;

interface View {
  readonly user: string;
  readonly ok: boolean;
}

/** Version 2 keeps { views } where version 1 kept a number: its migration converts the state. */
export const TO_VIEWS: StateMigration = { fromVersion: 1, state: (key, value) => ({ key, value: { views: value } }) };

/**
 * Counts views per user; `keyGroups` puts the state in key groups (else per partition, keyedBy: 'partitionKey');
 * `mergeless` counts with a reduce that has no merge; version 2 counts under `views`
 * and migrates version 1's state (TO_VIEWS).
 */
export function viewCounts(args: {
  readonly streamName: string;
  readonly sinkTable: string;
  readonly fixed?: boolean;
  readonly keyGroups?: number;
  readonly mergeless?: boolean;
  readonly version?: 1 | 2;
}): JobDefinition {
  const version = args.version ?? 1;
  return defineJob({
    name: 'view-counts',
    version,
    source: kinesisSource({ streamName: args.streamName }),
    pipeline: (views) => {
      const kept = args.fixed ? views.filter((v: View) => v.ok) : views;
      if (version === 2) return kept.keyBy((v: View) => v.user).aggregate({ views: count() });
      const counted = args.mergeless ? reduce<View, number>({ initial: 0, add: (acc) => acc + 1 }) : count();
      return kept.keyBy((v: View) => v.user).aggregate(counted);
    },
    ...(version === 2 ? { migrations: [TO_VIEWS] } : {}),
    sink: dynamoDbSink({ tableName: args.sinkTable }),
    trigger: { type: 'availableNow' },
    maxRecordsPerPartition: CAP,
    checkpoint: { snapshotEvery: 3, retainBatches: 50 },
    ...(args.keyGroups === undefined ? { keyedBy: 'partitionKey' as const } : { keyGroups: args.keyGroups }),
  });
}

/** What a partition holds, in order: a view, or null for a malformed record. */
export type Input = (View | null)[][];

/** Where partition 0 holds a malformed record (a dead letter of stage 1), in batch N+2. */
const MALFORMED_AT = (N + 1) * CAP + 3;

/** Appends `n` views to every partition (every user on each, and the malformed record once); returns what each holds now. */
export async function load(world: ReplayWorld, input: Input, n: number): Promise<Input> {
  for (let p = 0; p < PARTITIONS; p += 1) {
    const already = input[p]?.length ?? 0;
    const views: (View | null)[] = Array.from({ length: n }, (_, k) => ({
      user: `u${(already + k) % USERS}`,
      ok: (already + k + p) % 3 !== 0,
    }));
    if (p === 0 && already <= MALFORMED_AT && MALFORMED_AT < already + n) views.splice(MALFORMED_AT - already, 0, null);
    input[p] = [...(input[p] ?? []), ...views];
    await world.append(
      p,
      views.map((v) => (v === null ? '{not json' : JSON.stringify(v))),
    );
  }
  return input;
}

/** Views per user, over every partition: every view for each partition's first `oldUpTo` records, the ok ones after. */
export function expectedCounts(input: Input, oldUpTo: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (const views of input) {
    views.forEach((v, i) => v !== null && (i < oldUpTo || v.ok) && counts.set(v.user, (counts.get(v.user) ?? 0) + 1));
  }
  return counts;
}

export async function sinkCounts(ports: EnginePorts, job: JobDefinition): Promise<Map<string, JsonValue | undefined>> {
  return new Map((await ports.sinks(job.sink).scan()).map((r) => [r.key, r.value.value]));
}

/** The committed state of every key group after the latest batch, as { user: count }; each user in its own group only. */
export async function groupCounts(ports: EnginePorts, jobId: string): Promise<Map<string, JsonValue>> {
  const latest = (await ports.wal.getLatestBatch(jobId))!;
  const keyGroups = latest.plan.keyGroups!;
  const counts = new Map<string, JsonValue>();
  for (const [group, state] of Object.entries(latest.commit?.groups ?? {})) {
    for (const [key, value] of await ports.state.load(jobId, keyGroupScope(Number(group)), state.version, generationOf(latest.plan))) {
      const user = JSON.parse(key)[0] as string;
      expect(keyGroupOf(user, keyGroups)).toBe(Number(group));
      expect(counts.has(user)).toBe(false);
      counts.set(user, value);
    }
  }
  return counts;
}

export async function runToEnd(ports: EnginePorts, job: JobDefinition, jobId: string): Promise<void> {
  expect((await runDriver(job, ports, { jobId, executorAttempts: 1 })).stoppedBy).toBe('caught-up');
}

/** A world where `old` (every view counted, in `keyGroups` groups or per partition) ran to the end. */
export async function ranOldLogic(makeWorld: ReplayWorldFactory, name: string, keyGroups: number | undefined) {
  const world = await makeWorld(name);
  const sinkTable = await world.sinkTable();
  const jobId = `view-counts-${name}`;
  const old = viewCounts({ streamName: world.streamName, sinkTable, ...(keyGroups === undefined ? {} : { keyGroups }) });
  const input = await load(world, [], RECORDS);
  await runToEnd(world.ports, old, jobId);
  const before = await world.ports.wal.listBatches(jobId);
  expect(before.at(-1)!.plan.batchId).toBeGreaterThan(N + 2);
  return { world, ports: world.ports, sinkTable, jobId, old, input, before, latest: before.at(-1)!.plan.batchId };
}
