/**
 * Exactly-once through a keyed process function (engine/job/process/), run by
 * test/scenario/process-functions-*.test.ts on one kind of adapter: a crash at every step
 * of a batch on both paths, a replay in place and into a new job, replay --regroup from
 * G to G' key groups, and the regroup refused when a per-partition checkpoint holds a key
 * in two partitions (a process function's state has no merge).
 *
 * The job counts views per user in a value state, writes the count under the user's key
 * and keeps a processing-time timer a day ahead (so timers travel with the state through
 * crashes, replays and regroups); the fixed logic drops the views marked bad. Each test
 * computes the expected sink from the input alone.
 */
import { describe, expect, it } from 'vitest';
import { runDriver } from '../../engine/driver/run-driver.js';
import { ConflictError } from '../../engine/errors.js';
import { defineJob, dynamoDbSink, kinesisSource, valueState } from '../../engine/job/index.js';
import type { JobDefinition } from '../../engine/job/types.js';
import type { JsonValue } from '../../engine/json.js';
import type { EnginePorts } from '../../engine/ports/index.js';
import { generationOf } from '../../engine/protocol/batch-records.js';
import { keyGroupOf, keyGroupScope } from '../../engine/protocol/key-groups.js';
import { replayJob } from '../../engine/replay/replay-job.js';
import { CRASH_POINTS, EXCHANGE_STORE_CRASH_POINTS, SimulatedCrash, TWO_STAGE_CRASH_POINTS, withCrash } from '../support/crash.js';
import { CAP, everything, type ReplayWorld, type ReplayWorldFactory } from './replay-world.js';

const PARTITIONS = 2;
const RECORDS = 50;
const USERS = 5;
/** The checkpoint replays start from. */
const N = 2;
const DAY = 86_400_000;

interface View {
  readonly user: string;
  readonly ok: boolean;
  /** The function throws on it: a dead letter at stage 'process'. */
  readonly poison?: true;
}

/** What a partition holds, in order: a view, or null for a malformed record (a dead letter at stage 'decode'). */
type Input = (View | null)[][];

/** Where partition 0 holds a malformed record and partition 1 a view the function fails on: both in batch 2. */
const BAD_AT = CAP + 3;

/**
 * The process-function count. `keyGroups`: state in key groups (else per partition,
 * keyedBy: 'partitionKey'); `fixed`: drops the views marked bad.
 */
export function processCounts(args: { streamName: string; sinkTable: string; fixed?: boolean; keyGroups?: number }): JobDefinition {
  return defineJob({
    name: 'view-counts-process',
    version: 1,
    source: kinesisSource({ streamName: args.streamName }),
    pipeline: (views) => {
      const kept = args.fixed ? views.filter((v: View) => v.ok) : views;
      return kept
        .keyBy((v: View) => v.user)
        .process({
          state: { views: valueState<number>(), reminder: valueState<number>() },
          onValue(view, ctx) {
            if (view.poison) throw new Error(`poisoned view of ${view.user}`);
            const n = (ctx.state.views.get() ?? 0) + 1;
            ctx.state.views.set(n);
            const reminder = ctx.state.reminder.get();
            if (reminder !== undefined) ctx.timers.deleteProcessingTimeTimer(reminder);
            ctx.state.reminder.set(ctx.timeMs + DAY);
            ctx.timers.registerProcessingTimeTimer(ctx.timeMs + DAY);
            ctx.emit({ user: ctx.key, value: n }, { key: String(ctx.key) });
          },
        });
    },
    sink: dynamoDbSink({ tableName: args.sinkTable }),
    trigger: { type: 'availableNow' },
    maxRecordsPerPartition: CAP,
    checkpoint: { snapshotEvery: 3, retainBatches: 50 },
    ...(args.keyGroups === undefined ? { keyedBy: 'partitionKey' as const } : { keyGroups: args.keyGroups }),
  });
}

/** Appends `n` views to every partition: every user on each when `spread`, else users of their own (`p0-u1`). */
async function load(world: ReplayWorld, input: Input, n: number, spread: boolean): Promise<void> {
  for (let p = 0; p < PARTITIONS; p += 1) {
    const already = input[p]?.length ?? 0;
    const views: (View | null)[] = Array.from({ length: n }, (_, k) => {
      const i = already + k;
      const view: View = { user: spread ? `u${i % USERS}` : `p${p}-u${i % USERS}`, ok: (i + p) % 3 !== 0 };
      if (i !== BAD_AT) return view;
      return p === 0 ? null : { ...view, poison: true };
    });
    input[p] = [...(input[p] ?? []), ...views];
    await world.append(
      p,
      views.map((v) => (v === null ? '{not json' : JSON.stringify(v))),
    );
  }
}

