import { describe, expect, it } from 'vitest';
import { runDriver } from '../../engine/driver/run-driver.js';
import { count, defineJob, dynamoDbSink, kinesisSource } from '../../engine/job/index.js';
import type { JobDefinition } from '../../engine/job/types.js';
import { BatchStatus } from '../../engine/protocol/batch-records.js';
import { replayJob } from '../../engine/replay/replay-job.js';
import { listCheckpoints } from '../../engine/checkpoints/checkpoints.js';
import { formatCheckpointListing } from '../../cli/format/checkpoints.js';
import { RETENTION_EVERY_BATCHES } from '../../engine/driver/commit-batch.js';
import { seededRandom } from '../../jobs/clickstream/generate.js';
import { CRASH_POINTS, SimulatedCrash, withCrash, type CrashPoint } from '../support/crash.js';
import { keyGroupState } from '../support/key-group-state.js';
import type { ReshardWorld, ReshardWorldFactory } from '../support/reshard-world.js';

const PAGES = Array.from({ length: 24 }, (_, i) => `/page-${i}`);
const CAP = 25;

/**
 * How producers route pages. 'md5': by partition key (the page), as Kinesis does. 'explicit':
 * with ExplicitHashKey, page i at the i-th 24th of the hash key ring, unrelated to MD5; the
 * job then declares that routing (`hashKeyOf`), or, to show it matters, does not.
 */
export type Routing = 'md5' | 'explicit' | 'explicit-undeclared';

const explicitHashKey = (page: string) => ((BigInt(PAGES.indexOf(page)) * 2n ** 128n) / BigInt(PAGES.length) + 12_345n).toString();

/**
 * Views per page over all time: state follows each page's records across a reshard, or,
 * with `keyGroups`, stays in the page's key group whichever shard its records come from.
 */
export function viewsJob(
  world: ReshardWorld,
  options: {
    readonly retainBatches?: number;
    readonly routing?: Routing;
    readonly upgrade?: Pick<JobDefinition, 'version' | 'migrations'>;
    readonly keyGroups?: number;
  } = {},
): JobDefinition {
  const { retainBatches = 50, routing = 'md5', upgrade, keyGroups } = options;
  return defineJob({
    name: 'views-per-page',
    version: upgrade?.version ?? 1,
    ...(upgrade ? { migrations: upgrade.migrations } : {}),
    source: kinesisSource({ streamName: world.streamName, ...(routing === 'explicit' ? { hashKeyOf: explicitHashKey } : {}) }),
    pipeline: (events) => events.keyBy((e) => e.page).aggregate(count()),
    sink: dynamoDbSink({ tableName: world.sinkTable }),
    trigger: { type: 'availableNow' },
    maxRecordsPerPartition: CAP,
    checkpoint: { snapshotEvery: 3, retainBatches },
    // Without key groups: state per shard (the fast path; the records' partition key is the page).
    ...(keyGroups === undefined ? { keyedBy: 'partitionKey' as const } : { keyGroups }),
  });
}

function events(seed: number, n: number, routing: Routing): { key: string; data: Uint8Array; explicitHashKey?: string }[] {
  const rnd = seededRandom(seed);
  const encoder = new TextEncoder();
  return Array.from({ length: n }, () => {
    const page = PAGES[Math.floor(rnd() * PAGES.length)]!;
    return {
      key: page,
      data: encoder.encode(JSON.stringify({ page })),
      ...(routing === 'md5' ? {} : { explicitHashKey: explicitHashKey(page) }),
    };
  });
}

function expectedCounts(all: readonly { key: string }[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const e of all) counts.set(e.key, (counts.get(e.key) ?? 0) + 1);
  return counts;
}

/**
 * The reshard story: 2 shards; some batches; split shard 0; more records; some batches;
 * merge the two children; more records; run to the end. A driver may crash in the batch
 * that finishes a parent or the one that starts its children; a new driver recovers.
 * The sink must hold each page's exact count, and each page's state must live in exactly
 * one open shard (with key groups: in its own key group, and in no shard).
 */
