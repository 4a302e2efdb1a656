/**
 * A two-stage job through the driver state machines on the local runtime (the Standard
 * driver, its Express child, the Lambda handlers in-process) on DynamoDB Local, kinesalite
 * and s3rver: 256 key groups, more than 128 of them active in a batch (so that stage 2
 * runs several calls through the Map state, each holding many groups), each key's records
 * on several shards, stage 1's outputs both inline and through the exchange in S3. The sink
 * must be exact, every batch committed once, and no exchange object left behind.
 */
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it } from 'vitest';
import type { FinishTaskResult, RouteTaskResult } from '../../engine/driver/tasks.js';
import { count, defineJob, dynamoDbSink, kinesisSource } from '../../engine/job/index.js';
import { JobState } from '../../engine/ports/job-registry.js';
import type { GroupResult, PartitionResult } from '../../engine/protocol/batch-records.js';
import { EXCHANGE_PREFIX } from '../../engine/protocol/exchange-format.js';
import { MAX_KEY_GROUPS } from '../../engine/protocol/key-groups.js';
import { GROUP_BYTES, STAGE_TWO_SLOT_BYTES } from '../../engine/protocol/stage-two.js';
import { CostMeter } from '../../bench/cost-meter.js';
import { RequestCounter } from '../../bench/request-counter.js';
import { TASK_STATES } from '../../infra/state-machines/definitions.js';
import { LocalDriver } from '../../local/driver-runtime.js';
import { appendToShard, shardHashKeys, testAwsClients } from '../support/aws.js';
import { createAwsJobWorld } from '../support/job-world-aws.js';

const SHARDS = 4;
const KEY_GROUPS = MAX_KEY_GROUPS;
const KEYS = 400;
const MAX_RECORDS = 130;
/** Long keys: a first batch's stage-1 output per shard is too large to travel inline, the last one's is not. */
const keyOf = (i: number) => `key-${String(i).padStart(3, '0')}-${'x'.repeat(150)}`;

const drivers: LocalDriver[] = [];
afterEach(async () => {
  await Promise.all(drivers.splice(0).map((d) => d.close()));
});

