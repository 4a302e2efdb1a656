import { describe, expect, it } from 'vitest';
import { count, defineJob, kinesisSink, memorySource, userSink, type UserSinkBatch } from '../../../engine/job/index.js';
import { createTestHarness } from '../../../engine/testing/harness.js';

const job = (sink: ReturnType<typeof kinesisSink>) =>
  defineJob({
    name: 'views',
    version: 1,
    source: memorySource({ streamName: 'clicks' }),
    pipeline: (events) => events.keyBy((e) => e.page).aggregate(count()),
    sink,
  });

describe('the test harness with a Kinesis or a user sink', () => {
  it('shows what each batch put on the stream, as a consumer deduping by id sees it', async () => {
    const t = createTestHarness(job(kinesisSink({ streamName: 'views-out' })));
    t.addRecords([{ page: '/a' }, { page: '/a' }, { page: '/b' }]);
    const first = await t.runBatch();
    expect(first.emitted.map((r) => [r.key, r.value.value])).toEqual([
      ['/a', 2],
      ['/b', 1],
    ]);
    t.addRecords([{ page: '/a' }]);
    const second = await t.runBatch();
    expect(second.emitted.map((r) => [r.key, r.value.value])).toEqual([['/a', 3]]);
    expect(await t.sinkValues()).toEqual({ '/a': { key: '/a', value: 3 }, '/b': { key: '/b', value: 1 } });
  });

  it('calls a user sink with each batch and shows its rows', async () => {
    const batches: UserSinkBatch[] = [];
    const t = createTestHarness(job(userSink({ name: 'api', write: async (batch) => void batches.push(batch) })));
    t.addRecords([{ page: '/a' }, { page: '/b' }]);
    const batch = await t.runBatch();
    expect(batch.emitted.map((r) => r.key)).toEqual(['/a', '/b']);
    expect(batches.flatMap((b) => b.rows.map((r) => [b.batchId, r.key]))).toEqual(
      expect.arrayContaining([
        [1, '/a'],
        [1, '/b'],
      ]),
    );
    expect(batches.every((b) => b.jobId === 'views' && b.generation === 0)).toBe(true);
  });
});