export async function runStory(
  world: ReshardWorld,
  crash: { point: CrashPoint; batchId: number } | null,
  job: JobDefinition = viewsJob(world),
  routing: Routing = 'md5',
): Promise<Map<string, number>> {
  const jobId = 'views';
  const phase = async (maxBatches?: number) => {
    if (crash !== null) {
      const crashing = withCrash(world.ports, crash);
      const run = runDriver(job, crashing, { jobId, executorAttempts: 1, ...(maxBatches ? { maxBatches } : {}) });
      const outcome = await run.catch((error: unknown) => error);
      if (outcome instanceof SimulatedCrash)
        crash = null; // fired: recover with a new driver below
      else if (outcome instanceof Error) throw outcome;
      else return;
    }
    await runDriver(job, world.ports, { jobId, executorAttempts: 1, ...(maxBatches ? { maxBatches } : {}) });
  };
  const first = events(1, 300, routing);
  await world.append(first);
  await phase(3);
  const [c1, c2] = await world.split(world.shards[0]!);
  const second = events(2, 300, routing);
  await world.append(second);
  await phase(6);
  const merged = await world.merge(c1!, c2!);
  const third = events(3, 300, routing);
  await world.append(third);
  await phase();
  const expected = expectedCounts([...first, ...second, ...third]);
  expect(crash, 'the requested crash point was never reached').toBeNull();

  const rows = await world.ports.sinks(job.sink).scan();
  const actual = new Map(rows.map((r) => [r.key, r.value.value]));
  expect(actual).toEqual(expected);

  const batches = await world.ports.wal.listBatches(jobId);
  batches.forEach((b, i) => {
    expect(b.status).toBe(BatchStatus.COMMITTED);
    if (i > 0) expect(b.plan.batchId).toBe(batches[i - 1]!.plan.batchId + 1);
  });
  const last = batches.at(-1)!;
  // Parents are retired once read to their end; the merged child and shard 1 remain.
  expect(Object.keys(last.plan.finished).sort()).toEqual([c1, c2, world.shards[0]].sort());
  expect(last.plan.partitions.map((p) => p.partition).sort()).toEqual([merged, world.shards[1]].sort());
  // Each page's state lives in exactly one place, and holds its full count.
  expect(await stateCounts(world, jobId)).toEqual(expected);
  return actual as Map<string, number>;
}

/**
 * A version change across a reshard: the parent is read to its end under version 1, its
 * children start under version 2, whose migration adds 1,000 to every count. Every page's
 * state existed before the change, so every page must end at its count + 1,000, the
 * children's inherited pages included.
 */
async function runVersionChangeAcrossReshard(world: ReshardWorld): Promise<void> {
  const jobId = 'views';
  const v1 = viewsJob(world);
  const v2 = viewsJob(world, {
    upgrade: { version: 2, migrations: [{ fromVersion: 1, state: (key, value) => ({ key, value: (value as number) + 1_000 }) }] },
  });
  const first = events(1, 300, 'md5');
  expect(new Set(first.map((e) => e.key)).size, 'every page is counted before the version changes').toBe(PAGES.length);
  await world.append(first);
  await runDriver(v1, world.ports, { jobId, executorAttempts: 1 });
  const parent = world.shards[0]!;
  await world.split(parent);
  const second = events(2, 300, 'md5');
  await world.append(second);
  // Version 1, a batch at a time, until the batch that reads the parent to its end.
  for (let i = 0; ; i += 1) {
    expect(i, 'the parent is read to its end').toBeLessThan(50);
    await runDriver(v1, world.ports, { jobId, executorAttempts: 1, maxBatches: 1 });
    if ((await world.ports.wal.getLatestBatch(jobId))?.commit?.partitions[parent]?.end.closed) break;
  }
  await runDriver(v2, world.ports, { jobId, executorAttempts: 1 });
  const childPlan = (await world.ports.wal.listBatches(jobId)).find((b) => b.plan.partitions.some((p) => p.inherits !== undefined))!.plan;
  expect(childPlan.jobVersion).toBe(2);
  expect(childPlan.partitions.flatMap((p) => p.inherits ?? [])).toEqual(
    expect.arrayContaining([expect.objectContaining({ partition: parent, jobVersion: 1 })]),
  );
  const expected = new Map([...expectedCounts([...first, ...second])].map(([page, n]) => [page, n + 1_000]));
  const rows = await world.ports.sinks(v2.sink).scan();
  expect(new Map(rows.map((r) => [r.key, r.value.value]))).toEqual(expected);
  expect(await stateCounts(world, jobId)).toEqual(expected);
}

/**
 * Each page's count in the job's state after its latest committed batch: in exactly one
 * open shard, or, with key groups, in its own key group only (keyGroupState).
 */
async function stateCounts(world: ReshardWorld, jobId: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  const pageOf = (stateKey: string) => (JSON.parse(stateKey) as [string])[0];
  const last = (await world.ports.wal.listBatches(jobId)).at(-1)!;
  if (last.plan.keyGroups !== undefined) {
    for (const [stateKey, value] of await keyGroupState(world.ports, jobId)) counts.set(pageOf(stateKey), value as number);
    return counts;
  }
  for (const p of last.plan.partitions) {
    for (const [stateKey, value] of await world.ports.state.load(jobId, p.partition, last.commit!.partitions[p.partition]!.stateVersion)) {
      expect(counts.has(pageOf(stateKey)), `${pageOf(stateKey)} has state in two shards`).toBe(false);
      counts.set(pageOf(stateKey), value as number);
    }
  }
  return counts;
}

