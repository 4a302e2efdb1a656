/**
 * The read budget of a range (engine/executor/read-range.ts) on the stand-ins: a shard of
 * large records read through KinesisSourceReader (kinesalite), the range ends recorded in
 * the DynamoDB WAL (DynamoDB Local), the sink in DynamoDB. Each batch stops at the byte
 * budget; a retry after the range end was recorded reads exactly that range and does not
 * take the shard for caught up, so the available-now job reads every record once.
 */
import { describe, expect, it } from 'vitest';
import { runDriver } from '../../engine/driver/run-driver.js';
import { runPartition } from '../../engine/executor/run-partition.js';
import { count, defineJob, dynamoDbSink, kinesisSource } from '../../engine/job/index.js';
import { appendToShard, createTestPorts, createTestSinkTable, createTestStream, shardHashKeys } from '../support/aws.js';

/** 40 records of about 20 KB each on one shard, a view of one of three pages each. */
const RECORDS = 40;
const PAD = 'x'.repeat(20_000);

describe('the read budget on the stand-ins', () => {
  it('cuts batches at the byte budget, survives a retry after the range end was recorded, and counts every record once', async () => {
    const [ports, sinkTable, streamName] = await Promise.all([createTestPorts(), createTestSinkTable(), createTestStream(1)]);
    const keys = await shardHashKeys(streamName);
    const [shard] = [...keys.keys()] as [string];
    const encoder = new TextEncoder();
    await appendToShard(
      streamName,
      shard,
      Array.from({ length: RECORDS }, (_, i) => ({
        key: `u${i}`,
        data: encoder.encode(JSON.stringify({ page: `page-${i % 3}`, pad: PAD })),
      })),
      keys,
    );
    const job = defineJob<{ page: string }>({
      name: 'big-views',
      version: 1,
      source: kinesisSource({ streamName, startingPosition: 'EARLIEST' }),
      pipeline: (s) => s.keyBy((e) => e.page).aggregate(count()),
      sink: dynamoDbSink({ tableName: sinkTable }),
      trigger: { type: 'availableNow' },
    });
    // About ten records a batch; batch 2's first attempt dies once its range end is recorded.
    const readBudget = { maxBytes: 200_000, maxReadMs: 30_000 };
    let crashed = false;
    const perBatch: number[] = [];
    const outcome = await runDriver(job, ports, {
      runExecutor: async (input) => {
        const result = await runPartition(input, { ports, job, readBudget });
        if (input.batchId === 2 && !crashed) {
          crashed = true;
          throw new Error('the executor died after recording its range end');
        }
        return result;
      },
      onBatch: ({ commit }) => perBatch.push(commit.metrics.records),
    });
    expect(crashed).toBe(true);
    expect(outcome.stoppedBy).toBe('caught-up');
    expect(perBatch.reduce((a, b) => a + b, 0)).toBe(RECORDS);
    expect(perBatch.filter((n) => n > 0).length).toBeGreaterThanOrEqual(4);
    expect(Math.max(...perBatch)).toBeLessThanOrEqual(11);
    const rows = await ports.sinks(job.sink).scan();
    expect(Object.fromEntries(rows.map((r) => [r.key, r.value.value]))).toEqual({ 'page-0': 14, 'page-1': 13, 'page-2': 13 });
    // Batch 2's range-end record says the shard had more; its commit says it was not caught up.
    expect(await ports.wal.getRangeEnd(job.name, 2, shard)).toMatchObject({ more: true });
    expect((await ports.wal.getBatch(job.name, 2))?.commit?.partitions[shard]?.caughtUp).toBe(false);
  });
});
