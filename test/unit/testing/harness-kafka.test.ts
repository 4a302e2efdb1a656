import { describe, expect, it } from 'vitest';
import { count, defineJob, kafkaSource, memorySink } from '../../../engine/job/index.js';
import { createTestHarness } from '../../../engine/testing/harness.js';

describe('the test harness with a Kafka job', () => {
  it('runs it on the memory twin of Kafka: ranges fixed in the plan, offsets from 0, capped per partition', async () => {
    const job = defineJob({
      name: 'orders',
      version: 1,
      source: kafkaSource({ topic: 'orders' }),
      pipeline: (events) => events.keyBy((e: { customer: string }) => e.customer).aggregate(count()),
      sink: memorySink({ name: 'orders' }),
      maxRecordsPerPartition: 2,
    });
    const t = createTestHarness(job, { partitions: ['0', '1'] });
    t.addRecords([{ customer: 'a' }, { customer: 'a' }, { customer: 'a' }], { partition: '0' });
    t.addRecords([{ customer: 'b' }], { partition: '1' });

    const first = await t.runBatch();
    expect(first.records).toBe(3);
    const plan = (await t.ports.wal.getBatch(t.jobId, first.batchId))!.plan;
    expect(plan.partitions.map((p) => [p.partition, p.start, p.endBefore, p.endIsTail])).toEqual([
      ['0', { type: 'AT_OFFSET', offset: '0' }, '2', false],
      ['1', { type: 'AT_OFFSET', offset: '0' }, '1', true],
    ]);
    expect(await t.ports.wal.getRangeEnd(t.jobId, first.batchId, '0')).toBeNull();

    const second = await t.runBatch();
    expect(second.records).toBe(1);
    expect(await t.sinkValues()).toMatchObject({ a: { value: 3 }, b: { value: 1 } });
  });
});
