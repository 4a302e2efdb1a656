/**
 * The fast path (keyedBy: 'partitionKey') through the driver: a job whose keys are its
 * records' partition keys keeps its state per partition, in one stage, and is exact; the
 * same job on records whose partition keys are something else writes no row and sends
 * every record that reaches keyBy to the dead letters (stage 'keyBy').
 */
import { describe, expect, it } from 'vitest';
import { createMemoryPorts } from '../../engine/adapters/memory/index.js';
import { count, defineJob, dynamoDbSink, kinesisSource, tumbling } from '../../engine/job/index.js';
import { CLICKSTREAM_JOB } from '../../jobs/clickstream/job.js';
import type { GeneratedEvent } from '../../jobs/clickstream/generate.js';
import { assertExactlyOnce, runToEnd, SCENARIO_CAP, scenarioEvents, type ScenarioWorld } from '../support/scenario.js';

const events = scenarioEvents();

function world(partitionKeyOf: (e: GeneratedEvent, i: number) => string, options: { deadLetterLimit?: false } = {}): ScenarioWorld {
  const ports = createMemoryPorts();
  const job = defineJob({
    name: 'page-views',
    version: 1,
    source: kinesisSource({ streamName: 'clicks', startingPosition: 'EARLIEST' }),
    pipeline: (clicks) =>
      clicks
        .map((e: { page?: unknown; ts?: unknown }) => {
          if (typeof e.page !== 'string' || typeof e.ts !== 'number') throw new TypeError('a click needs a page and a ts');
          return { page: e.page, ts: e.ts };
        })
        .withWatermark((e) => e.ts, { allowedLatenessMs: CLICKSTREAM_JOB.allowedLatenessMs })
        .keyBy((e) => e.page)
        .window(tumbling({ sizeMs: CLICKSTREAM_JOB.windowMs }))
        .aggregate(count()),
    sink: dynamoDbSink({ tableName: 'views' }),
    trigger: { type: 'availableNow' },
    maxRecordsPerPartition: SCENARIO_CAP,
    keyedBy: 'partitionKey',
    ...options,
  });
  const ids = ['shard-0', 'shard-1', 'shard-2'];
  ports.source.createStream('clicks', ids);
  const encoder = new TextEncoder();
  ids.forEach((id, p) => {
    const mine = events.filter((e) => e.partitionIndex === p);
    ports.source.append(
      'clicks',
      id,
      mine.map((e, i) => ({ key: partitionKeyOf(e, i), data: encoder.encode(e.payload) })),
    );
  });
  return { ports, job, jobId: 'views' };
}

describe("the fast path, keyedBy: 'partitionKey', through the driver (memory adapters)", () => {
  it('keys that are the partition keys: one stage, state per partition, the sink exact', async () => {
    const fast = world((e) => e.page ?? 'none');
    await runToEnd(fast);
    await assertExactlyOnce(fast, events);
    const batches = await fast.ports.wal.listBatches(fast.jobId);
    expect(batches.every((b) => b.plan.keyGroups === undefined && b.commit!.groups === undefined)).toBe(true);
    expect((await fast.ports.state.listPartitions(fast.jobId)).sort()).toEqual(['shard-0', 'shard-1', 'shard-2']);
  });

  it('keys that are not: the dead-letter limit stops the job after its first batch, every record of it dead-lettered', async () => {
    const broken = world((_, i) => `user-${i}`);
    await expect(runToEnd(broken)).rejects.toThrow(
      /^job views: batch 1 dead-lettered (\d+) of \1 records \(100 %\), over the job's limit of 50 %; the first: shard-\d@\d+ keyBy: /,
    );
    const committed = await broken.ports.wal.getLatestBatch(broken.jobId);
    expect(committed).toMatchObject({ status: 'COMMITTED', plan: { batchId: 1 } });
    expect(await broken.ports.deadLetters.list(broken.jobId)).toHaveLength(committed!.commit!.metrics.records);
  });

  it('keys that are not, with the limit off: no row, every record that reaches keyBy is a dead letter of that stage', async () => {
    const broken = world((_, i) => `user-${i}`, { deadLetterLimit: false });
    await runToEnd(broken);
    expect(await broken.ports.sinks(broken.job.sink).scan()).toEqual([]);
    const letters = await broken.ports.deadLetters.list(broken.jobId);
    // A failed record's event time does not move the watermark: none is ever late, every one fails.
    expect(letters).toHaveLength(events.length);
    const reachKeyBy = events.filter((e) => e.kind !== 'malformed' && e.kind !== 'no-page').length;
    expect(letters.filter((l) => l.stage === 'keyBy')).toHaveLength(reachKeyBy);
    expect(letters.find((l) => l.stage === 'keyBy')?.reason).toMatch(/but the record's partition key is "user-\d+"/);
  });
});