describe('a two-stage job through the driver state machines (AWS adapters on the local stand-ins)', { timeout: 180_000 }, () => {
  it('counts every key exactly, with more than 128 key groups active, coalesced into several stage-2 calls', async () => {
    const { ports, registry, bucket, sinkTable, streamName } = await createAwsJobWorld({ shards: SHARDS });

    // Key i has 2 to 4 records, each on another shard.
    const hashKeys = await shardHashKeys(streamName);
    const shards = [...hashKeys.keys()].sort();
    const produced = new Map<string, number>();
    const perShard = new Map<string, { key: string; data: Uint8Array }[]>(shards.map((s) => [s, []]));
    const encoder = new TextEncoder();
    for (let round = 0; round < 4; round += 1) {
      for (let i = 0; i < KEYS; i += 1) {
        if (round >= 2 + (i % 3)) continue;
        const k = keyOf(i);
        perShard.get(shards[(i + round) % SHARDS]!)!.push({ key: k, data: encoder.encode(JSON.stringify({ k })) });
        produced.set(k, (produced.get(k) ?? 0) + 1);
      }
    }
    for (const [shard, records] of perShard) await appendToShard(streamName, shard, records, hashKeys);

    const job = defineJob({
      name: 'two-stage-counts',
      version: 1,
      source: kinesisSource({ streamName, startingPosition: 'EARLIEST' }),
      decode: 'json',
      pipeline: (events) => events.keyBy((e: { k: string }) => e.k).aggregate(count()),
      sink: dynamoDbSink({ tableName: sinkTable }),
      trigger: { type: 'availableNow' },
      maxRecordsPerPartition: MAX_RECORDS,
      keyGroups: KEY_GROUPS,
    });

    const meter = new CostMeter(new RequestCounter());
    const routes: { results: PartitionResult[]; slots: number[][] }[] = [];
    const slotCalls: { groups: number[]; results: GroupResult[] }[] = [];
    const commits = new Map<number, number>();
    const driver = new LocalDriver({
      ports,
      registry,
      catalog: { 'two-stage-counts': { description: 'a count per key in 256 key groups', create: () => job } },
      retryDelayMs: 1,
      observer: {
        onTransition: (type, execution, state) => meter.onTransition(type, execution, state),
        onLambda: (fn, ms) => meter.onLambda(fn, ms),
        onTaskResult: (state, input, output) => {
          if (state === TASK_STATES.route) {
            routes.push({ results: (input as { results: PartitionResult[] }).results, slots: (output as RouteTaskResult).slots });
          } else if (state === TASK_STATES.executeGroups) {
            slotCalls.push({ groups: (input as { groups: number[] }).groups, results: output as GroupResult[] });
          } else if (state === TASK_STATES.finish && (output as FinishTaskResult).batch.committedNow) {
            const { batchId } = (output as FinishTaskResult).batch;
            commits.set(batchId, (commits.get(batchId) ?? 0) + 1);
          }
        },
      },
    });
    drivers.push(driver);

    await driver.launch({ jobId: 'two-stage', jobName: 'two-stage-counts' });
    const ended = await driver.waitForJob('two-stage', 150_000);
    expect(ended, JSON.stringify(ended)).toMatchObject({ state: JobState.STOPPED, reason: 'caught-up' });
    await driver.stepFunctions.settled();

    // Exact: every key's count is the number of its records, from whichever shards.
    const rows = await ports.sinks(job.sink).scan();
    expect(rows).toHaveLength(produced.size);
    expect(Object.fromEntries(rows.map((r) => [r.key, r.value.value]))).toEqual(Object.fromEntries(produced));
    expect(await ports.deadLetters.list('two-stage')).toEqual([]);

    // Every batch went through Route and stage 2, and was committed once.
    const batches = await ports.wal.listBatches('two-stage');
    expect(batches.length).toBeGreaterThanOrEqual(2);
    expect(batches.every((b) => b.status === 'COMMITTED' && b.plan.keyGroups === KEY_GROUPS)).toBe(true);
    expect([...commits.keys()].sort((a, b) => a - b)).toEqual(batches.map((b) => b.plan.batchId));
    expect([...commits.values()].every((n) => n === 1)).toBe(true);
    expect(routes).toHaveLength(batches.length);

    // More than 128 active groups weigh more than one slot (GROUP_BYTES each at least, up to
    // STAGE_TWO_SLOT_BYTES a slot: stageTwoSlots), so stage 2 ran several calls, each of
    // contiguous groups in order: coalesced, not one call per group.
    const busiest = routes.reduce((a, b) => (b.slots.flat().length > a.slots.flat().length ? b : a));
    const active = busiest.slots.flat();
    expect(active.length).toBeGreaterThan(STAGE_TWO_SLOT_BYTES / GROUP_BYTES);
    expect(busiest.slots.length).toBeGreaterThanOrEqual(2);
    expect(busiest.slots.length).toBeLessThanOrEqual(Math.ceil((active.length * GROUP_BYTES * 2) / STAGE_TWO_SLOT_BYTES));
    // Each group here weighs under 2 × GROUP_BYTES, so every slot but the last is filled past
    // STAGE_TWO_SLOT_BYTES - 2 × GROUP_BYTES: over 60 groups.
    for (const slot of busiest.slots.slice(0, -1)) expect(slot.length).toBeGreaterThan(60);
    expect(active).toEqual([...active].sort((a, b) => a - b));
    expect(new Set(active).size).toBe(active.length);
    expect(slotCalls.length).toBe(routes.reduce((n, r) => n + r.slots.length, 0));
    for (const call of slotCalls) expect(call.results.map((r) => r.group)).toEqual(call.groups);

    // Stage 1's output went both ways, and the exchange objects were deleted with their commit.
    const stageOne = routes.flatMap((r) => r.results);
    expect(stageOne.some((r) => r.exchange?.objectKey !== undefined)).toBe(true);
    expect(stageOne.some((r) => r.exchange?.inline !== undefined)).toBe(true);
    const left = await testAwsClients().s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: EXCHANGE_PREFIX }));
    expect(left.KeyCount ?? 0).toBe(0);

    // The cost meter counts the new calls.
    const counted = meter.counts();
    expect(counted.lambda.route.invocations).toBe(routes.length);
    expect(counted.lambda.executeGroups.invocations).toBe(slotCalls.length);
    expect(counted.lambda.execute.invocations).toBe(batches.length * SHARDS);
  });
});
