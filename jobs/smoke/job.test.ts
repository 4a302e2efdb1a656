/**
 * The smoke job on the test harness (#sluice/testing): a running count per key across
 * partitions and batches; a record without a string key is a dead letter.
 */
import { createTestHarness } from '#sluice/testing';
import { describe, expect, it } from 'vitest';
import { smokeJob } from './job.js';

describe('the smoke job', () => {
  it('counts records per key across partitions and batches, and dead-letters records without a key', async () => {
    const t = createTestHarness(smokeJob(), { partitions: ['p0', 'p1'] });
    t.addRecords([{ key: 'a' }, { key: 'b' }], { partition: 'p0' });
    t.addRecords([{ key: 'a' }, { key: 7 }], { partition: 'p1' });
    const first = await t.runBatch();
    expect(first.deadLetters.map((d) => d.stage)).toEqual(['map']);
    t.addRecords([{ key: 'a' }], { partition: 'p1' });
    await t.runBatch();
    expect(Object.values(await t.sinkValues())).toEqual(
      expect.arrayContaining([
        { key: 'a', value: 3 },
        { key: 'b', value: 1 },
      ]),
    );
    expect(Object.keys(await t.sinkValues())).toHaveLength(2);
  });

  it('reads the stream and writes the table its name gives', () => {
    const job = smokeJob({ name: 'smoke-eu' });
    expect(job.source.spec).toMatchObject({ type: 'kinesis', streamName: 'smoke-eu' });
    expect(job.sinks).toEqual([expect.objectContaining({ type: 'dynamodb', tableName: 'smoke-eu' })]);
  });
});
