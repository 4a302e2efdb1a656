/**
 * Records that age out of a Kafka topic before the job reads them (Spark's
 * failOnDataLoss), and partitions added to a topic while a job runs.
 *
 * On the memory twin of Kafka, retention is MemorySource.trim and new partitions are
 * MemorySource.addPartitions. On librdkafka's mock cluster neither exists (no
 * DeleteRecords, no retention, no CreatePartitions), so retention is simulated at the
 * client boundary as in test/contract/kafka-source-reader.test.ts: the admin API reports a
 * raised log start offset, a fetch below it gets the broker's real OFFSET_OUT_OF_RANGE.
 * A range the job still reads after a skip can also end at its plan's byte bound.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { KafkaClients } from '../../engine/adapters/kafka/kafka-clients.js';
import { KafkaSourceReader, type KafkaAdmin } from '../../engine/adapters/kafka/kafka-source-reader.js';
import { createMemoryPorts } from '../../engine/adapters/memory/index.js';
import { commitBatch } from '../../engine/driver/commit-batch.js';
import { runStageTwo } from '../../engine/driver/run-driver.js';
import { planBatch } from '../../engine/driver/plan-batch.js';
import { runDriver } from '../../engine/driver/run-driver.js';
import { startDriver } from '../../engine/driver/start-driver.js';
import { runKeyGroups } from '../../engine/executor/run-key-groups.js';
import { runPartition } from '../../engine/executor/run-partition.js';
import { DataLossError } from '../../engine/errors.js';
import { count, defineJob, dynamoDbSink, kafkaSource } from '../../engine/job/index.js';
import type { JobDefinition } from '../../engine/job/types.js';
import type { EnginePorts } from '../../engine/ports/index.js';
import { seededRandom } from '../../jobs/clickstream/generate.js';
import { createTestPorts, createTestSinkTable } from '../support/aws.js';
import { uniqueTopic, useKafkaMock } from '../support/kafka.js';

const CAP = 25;
const PAGES = ['/a', '/b', '/c', '/d', '/e'];

/** Views per page over all time; the key of a record is its page. */
function viewsJob(topic: string, sinkTable: string, failOnDataLoss?: boolean): JobDefinition {
  return defineJob({
    name: 'views',
    version: 1,
    source: kafkaSource({ topic, ...(failOnDataLoss === undefined ? {} : { failOnDataLoss }) }),
    pipeline: (events) => events.keyBy((e: { page: string }) => e.page).aggregate(count()),
    sink: dynamoDbSink({ tableName: sinkTable }),
    trigger: { type: 'availableNow' },
    maxRecordsPerPartition: CAP,
    checkpoint: { snapshotEvery: 3, retainBatches: 50 },
  });
}

/** `n` records for one partition; partition p uses its own pages (a key lives in one partition). */
function pages(partition: number, n: number, seed: number): string[] {
  const rnd = seededRandom(seed);
  return Array.from({ length: n }, () => `/p${partition}${PAGES[Math.floor(rnd() * PAGES.length)]}`);
}

function countsOf(views: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const page of views) counts.set(page, (counts.get(page) ?? 0) + 1);
  return counts;
}

async function sinkCounts(ports: EnginePorts, job: JobDefinition): Promise<Map<string, number>> {
  const rows = await ports.sinks(job.sink).scan();
  return new Map(rows.map((r) => [r.key, r.value.value as number]));
}

const json = (page: string) => JSON.stringify({ page });

/** A Kafka world: produce to partitions, age out the front of a partition, run the job. */
interface World {
  readonly ports: EnginePorts;
  readonly sinkTable: string;
  readonly topic: string;
  produce(partition: number, pages: readonly string[]): Promise<void>;
  ageOut(partition: number, before: number): Promise<void>;
}