/**
 * The same story with a short retention: once the batch that built the children's state
 * from a parent is older than every kept batch, retention deletes the parent's state;
 * the job, a replay of every kept batch and a replay into a new job still work.
 */
async function runStoryWithRetention(world: ReshardWorld): Promise<void> {
  const retainBatches = 4;
  const job = viewsJob(world, { retainBatches });
  const expected = await runStory(world, null, job);
  const jobId = 'views';
  const batches = await world.ports.wal.listBatches(jobId);
  const last = batches.at(-1)!.plan;
  const retainedAt = Math.floor(last.batchId / RETENTION_EVERY_BATCHES) * RETENTION_EVERY_BATCHES;
  const oldestKept = retainedAt - retainBatches + 1;
  expect(batches[0]!.plan.batchId, 'retention ran').toBe(oldestKept);
  const handedOver = Object.entries(last.handedOver ?? {});
  const gone = handedOver.filter(([, at]) => at < oldestKept).map(([partition]) => partition);
  expect(gone.length, 'the story hands a parent over before the oldest kept batch').toBeGreaterThan(0);
  for (const partition of gone) expect(await world.ports.state.listVersions(jobId, partition)).toEqual([]);
  const listing = await listCheckpoints(jobId, world.ports);
  const shown = formatCheckpointListing(listing).join('\n');
  for (const partition of gone) {
    const at = last.handedOver![partition]!;
    expect(listing.partitions.find((p) => p.partition === partition)).toMatchObject({ handedOverAt: at, versions: [], bytes: 0 });
    expect(shown).toContain(
      `${partition}  finished at v${last.finished[partition]}, handed over to its children in batch ${at}  0 versions`,
    );
  }
  for (const [partition] of handedOver.filter(([, at]) => at >= oldestKept)) {
    expect((await world.ports.state.listVersions(jobId, partition)).length).toBeGreaterThan(0);
  }

  // Every kept batch replays (in place, same logic): the sink and the state stay exact.
  await replayJob({ jobId, fromBatchId: oldestKept }, { ports: world.ports, job, executorAttempts: 1 });
  const rows = await world.ports.sinks(job.sink).scan();
  expect(new Map(rows.map((r) => [r.key, r.value.value]))).toEqual(expected);
  expect(await stateCounts(world, jobId)).toEqual(expected);

  // A new job from the latest checkpoint copies only the state a later batch can read.
  const into = 'views-copy';
  await replayJob({ jobId, fromBatchId: last.batchId, intoJobId: into }, { ports: world.ports, job, executorAttempts: 1 });
  expect(await stateCounts(world, into)).toEqual(expected);
  for (const partition of gone) expect(await world.ports.state.listVersions(into, partition)).toEqual([]);
}

export function describeReshardScenarios(
  adapter: string,
  makeWorld: ReshardWorldFactory,
  crashes: readonly { point: CrashPoint; batchId: number }[],
): void {
  describe(`Kinesis resharding under a running job (${adapter})`, () => {
    it('split then merge: parents are read to their end first, state follows the keys, the sink is exact', async () => {
      await runStory(await makeWorld('clean'), null);
    });

    it('follows producers that route with ExplicitHashKey when the job declares their routing', async () => {
      const world = await makeWorld('explicit');
      await runStory(world, null, viewsJob(world, { routing: 'explicit' }), 'explicit');
    });

    it('misplaces state when producers route with ExplicitHashKey and the job does not say how (why hashKeyOf exists)', async () => {
      const world = await makeWorld('explicit-undeclared');
      await expect(runStory(world, null, viewsJob(world, { routing: 'explicit-undeclared' }), 'explicit-undeclared')).rejects.toThrow(
        /expected Map/,
      );
    });

    it("migrates a parent's state when its children start under a newer job version", async () => {
      await runVersionChangeAcrossReshard(await makeWorld('versions'));
    });

    it("deletes a parent's state once its hand-over is older than every kept batch; replays still work", async () => {
      await runStoryWithRetention(await makeWorld('retention'));
    });

    for (const crash of crashes) {
      it(`recovers from a crash ${crash.point} in batch ${crash.batchId}, around the reshard`, async () => {
        await runStory(await makeWorld(`${crash.point}-${crash.batchId}`), crash);
      });
    }
  });
}

/** Crash points (of `points`) around the reshard: the batches right after the split (4..6) and after the merge. */
export function reshardCrashes(
  random: () => number,
  count: number,
  points: readonly CrashPoint[] = CRASH_POINTS,
): { point: CrashPoint; batchId: number }[] {
  return Array.from({ length: count }, () => ({
    point: points[Math.floor(random() * points.length)]!,
    batchId: 4 + Math.floor(random() * 8),
  }));
}
