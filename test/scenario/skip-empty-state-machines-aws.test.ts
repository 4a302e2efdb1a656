/**
 * The skipped trigger through the driver state machines on the local runtime (the Standard
 * driver, its Express child, the Lambda handlers in-process) on DynamoDB Local, kinesalite
 * and s3rver: a caught-up interval job's triggers plan nothing (Plan answers idle, the
 * child routes it through Idle), records that arrive are read by the next trigger's batch,
 * and a stop ends the idle job. The WAL holds only batches that read records.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { FinishTaskResult, PlanTaskResult } from '../../engine/driver/tasks.js';
import { count, defineJob, dynamoDbSink, kinesisSource } from '../../engine/job/index.js';
import { JobState } from '../../engine/ports/job-registry.js';
import { TASK_STATES } from '../../infra/state-machines/definitions.js';
import { LocalDriver } from '../../local/driver-runtime.js';
import { appendToShard, shardHashKeys } from '../support/aws.js';
import { createAwsJobWorld } from '../support/job-world-aws.js';

const drivers: LocalDriver[] = [];
afterEach(async () => {
  await Promise.all(drivers.splice(0).map((d) => d.close()));
});

async function until(what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('the skipped trigger through the driver state machines (AWS adapters on the local stand-ins)', { timeout: 120_000 }, () => {
  it('skips the triggers of a caught-up job, writing nothing, and reads records that arrive on the next one', async () => {
    const { ports, registry, sinkTable, streamName } = await createAwsJobWorld({ shards: 2 });
    const hashKeys = await shardHashKeys(streamName);
    const shards = [...hashKeys.keys()].sort();
    const enc = new TextEncoder();
    const append = (shard: string, keys: string[]) =>
      appendToShard(
        streamName,
        shard,
        keys.map((k) => ({ key: k, data: enc.encode(JSON.stringify({ k })) })),
        hashKeys,
      );
    await append(shards[0]!, ['a', 'b', 'a']);
    await append(shards[1]!, ['c']);

    const job = defineJob({
      name: 'skip-counts',
      version: 1,
      source: kinesisSource({ streamName, startingPosition: 'EARLIEST' }),
      decode: 'json',
      pipeline: (events) => events.keyBy((e: { k: string }) => e.k).aggregate(count()),
      sink: dynamoDbSink({ tableName: sinkTable }),
      trigger: { type: 'interval', intervalMs: 1 },
    });
    const trail: string[] = [];
    const driver = new LocalDriver({
      ports,
      registry,
      catalog: { 'skip-counts': { description: 'a count per key', create: () => job } },
      retryDelayMs: 1,
      // No parking here: the job idles in its Express loop.
      settings: { parkAfterIdleMs: 0 },
      observer: {
        onTaskResult: (state, _input, output) => {
          if (state === TASK_STATES.plan && (output as PlanTaskResult).idle) trail.push('idle');
          if (state === TASK_STATES.finish) trail.push(`batch ${(output as FinishTaskResult).batch.metrics.records}`);
        },
      },
    });
    drivers.push(driver);
    const counts = async () => Object.fromEntries((await ports.sinks(job.sink).scan()).map((r) => [r.key, r.value.value]));

    await driver.launch({ jobId: 'skip', jobName: 'skip-counts', trigger: { type: 'interval', intervalMs: 1, maxIdleIntervalMs: 20 } });
    await until('three triggers were skipped', () => trail.filter((t) => t === 'idle').length >= 3);
    expect(trail[0]).toBe('batch 4');
    expect((await ports.wal.listBatches('skip')).map((b) => [b.plan.batchId, b.status])).toEqual([[1, 'COMMITTED']]);
    expect(await counts()).toEqual({ a: 2, b: 1, c: 1 });

    await append(shards[1]!, ['a', 'd']);
    await until('a batch read the new records', () => trail.includes('batch 2'));
    await until('the next trigger was skipped', () => trail.at(-1) === 'idle');
    expect(await counts()).toEqual({ a: 3, b: 1, c: 1, d: 1 });
    const batches = await ports.wal.listBatches('skip');
    expect(batches.map((b) => [b.plan.batchId, b.status, b.commit?.metrics.records])).toEqual([
      [1, 'COMMITTED', 4],
      [2, 'COMMITTED', 2],
    ]);
    expect(trail.filter((t) => t.startsWith('batch'))).toEqual(['batch 4', 'batch 2']);

    await driver.requestStop('skip');
    expect(await driver.waitForJob('skip', 30_000)).toMatchObject({ state: JobState.STOPPED });
    expect(await ports.wal.listBatches('skip')).toHaveLength(2);
  });
});
