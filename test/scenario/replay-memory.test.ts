import { describe, expect, it } from 'vitest';
import { createMemoryPorts } from '../../engine/adapters/memory/index.js';
import { runDriver } from '../../engine/driver/run-driver.js';
import { count, defineJob, kafkaSource, kinesisSource, memorySink } from '../../engine/job/index.js';
import { replayJob } from '../../engine/replay/replay-job.js';
import { CRASH_POINTS, SimulatedCrash, withCrash } from '../support/crash.js';
import { describeRegroupScenarios } from './regroup.scenario.js';
import { describeKeyGroupReplayScenarios } from './replay-key-groups.scenario.js';
import { describeReplayScenarios } from './replay.scenario.js';
import { describeJobVersionScenarios } from './replay-versions.scenario.js';
import { CAP, userCounts, userOf, type ReplayWorldFactory } from './replay-world.js';

const memoryWorld: ReplayWorldFactory = async () => {
  const ports = createMemoryPorts();
  const partitions = ['shard-0', 'shard-1'];
  ports.source.createStream('clicks', partitions);
  const encoder = new TextEncoder();
  let tables = 0;
  return {
    ports,
    streamName: 'clicks',
    async append(index, payloads) {
      ports.source.append(
        'clicks',
        partitions[index]!,
        payloads.map((p) => ({ key: userOf(p), data: encoder.encode(p) })),
      );
    },
    async sinkTable() {
      tables += 1;
      return `table-${tables}`;
    },
  };
};

describeReplayScenarios('memory adapters', memoryWorld, { crashPoints: CRASH_POINTS });
describeKeyGroupReplayScenarios('memory adapters', memoryWorld, { crashPoints: CRASH_POINTS });
describeRegroupScenarios('memory adapters', memoryWorld);
describeJobVersionScenarios('memory adapters', memoryWorld);

describe('replay of a source with ranges fixed at plan time (Kafka-style, memory)', () => {
  it('keeps every fixed range, records no range end, and gets exactly the new result', async () => {
    const ports = createMemoryPorts();
    ports.kafka.createStream('topic', ['0', '1']);
    const encoder = new TextEncoder();
    const input: { user: string; ok: boolean }[][] = [[], []];
    for (let p = 0; p < 2; p += 1) {
      for (let i = 0; i < 45; i += 1) input[p]!.push({ user: `u${p}-${i % 3}`, ok: i % 4 !== 0 });
      ports.kafka.append(
        'topic',
        String(p),
        input[p]!.map((e) => ({ key: e.user, data: encoder.encode(JSON.stringify(e)) })),
      );
    }
    const job = (fixed: boolean) =>
      defineJob({
        name: 'kafka-counts',
        version: 1,
        source: kafkaSource({ topic: 'topic' }),
        pipeline: (events) =>
          (fixed ? events.filter((e: { ok: boolean }) => e.ok) : events).keyBy((e: { user: string }) => e.user).aggregate(count()),
        sink: memorySink({ name: 'kafka-out' }),
        trigger: { type: 'availableNow' },
        maxRecordsPerPartition: CAP,
      });
    await runDriver(job(false), ports, { jobId: 'k', executorAttempts: 1 });
    const before = await ports.wal.listBatches('k');
    expect(before[1]!.plan.partitions.every((p) => p.endBefore !== undefined)).toBe(true);

    await replayJob({ jobId: 'k', fromBatchId: 2 }, { ports, job: job(true), executorAttempts: 1 });
    const after = await ports.wal.listBatches('k');
    for (const b of after.slice(2)) {
      const first = before[b.plan.batchId - 1]!.plan.partitions;
      expect(b.plan.partitions.map((p) => [p.start, p.endBefore])).toEqual(first.map((p) => [p.start, p.endBefore]));
      for (const p of b.plan.partitions) expect(await ports.wal.getRangeEnd('k', b.plan.batchId, p.partition)).toBeNull();
    }
    const expected = new Map<string, number>();
    input.forEach((events) => events.forEach((e, i) => (i < 2 * CAP || e.ok) && expected.set(e.user, (expected.get(e.user) ?? 0) + 1)));
    const rows = await ports.sink({ type: 'memory', name: 'kafka-out' }).scan();
    expect(new Map(rows.map((r) => [r.key, r.value.value]))).toEqual(expected);
  });
});

