import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { runDriver } from '../../engine/driver/run-driver.js';
import { count, defineJob, dynamoDbSink, kafkaSource } from '../../engine/job/index.js';
import type { JobDefinition } from '../../engine/job/types.js';
import type { EnginePorts } from '../../engine/ports/index.js';
import { BatchStatus } from '../../engine/protocol/batch-records.js';
import { isCaughtUp } from '../../engine/protocol/commit.js';
import { seededRandom } from '../../jobs/clickstream/generate.js';
import { SimulatedCrash, withCrash, type CrashPoint } from '../support/crash.js';
import { keyGroupState } from '../support/key-group-state.js';

/** A Kafka topic a two-stage job reads, whose producers start using more partitions mid-job. */
export interface KeysMoveWorld {
  readonly ports: EnginePorts;
  readonly topic: string;
  readonly sinkTable: string;
  /** The partitions producers use at first (0..n-1). */
  readonly partitionsBefore: number;
  /** Appends records (keyed by their page) to a partition. */
  produce(partition: number, records: readonly { key: string; value: string }[]): Promise<void>;
  /** Gives the topic `partitionsAfter` partitions (a no-op where the topic has them from the start); returns that number. */
  grow(): Promise<number>;
}

export type KeysMoveWorldFactory = (name: string) => Promise<KeysMoveWorld>;

const PAGES = Array.from({ length: 8 }, (_, i) => `/page-${i}`);
const CAP = 25;
const JOB_ID = 'views';

/** A producer's partitioner: a key's partition follows from its hash and the partition count, so keys move when it grows. */
const partitionOf = (key: string, partitions: number) => createHash('md5').update(key).digest().readUInt32BE(0) % partitions;

function views(seed: number, n: number): string[] {
  const random = seededRandom(seed);
  return Array.from({ length: n }, () => PAGES[Math.floor(random() * PAGES.length)]!);
}

function viewsJob(world: KeysMoveWorld): JobDefinition {
  return defineJob({
    name: 'views',
    version: 1,
    source: kafkaSource({ topic: world.topic }),
    pipeline: (events) => events.keyBy((e: { page: string }) => e.page).aggregate(count()),
    sink: dynamoDbSink({ tableName: world.sinkTable }),
    trigger: { type: 'availableNow' },
    maxRecordsPerPartition: CAP,
    checkpoint: { snapshotEvery: 3, retainBatches: 50 },
    keyGroups: 4,
  });
}

/**
 * The story: views routed over the first partitions; two batches (a backlog stays); the
 * topic grows and producers route over every partition, so some pages move to another
 * partition while their older records are still unread; batches; more views; run to the
 * end. A driver may crash in a batch after the growth; a new one recovers. The sink must
 * hold each page's exact count, each page's state be in its own key group only, and no
 * partition hold any.
 */
async function runKeysMoveStory(world: KeysMoveWorld, crash: { point: CrashPoint; batchId: number } | null): Promise<void> {
  const job = viewsJob(world);
  let pending = crash;
  const phase = async (maxBatches?: number) => {
    const limit = maxBatches === undefined ? {} : { maxBatches };
    if (pending !== null) {
      const outcome = await runDriver(job, withCrash(world.ports, pending), { jobId: JOB_ID, executorAttempts: 1, ...limit }).catch(
        (error: unknown) => error,
      );
      if (!(outcome instanceof SimulatedCrash)) {
        if (outcome instanceof Error) throw outcome;
        return;
      }
      pending = null; // fired: a new driver recovers below
    }
    await runDriver(job, world.ports, { jobId: JOB_ID, executorAttempts: 1, ...limit });
  };
  const produce = async (pages: readonly string[], partitions: number) => {
    for (let p = 0; p < partitions; p += 1) {
      const mine = pages.filter((page) => partitionOf(page, partitions) === p);
      if (mine.length > 0)
        await world.produce(
          p,
          mine.map((page) => ({ key: page, value: JSON.stringify({ page }) })),
        );
    }
  };

  const first = views(1, 150);
  await produce(first, world.partitionsBefore);
  await phase(2);
  const backlog = (await world.ports.wal.getLatestBatch(JOB_ID))?.commit;
  expect(backlog !== undefined && !isCaughtUp(backlog), 'records on the first partitions are still unread when keys move').toBe(true);
  const partitionsAfter = await world.grow();
  const moved = PAGES.filter((page) => partitionOf(page, world.partitionsBefore) !== partitionOf(page, partitionsAfter));
  expect(moved.length, 'some pages move to another partition').toBeGreaterThan(0);
  const second = views(2, 150);
  await produce(second, partitionsAfter);
  await phase(3);
  const third = views(3, 100);
  await produce(third, partitionsAfter);
  await phase();
  expect(pending, 'the requested crash point was never reached').toBeNull();

  const expected = new Map<string, number>();
  for (const page of [...first, ...second, ...third]) expected.set(page, (expected.get(page) ?? 0) + 1);
  const rows = await world.ports.sinks(job.sink).scan();
  expect(new Map(rows.map((r) => [r.key, r.value.value]))).toEqual(expected);
  const state = await keyGroupState(world.ports, JOB_ID);
  expect(new Map([...state].map(([stateKey, n]) => [(JSON.parse(stateKey) as [string])[0], n]))).toEqual(expected);

  const batches = await world.ports.wal.listBatches(JOB_ID);
  batches.forEach((b, i) => {
    expect(b.status).toBe(BatchStatus.COMMITTED);
    if (i > 0) expect(b.plan.batchId).toBe(batches[i - 1]!.plan.batchId + 1);
    for (const p of Object.values(b.commit!.partitions)) expect(p.stateVersion).toBe(0);
  });
  expect(batches.at(-1)!.plan.partitions.map((p) => p.partition)).toEqual(Array.from({ length: partitionsAfter }, (_, i) => String(i)));
}

export function describeKafkaKeysMove(
  adapter: string,
  makeWorld: KeysMoveWorldFactory,
  crashes: readonly { point: CrashPoint; batchId: number }[],
): void {
  describe(`Kafka: keys move to other partitions under a running two-stage job (${adapter})`, () => {
    it("producers route over more partitions mid-job: every page's count is exact, its state in its own key group", async () => {
      await runKeysMoveStory(await makeWorld('clean'), null);
    });

    for (const crash of crashes) {
      it(`recovers from a crash ${crash.point} in batch ${crash.batchId}, after the keys moved`, async () => {
        await runKeysMoveStory(await makeWorld(`${crash.point}-${crash.batchId}`), crash);
      });
    }
  });
}