/** Views per user: every view for each partition's first `oldUpTo` records, the ok ones after. */
function expectedCounts(input: Input, oldUpTo: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (const views of input) {
    views.forEach((v, i) => v !== null && !v.poison && (i < oldUpTo || v.ok) && counts.set(v.user, (counts.get(v.user) ?? 0) + 1));
  }
  return counts;
}

async function sinkCounts(ports: EnginePorts, job: JobDefinition): Promise<Map<string, JsonValue | undefined>> {
  return new Map((await ports.sinks(job.sink).scan()).map((r) => [r.key, r.value.value]));
}

/** The committed count of every key, from its process-function state; each key in one scope only (its own group when in key groups). */
async function stateCounts(ports: EnginePorts, jobId: string): Promise<Map<string, JsonValue>> {
  const latest = (await ports.wal.getLatestBatch(jobId))!;
  const scopes: [string, number, number | null][] = [
    ...Object.entries(latest.commit!.partitions).map(([p, s]) => [p, s.stateVersion, null] as [string, number, null]),
    ...Object.entries(latest.commit!.groups ?? {}).map(
      ([g, s]) => [keyGroupScope(Number(g)), s.version, Number(g)] as [string, number, number],
    ),
  ];
  const counts = new Map<string, JsonValue>();
  for (const [scope, version, group] of scopes) {
    for (const [key, value] of await ports.state.load(jobId, scope, version, generationOf(latest.plan))) {
      const user = JSON.parse(key)[0] as string;
      if (group !== null) expect(keyGroupOf(user, latest.plan.keyGroups!)).toBe(group);
      expect(counts.has(user)).toBe(false);
      const entry = value as { s: { views: { v: number }; reminder: { v: number } }; p: number[] };
      expect(entry.p).toEqual([entry.s.reminder.v]); // the timer travels with the state
      counts.set(user, entry.s.views.v);
    }
  }
  return counts;
}

async function runToEnd(ports: EnginePorts, job: JobDefinition, jobId: string): Promise<void> {
  expect((await runDriver(job, ports, { jobId, executorAttempts: 1 })).stoppedBy).toBe('caught-up');
}

/** A world where the old logic (every view counted) ran to the end, in `keyGroups` groups or per partition. */
async function ranOldLogic(makeWorld: ReplayWorldFactory, name: string, keyGroups: number | undefined, spread = keyGroups !== undefined) {
  const world = await makeWorld(name);
  const sinkTable = await world.sinkTable();
  const jobId = `process-counts-${name}`;
  const old = processCounts({ streamName: world.streamName, sinkTable, ...(keyGroups === undefined ? {} : { keyGroups }) });
  const input: Input = [];
  await load(world, input, RECORDS, spread);
  await runToEnd(world.ports, old, jobId);
  const latest = (await world.ports.wal.getLatestBatch(jobId))!.plan.batchId;
  expect(latest).toBeGreaterThan(N + 2);
  return { world, ports: world.ports, sinkTable, jobId, old, input, latest };
}