function describeDataLoss(adapter: string, makeWorld: () => Promise<World>): void {
  describe(`records that aged out before they were read (${adapter})`, () => {
    /** Batch 1 reads offsets [0, 25) of each partition; then offsets below 60 of partition 0 age out. */
    async function agedWorld(failOnDataLoss: boolean | undefined) {
      const world = await makeWorld();
      const p0 = pages(0, 100, 1);
      const p1 = pages(1, 40, 2);
      await world.produce(0, p0);
      await world.produce(1, p1);
      const job = viewsJob(world.topic, world.sinkTable, failOnDataLoss);
      const first = await runDriver(job, world.ports, { jobId: 'views', executorAttempts: 1, maxBatches: 1 });
      expect(first.stoppedBy).toBe('max-batches');
      await world.ageOut(0, 60);
      return { world, job, p0, p1 };
    }

    it('stops the job with a clear DataLossError by default, planning nothing past the last commit', async () => {
      const { world, job, p0, p1 } = await agedWorld(undefined);
      const error = await runDriver(job, world.ports, { jobId: 'views', executorAttempts: 1 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DataLossError);
      expect((error as DataLossError).message).toMatch(/offsets 25 to 60 of (partition )?0 .*aged out/);
      expect((error as DataLossError).context).toMatchObject({ partition: '0', offset: '25' });
      const batches = await world.ports.wal.listBatches('views');
      expect(batches.map((b) => [b.plan.batchId, b.status])).toEqual([[1, 'COMMITTED']]);
      expect(await sinkCounts(world.ports, job)).toEqual(countsOf([...p0.slice(0, CAP), ...p1.slice(0, CAP)]));
      // It stays stopped: a new driver meets the same loss (nothing is skipped behind the user's back).
      await expect(runDriver(job, world.ports, { jobId: 'views', executorAttempts: 1 })).rejects.toBeInstanceOf(DataLossError);
    });

    it('with failOnDataLoss false, skips to the earliest offset held and records the skip in the WAL and the metrics', async () => {
      const { world, job, p0, p1 } = await agedWorld(false);
      const outcome = await runDriver(job, world.ports, { jobId: 'views', executorAttempts: 1 });
      expect(outcome.stoppedBy).toBe('caught-up');
      const batches = await world.ports.wal.listBatches('views');
      const second = batches.find((b) => b.plan.batchId === 2)!;
      const p0Plan = second.plan.partitions.find((p) => p.partition === '0')!;
      expect(p0Plan).toMatchObject({ start: { type: 'AT_OFFSET', offset: '60' }, endBefore: '85', skipped: { from: '25', to: '60' } });
      expect(second.plan.partitions.find((p) => p.partition === '1')!.skipped).toBeUndefined();
      expect(second.commit!.metrics.skippedOffsets).toBe(35);
      expect(batches.reduce((sum, b) => sum + b.commit!.metrics.skippedOffsets, 0)).toBe(35);
      expect(batches.reduce((sum, b) => sum + b.commit!.metrics.records, 0)).toBe(100 - 35 + 40);
      expect(batches.every((b) => b.status === 'COMMITTED')).toBe(true);
      // Exactly what was still there: partition 0 without [25, 60), all of partition 1.
      expect(await sinkCounts(world.ports, job)).toEqual(countsOf([...p0.slice(0, 25), ...p0.slice(60), ...p1]));
    });

    it('ranges that end at their plan’s byte bound, after a skip, read every record still held once', async () => {
      const { world, job, p0, p1 } = await agedWorld(false);
      // About 9 of the 17-byte records a range, against a cap of 25.
      const readBudget = { maxBytes: 150, maxReadMs: 1_000 };
      const outcome = await runDriver(job, world.ports, { jobId: 'views', executorAttempts: 1, readBudget });
      expect(outcome.stoppedBy).toBe('caught-up');
      const batches = (await world.ports.wal.listBatches('views')).slice(1);
      const cuts = batches.flatMap((b) => Object.values(b.commit!.partitions).filter((p) => p.end.cutBefore !== undefined));
      expect(cuts.length).toBeGreaterThanOrEqual(4);
      for (const cut of cuts) expect(cut).toMatchObject({ caughtUp: false, nextStart: { type: 'AT_OFFSET', offset: cut.end.cutBefore } });
      expect(batches[0]!.plan.partitions.find((p) => p.partition === '0')).toMatchObject({
        skipped: { from: '25', to: '60' },
        maxBytes: 150,
      });
      expect(await sinkCounts(world.ports, job)).toEqual(countsOf([...p0.slice(0, 25), ...p0.slice(60), ...p1]));
    });

    /** Batch 1 commits [0, 25); batch 2 is planned as [25, 50) of partition 0; then offsets below 40 age out. */
    async function agedAfterPlan(failOnDataLoss: boolean | undefined) {
      const world = await makeWorld();
      const p0 = pages(0, 100, 3);
      const p1 = pages(1, 40, 4);
      await world.produce(0, p0);
      await world.produce(1, p1);
      const job = viewsJob(world.topic, world.sinkTable, failOnDataLoss);
      await runDriver(job, world.ports, { jobId: 'views', executorAttempts: 1, maxBatches: 1 });
      const ctx = { ports: world.ports, job };
      const { epoch } = await startDriver({ jobId: 'views' }, ctx);
      const planned = await planBatch({ jobId: 'views', epoch }, ctx);
      await world.ageOut(0, 40);
      return { world, job, ctx, epoch, planned, p0, p1 };
    }

    it('with failOnDataLoss false, a range that aged out after its plan is read from the earliest offset held, the same on every attempt', async () => {
      const { world, job, ctx, epoch, planned, p0, p1 } = await agedAfterPlan(false);
      const input = { jobId: 'views', batchId: planned.batchId, partition: '0' };
      const first = await runPartition(input, ctx);
      const again = await runPartition(input, ctx);
      expect(first).toMatchObject({ records: 10, skippedOffsets: 15, end: { count: 10, lastOffset: '49', startedAt: '40' } });
      expect(again).toMatchObject({ records: 10, skippedOffsets: 15, end: first.end });
      expect(await world.ports.wal.getRangeEnd('views', planned.batchId, '0')).toMatchObject({ startedAt: '40' });
      const results = await Promise.all(
        planned.partitions.map((partition) => (partition === '0' ? first : runPartition({ ...input, partition }, ctx))),
      );
      const stageTwo = await runStageTwo(planned, results, (groups) =>
        runKeyGroups({ jobId: 'views', batchId: planned.batchId, groups, stageOne: results }, ctx),
      );
      const commit = await commitBatch({ jobId: 'views', epoch, batchId: planned.batchId, results, ...stageTwo }, ctx);
      expect(commit.metrics.skippedOffsets).toBe(15);
      const stored = await world.ports.wal.getBatch('views', planned.batchId);
      expect(stored!.commit!.partitions['0']).toMatchObject({ end: { startedAt: '40' }, nextStart: { type: 'AT_OFFSET', offset: '50' } });

      await runDriver(job, world.ports, { jobId: 'views', executorAttempts: 1 });
      expect(await sinkCounts(world.ports, job)).toEqual(countsOf([...p0.slice(0, 25), ...p0.slice(40), ...p1]));
    });

    it('by default, a range that aged out after its plan stops the job with a DataLossError', async () => {
      const { ctx, planned } = await agedAfterPlan(undefined);
      await expect(runPartition({ jobId: 'views', batchId: planned.batchId, partition: '0' }, ctx)).rejects.toBeInstanceOf(DataLossError);
    });
  });
}

describeDataLoss('memory twin of Kafka', async () => {
  const ports = createMemoryPorts();
  const topic = 'clicks';
  ports.kafka.createStream(topic, ['0', '1']);
  return {
    ports,
    sinkTable: 'views',
    topic,
    produce: async (partition, views) =>
      void ports.kafka.append(
        topic,
        String(partition),
        views.map((page) => ({ key: page, data: new TextEncoder().encode(json(page)) })),
      ),
    ageOut: async (partition, before) => ports.kafka.trim(topic, String(partition), String(before - 1)),
  };
});

const kafkaCluster = useKafkaMock(3);
const opened: KafkaClients[] = [];
afterAll(async () => {
  await Promise.all(opened.map((clients) => clients.close()));
});

describeDataLoss("Kafka on librdkafka's mock cluster, retention simulated", async () => {
  const cluster = kafkaCluster();
  const topic = uniqueTopic('views');
  const [real, sinkTable] = await Promise.all([
    createTestPorts({ kafka: cluster.connection }),
    createTestSinkTable(),
    cluster.createTopic(topic),
  ]);
  const clients = real.kafka!;
  opened.push(clients);
  const agedOut = new Map<string, bigint>();
  const admin = async (): Promise<KafkaAdmin> => {
    const a = await clients.admin();
    return {
      fetchTopicMetadata: (args) => a.fetchTopicMetadata(args),
      fetchTopicOffsetsByTimestamp: (t, ts) => a.fetchTopicOffsetsByTimestamp(t, ts),
      fetchTopicOffsets: async (t) =>
        (await a.fetchTopicOffsets(t)).map((o) => {
          const low = agedOut.get(String(o.partition));
          return low === undefined ? o : { ...o, low: low.toString() };
        }),
    };
  };
  const reader = new KafkaSourceReader({
    topic,
    admin,
    fetch: (request) => {
      const low = agedOut.get(String(request.partition));
      return clients.fetch(low !== undefined && BigInt(request.offset) < low ? { ...request, offset: '1000000000000' } : request);
    },
  });
  const ports: EnginePorts = { ...real, sources: (spec) => (spec.type === 'kafka' && spec.topic === topic ? reader : real.sources(spec)) };
  return {
    ports,
    sinkTable,
    topic,
    produce: async (partition, views) =>
      void (await cluster.produce(
        topic,
        partition,
        views.map((page) => ({ key: page, value: json(page) })),
        { batchSize: 30 },
      )),
    ageOut: async (partition, before) => void agedOut.set(String(partition), BigInt(before)),
  };
});

describe('partitions added to a topic while the job runs (memory twin of Kafka)', () => {
  it('are picked up at the next plan, read from the start the job was given, with exact counts', async () => {
    const ports = createMemoryPorts();
    ports.kafka.createStream('clicks', ['0', '1']);
    const encoder = new TextEncoder();
    const append = (partition: number, views: readonly string[]) =>
      ports.kafka.append(
        'clicks',
        String(partition),
        views.map((page) => ({ key: page, data: encoder.encode(json(page)) })),
      );
    const job = viewsJob('clicks', 'views');
    const all: string[] = [];
    for (const [p, n] of [
      [0, 60],
      [1, 30],
    ] as const) {
      const views = pages(p, n, 10 + p);
      append(p, views);
      all.push(...views);
    }
    await runDriver(job, ports, { jobId: 'views', executorAttempts: 1 });
    const before = await ports.wal.getLatestBatch('views');
    expect(before!.plan.partitions.map((p) => p.partition)).toEqual(['0', '1']);

    ports.kafka.addPartitions('clicks', ['2', '3']);
    for (const [p, n] of [
      [2, 70],
      [3, 5],
      [0, 10],
    ] as const) {
      const views = pages(p, n, 20 + p);
      append(p, views);
      all.push(...views);
    }
    await runDriver(job, ports, { jobId: 'views', executorAttempts: 1 });
    const batches = await ports.wal.listBatches('views');
    const joined = batches.find((b) => b.plan.batchId === before!.plan.batchId + 1)!;
    expect(joined.plan.partitions.map((p) => p.partition)).toEqual(['0', '1', '2', '3']);
    // The job started at EARLIEST: a new partition is read from its first record.
    expect(joined.plan.partitions.find((p) => p.partition === '2')).toMatchObject({
      start: { type: 'AT_OFFSET', offset: '0' },
      endBefore: String(CAP),
      baseStateVersion: 0,
    });
    expect(await sinkCounts(ports, job)).toEqual(countsOf(all));
  });
});