describe('replay with a short retention (memory)', () => {
  it('finishes a replay that crashed after retention deleted batch N and its first replayed batches', async () => {
    const ports = createMemoryPorts();
    ports.source.createStream('clicks', ['shard-0']);
    const encoder = new TextEncoder();
    const events = Array.from({ length: 13 * CAP }, (_, i) => ({ user: `u${i % 5}`, ok: i % 3 !== 0 }));
    ports.source.append(
      'clicks',
      'shard-0',
      events.map((e) => ({ key: e.user, data: encoder.encode(JSON.stringify(e)) })),
    );
    await runDriver(userCounts({ streamName: 'clicks', sinkTable: 'out' }), ports, { jobId: 'short', executorAttempts: 1 });
    expect((await ports.wal.listBatches('short')).map((b) => b.plan.batchId)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);

    // The fixed job keeps 2 batches: its retention at batch 10 deletes batches 3..8. The replay dies in batch 12.
    const fixed = userCounts({ streamName: 'clicks', sinkTable: 'out', fixed: true, retainBatches: 2 });
    const crashing = withCrash(ports, { point: 'after-plan', batchId: 12 });
    await expect(
      replayJob({ jobId: 'short', fromBatchId: 3 }, { ports: crashing, job: fixed, executorAttempts: 1 }),
    ).rejects.toBeInstanceOf(SimulatedCrash);
    expect(await ports.wal.getBatch('short', 3)).toBeNull();
    await replayJob({ jobId: 'short', fromBatchId: 3 }, { ports, job: fixed, executorAttempts: 1 });
    const expected = new Map<string, number>();
    events.forEach((e, i) => (i < 3 * CAP || e.ok) && expected.set(e.user, (expected.get(e.user) ?? 0) + 1));
    const rows = await ports.sink({ type: 'dynamodb', tableName: 'out' }).scan();
    expect(new Map(rows.map((r) => [r.key, r.value.value]))).toEqual(expected);
    expect((await ports.wal.listReplays('short'))[0]!.finishedAt).not.toBeNull();
  });
});

describe("regroup of a job that declared keyedBy: 'partitionKey' (memory)", () => {
  it('moves its per-partition state into key groups, with nothing to merge, and the job goes on in them', async () => {
    const ports = createMemoryPorts();
    ports.source.createStream('clicks', ['shard-0', 'shard-1']);
    const encoder = new TextEncoder();
    // Each user's clicks on one partition, under the user as the partition key.
    const append = (from: number, to: number) => {
      for (let i = from; i < to; i += 1) {
        const user = `u${i % 6}`;
        ports.source.append('clicks', i % 6 < 3 ? 'shard-0' : 'shard-1', [
          { key: user, data: encoder.encode(JSON.stringify({ user, ok: i % 4 !== 0 })) },
        ]);
      }
    };
    append(0, 80);
    const job = (grouped: boolean) =>
      defineJob({
        name: 'keyed-clicks',
        version: 1,
        source: kinesisSource({ streamName: 'clicks' }),
        pipeline: (events) =>
          (grouped ? events.filter((e: { ok: boolean }) => e.ok) : events).keyBy((e: { user: string }) => e.user).aggregate(count()),
        sink: memorySink({ name: 'keyed-out' }),
        trigger: { type: 'availableNow' },
        maxRecordsPerPartition: CAP,
        ...(grouped ? { keyGroups: 4 } : { keyedBy: 'partitionKey' as const }),
      });
    await runDriver(job(false), ports, { jobId: 'k', executorAttempts: 1 });
    expect(await ports.deadLetters.list('k')).toEqual([]);

    const outcome = await replayJob({ jobId: 'k', fromBatchId: 2, regroup: true }, { ports, job: job(true), executorAttempts: 1 });
    expect(outcome.scope.regroup).toMatchObject({ fromKeyGroups: null, keyGroups: 4, read: { mergedKeys: 0, rows: 6 } });
    append(80, 100);
    await runDriver(job(true), ports, { jobId: 'k', executorAttempts: 1 });
    expect((await ports.wal.getLatestBatch('k'))!.plan.keyGroups).toBe(4);

    // Every click counted up to batch 2 (10 per partition per batch), the ok ones after.
    const expected = new Map<string, number>();
    const seen = new Map<string, number>();
    for (let i = 0; i < 100; i += 1) {
      const partition = i % 6 < 3 ? 0 : 1;
      const position = seen.get(String(partition)) ?? 0;
      seen.set(String(partition), position + 1);
      const user = `u${i % 6}`;
      if (position < 2 * CAP || i % 4 !== 0) expected.set(user, (expected.get(user) ?? 0) + 1);
    }
    const rows = await ports.sink({ type: 'memory', name: 'keyed-out' }).scan();
    expect(new Map(rows.map((r) => [r.key, r.value.value]))).toEqual(expected);
  });
});