export function describeProcessFunctionScenarios(adapter: string, makeWorld: ReplayWorldFactory): void {
  describe(`a process-function job, exactly once (${adapter})`, () => {
    const layouts = [
      ['key groups', 4, TWO_STAGE_CRASH_POINTS.filter((point) => !EXCHANGE_STORE_CRASH_POINTS.includes(point))],
      ['one stage per partition', undefined, CRASH_POINTS],
    ] as const;
    for (const [layout, keyGroups, points] of layouts) {
      for (const point of points) {
        it(`recovers from a crash ${point} in batch 2 (${layout}): exact counts, state and timers`, async () => {
          const world = await makeWorld(`crash-${keyGroups ?? 'p'}-${point}`);
          const job = processCounts({
            streamName: world.streamName,
            sinkTable: await world.sinkTable(),
            ...(keyGroups ? { keyGroups } : {}),
          });
          const input: Input = [];
          await load(world, input, RECORDS, keyGroups !== undefined);
          const jobId = `process-crash-${point}`;
          const crashing = withCrash(world.ports, { point, batchId: 2 });
          await expect(runDriver(job, crashing, { jobId, executorAttempts: 1 })).rejects.toBeInstanceOf(SimulatedCrash);
          expect(crashing.fired()).toBe(true);
          await runToEnd(world.ports, job, jobId);
          const expected = expectedCounts(input, Infinity);
          expect(await sinkCounts(world.ports, job)).toEqual(expected);
          expect(await stateCounts(world.ports, jobId)).toEqual(expected);
          const letters = await world.ports.deadLetters.list(jobId);
          expect(letters.map((l) => [l.partition, l.batchId, l.stage, l.reason.startsWith('poisoned view of ')]).sort()).toEqual([
            ['shard-0', 2, 'decode', false],
            ['shard-1', 2, 'process', true],
          ]);
        });
      }
    }

    it('replays a process-function job in place from batch N with fixed logic: exact counts', async () => {
      const { ports, sinkTable, jobId, input, latest, world } = await ranOldLogic(makeWorld, 'in-place', 4);
      expect(await sinkCounts(ports, processCounts({ streamName: world.streamName, sinkTable }))).toEqual(expectedCounts(input, Infinity));
      const fixed = processCounts({ streamName: world.streamName, sinkTable, fixed: true, keyGroups: 4 });
      const outcome = await replayJob({ jobId, fromBatchId: N }, { ports, job: fixed, executorAttempts: 1 });
      expect(outcome).toMatchObject({ replayed: latest - N });
      const expected = expectedCounts(input, N * CAP);
      expect(await sinkCounts(ports, fixed)).toEqual(expected);
      expect(await stateCounts(ports, jobId)).toEqual(expected);
      await load(world, input, CAP, true);
      await runToEnd(ports, fixed, jobId);
      expect(await sinkCounts(ports, fixed)).toEqual(expectedCounts(input, N * CAP));
    });

    it('replays a process-function job into a new job (--into): the source job untouched, exact counts', async () => {
      const { ports, jobId, old, input, world } = await ranOldLogic(makeWorld, 'into', undefined);
      const fixed = processCounts({ streamName: world.streamName, sinkTable: await world.sinkTable(), fixed: true });
      const untouched = await everything(world, [jobId], [old]);
      const into = `${jobId}-fixed`;
      await replayJob({ jobId, fromBatchId: N, intoJobId: into }, { ports, job: fixed, executorAttempts: 1 });
      expect(await everything(world, [jobId], [old])).toEqual(untouched);
      const expected = expectedCounts(input, N * CAP);
      // The new table holds the rows of the replayed batches: every user wrote one there.
      expect(await sinkCounts(ports, fixed)).toEqual(expected);
      expect(await stateCounts(ports, into)).toEqual(expected);
    });

    it('regroups process-function state from 4 key groups to 7 (replay --regroup --into): state keys [key] move to their new groups', async () => {
      const { ports, jobId, input, world } = await ranOldLogic(makeWorld, 'regroup', 4);
      const wider = processCounts({ streamName: world.streamName, sinkTable: await world.sinkTable(), fixed: true, keyGroups: 7 });
      const into = `${jobId}-7`;
      const outcome = await replayJob(
        { jobId, fromBatchId: N, intoJobId: into, regroup: true },
        { ports, job: wider, executorAttempts: 1 },
      );
      expect(outcome.scope).toMatchObject({ regroup: { fromKeyGroups: 4, keyGroups: 7, read: { mergedKeys: 0 } } });
      expect((await ports.wal.getLatestBatch(into))!.plan.keyGroups).toBe(7);
      const expected = expectedCounts(input, N * CAP);
      expect(await stateCounts(ports, into)).toEqual(expected);
      expect(await sinkCounts(ports, wider)).toEqual(expected);
    });

    it('refuses to regroup a per-partition checkpoint that holds a key in two partitions: a process function’s state has no merge', async () => {
      const { ports, jobId, old, world } = await ranOldLogic(makeWorld, 'regroup-refused', undefined, true);
      const grouped = processCounts({ streamName: world.streamName, sinkTable: await world.sinkTable(), fixed: true, keyGroups: 4 });
      const untouched = await everything(world, [jobId], [old]);
      const refused = await replayJob({ jobId, fromBatchId: N, regroup: true }, { ports, job: grouped, executorAttempts: 1 }).catch(
        (e: unknown) => e,
      );
      expect(refused).toBeInstanceOf(ConflictError);
      expect((refused as Error).message).toMatch(
        new RegExp(
          `${USERS} state keys are held by more than one scope of the checkpoint: \\["u0"\\] \\(in shard-0, shard-1\\).* and 2 more\\. ` +
            "Each holds a share of the key's state, and this job cannot combine the shares: .*a keyed operator's state " +
            "\\(a process function's, a deduplication's, a join's\\) never can, so the regroup is refused",
        ),
      );
      expect(await everything(world, [jobId], [old])).toEqual(untouched);
    });
  });
}
