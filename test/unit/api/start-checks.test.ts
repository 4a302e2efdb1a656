/**
 * What a start checks about the job's targets (engine/api/job-targets.ts) on the memory
 * adapters: the engine's own tables are a 400 before anything is written; a missing
 * source stream or lookup table is a 404 naming it after prepareJob (which may create it),
 * and nothing is recorded or launched.
 */
import { describe, expect, it } from 'vitest';
import { ENGINE_TABLE_USES } from '../../../engine/adapters/aws/aws-job-targets.js';
import { createMemoryPorts, MemoryJobTargets } from '../../../engine/adapters/memory/index.js';
import { MemoryJobRegistry } from '../../../engine/adapters/memory/memory-job-registry.js';
import type { ControlApiContext } from '../../../engine/api/context.js';
import { targetsOf } from '../../../engine/api/job-targets.js';
import { resumeJobInstance, startJobInstance } from '../../../engine/api/jobs.js';
import { parseResumeJob, parseStartJob } from '../../../engine/api/requests.js';
import type { JobCatalog } from '../../../engine/driver/catalog.js';
import { markStopped, startJob } from '../../../engine/driver/job-control.js';
import {
  count,
  defineJob,
  dynamoDbSink,
  dynamoDbTable,
  kafkaSink,
  kinesisSource,
  memorySink,
  s3FileSink,
  tumbling,
  type JobSpec,
} from '../../../engine/job/index.js';
import type { JobDefinition } from '../../../engine/job/types.js';
import { batchCommit, batchPlan, metrics, partitionCommit, partitionPlan } from '../../support/builders.js';

const ENGINE_TABLES = { 'sluice-wal': ENGINE_TABLE_USES.walTable, 'sluice-dead-letters': ENGINE_TABLE_USES.deadLetterTable };

type Spec = Partial<JobSpec<{ page: string; ts: number }>>;

function job(over: Spec = {}): JobDefinition {
  return defineJob<{ page: string; ts: number }>({
    name: 'orders',
    version: 1,
    source: kinesisSource({ streamName: 'orders', startingPosition: 'EARLIEST' }),
    decode: 'json',
    pipeline: (s) => s.keyBy((e) => e.page).aggregate(count()),
    sink: dynamoDbSink({ tableName: 'order-totals' }),
    outputMode: 'update',
    ...over,
  } as JobSpec<{ page: string; ts: number }>);
}

function fixture(catalogJob: JobDefinition, options: { prepareJob?: (job: JobDefinition) => Promise<void> } = {}) {
  const ports = createMemoryPorts();
  const registry = new MemoryJobRegistry();
  const starts: string[] = [];
  const catalog: JobCatalog = { orders: { description: 'orders', create: () => catalogJob } };
  const ctx: ControlApiContext = {
    registry,
    wal: ports.wal,
    state: ports.state,
    executions: {
      start: async (name) => {
        starts.push(name);
        return 'started';
      },
      status: async () => null,
    },
    catalog,
    clock: ports.clock,
    logger: ports.logger,
    targets: new MemoryJobTargets({ streams: ports.source, topics: ports.kafka, lookups: ports.lookups, engineTables: ENGINE_TABLES }),
    ...(options.prepareJob ? { prepareJob: options.prepareJob } : {}),
  };
  return { ports, registry, starts, ctx };
}

const start = parseStartJob({ jobName: 'orders' });

describe('a start refuses the engine’s own tables (400)', () => {
  it('as the sink table, naming the table, what the engine keeps in it and the field; nothing is recorded or launched', async () => {
    const f = fixture(job({ sink: dynamoDbSink({ tableName: 'sluice-wal' }) }));
    f.ports.source.createStream('orders', ['p0']);
    await expect(startJobInstance(start, f.ctx)).rejects.toMatchObject({
      status: 400,
      message:
        "job.sink DynamoDB table sluice-wal is the engine's own table (the write-ahead log and job registry): job orders may not " +
        'write it; name another table in the job or its parameters',
      fields: [{ field: 'job.sink' }],
    });
    expect(await f.registry.list()).toEqual([]);
    expect(f.starts).toEqual([]);
  });

  it('as the late-records, dead-letters, side-output or lookup table: every one named', async () => {
    const f = fixture(
      job({
        pipeline: (s) =>
          s
            .lookup(dynamoDbTable({ tableName: 'sluice-wal', key: 'id' }), { key: (e) => e.page, join: 'left', select: (e) => e })
            .withWatermark((e) => e.ts, { allowedLatenessMs: 0 })
            .keyBy((e) => e.page)
            .window(tumbling({ sizeMs: 10 }))
            .aggregate(count()),
        lateRecords: { sink: dynamoDbSink({ tableName: 'sluice-dead-letters' }) },
        deadLetters: { sink: dynamoDbSink({ tableName: 'sluice-wal' }) },
      }),
    );
    const refused = await startJobInstance(start, f.ctx).catch((e: unknown) => e);
    expect(refused).toMatchObject({ status: 400 });
    expect((refused as { fields: { field: string; message: string }[] }).fields).toEqual([
      {
        field: 'job.lateRecords.sink',
        message: expect.stringMatching(/^DynamoDB table sluice-dead-letters is the engine's own table \(the dead letters\)/),
      },
      { field: 'job.deadLetters.sink', message: expect.stringContaining('DynamoDB table sluice-wal') },
      { field: 'job.lookup', message: expect.stringContaining('job orders may not read it') },
    ]);
  });

  it('as a file sink in the checkpoint bucket under the engine’s own prefixes (state, exchange, lookups)', async () => {
    const f = fixture(
      job({
        sink: s3FileSink({ prefix: 'jobs/orders/files', format: 'jsonl' }),
        deadLetters: { sink: s3FileSink({ prefix: 'exchange', format: 'jsonl' }) },
      }),
    );
    f.ports.source.createStream('orders', ['p0']);
    const refused = await startJobInstance(start, f.ctx).catch((e: unknown) => e);
    expect(refused).toMatchObject({ status: 400 });
    expect((refused as { fields: unknown[] }).fields).toEqual([
      {
        field: 'job.sink',
        message:
          "files under jobs/orders/files/ of the checkpoint bucket would be among the engine's own objects (the jobs' state, " +
          'under jobs/): job orders may not write there; choose a prefix outside jobs/, exchange/, lookups/',
      },
      { field: 'job.deadLetters.sink', message: expect.stringContaining('the exchange between the stages of a batch') },
    ]);
    // A prefix that only begins with the same letters, or a bucket of its own, is the job's.
    const g = fixture(
      job({
        sink: s3FileSink({ prefix: 'jobs-output', format: 'jsonl' }),
        deadLetters: { sink: s3FileSink({ bucket: 'letters', prefix: 'jobs', format: 'jsonl' }) },
      }),
    );
    g.ports.source.createStream('orders', ['p0']);
    expect((await startJobInstance(start, g.ctx)).status).toBe(201);
  });

  it('on resume too, before anything starts', async () => {
    const f = fixture(job({ sink: dynamoDbSink({ tableName: 'sluice-dead-letters' }) }));
    const { generation } = await startJob({ jobId: 'orders', jobName: 'orders' }, f.ctx);
    await markStopped('orders', generation - 1, 'stopped', f.ctx);
    await expect(resumeJobInstance('orders', parseResumeJob(undefined), f.ctx)).rejects.toMatchObject({ status: 400 });
    expect(f.starts).toEqual([]);
  });
});

describe('a start refuses a source or lookup table that does not exist (404)', () => {
  it('a missing source stream: 404 naming it and what to do; nothing is recorded or launched', async () => {
    const f = fixture(job());
    await expect(startJobInstance(start, f.ctx)).rejects.toMatchObject({
      status: 404,
      message:
        "the source Kinesis stream orders does not exist in this account and region: create it, or fix job orders's streamName " +
        '(or the parameter that sets it); nothing was started',
    });
    expect(await f.registry.list()).toEqual([]);
    expect(f.starts).toEqual([]);
  });

  it('from a checkpoint: the 404 comes before the seed, so the new instance’s WAL stays empty', async () => {
    const f = fixture(job());
    // Job src committed batch 1 of the same job (8 key groups, the default).
    await f.ports.wal.acquireEpoch('src');
    await f.ports.wal.putPlan(
      batchPlan({ jobId: 'src', batchId: 1, plannedAt: 1_000, partitions: [partitionPlan('p0')], jobVersion: 1, keyGroups: 8, groups: {} }),
    );
    const end = { count: 5, lastOffset: '100' };
    await f.ports.wal.commitBatch(
      'src',
      batchCommit({
        batchId: 1,
        committedAt: 1_100,
        partitions: { p0: partitionCommit({ end, nextStart: { type: 'AFTER', offset: '100' }, lagMs: 5 }) },
        metrics: metrics({ records: 5 }),
      }),
    );
    await startJob({ jobId: 'src', jobName: 'orders' }, f.ctx);
    const copy = parseStartJob({ jobName: 'orders', jobId: 'copy', startingPosition: { type: 'checkpoint', jobId: 'src' } });

    await expect(startJobInstance(copy, f.ctx)).rejects.toMatchObject({ status: 404 });
    expect(await f.ports.wal.listBatches('copy')).toEqual([]);
    expect(await f.registry.get('copy')).toBeNull();

    f.ports.source.createStream('orders', ['p0']);
    expect((await startJobInstance(copy, f.ctx)).status).toBe(201);
    expect((await f.ports.wal.listBatches('copy')).map((b) => b.plan.batchId)).toEqual([1]);
  });

  it('checks after prepareJob, which may create the stream: then the job starts', async () => {
    const prepared: string[] = [];
    const f = fixture(job(), {
      prepareJob: async (j) => {
        prepared.push(j.name);
        f.ports.source.createStream('orders', ['p0']);
      },
    });
    const started = await startJobInstance(start, f.ctx);
    expect(started.status).toBe(201);
    expect(prepared).toEqual(['orders']);
    expect(f.starts).toEqual(['orders-1']);
  });

  it('names every missing target at once (the source and a lookup table)', async () => {
    const f = fixture(
      job({
        pipeline: (s) =>
          s
            .lookup(dynamoDbTable({ tableName: 'customers', key: 'id' }), { key: (e) => e.page, join: 'left', select: (e) => e })
            .keyBy((e) => e.page)
            .aggregate(count()),
      }),
    );
    await expect(startJobInstance(start, f.ctx)).rejects.toMatchObject({
      status: 404,
      message: expect.stringMatching(
        /^the source Kinesis stream orders, the lookup table DynamoDB table customers do not exist in this account and region: create them, or fix job orders's streamName and tableName/,
      ),
    });
    f.ports.source.createStream('orders', ['p0']);
    f.ports.lookups.create('customers');
    expect((await startJobInstance(start, f.ctx)).status).toBe(201);
  });

  it('on resume: a STOPPED job whose stream is gone is a 404, and is not launched', async () => {
    const f = fixture(job());
    const { generation } = await startJob({ jobId: 'orders', jobName: 'orders' }, f.ctx);
    await markStopped('orders', generation - 1, 'stopped', f.ctx);
    await expect(resumeJobInstance('orders', parseResumeJob(undefined), f.ctx)).rejects.toMatchObject({
      status: 404,
      message: expect.stringContaining('the source Kinesis stream orders does not exist'),
    });
    expect(f.starts).toEqual([]);
  });
});

describe('targetsOf', () => {
  it('lists the source, every sink with its field, and the lookup tables; none for memory sinks or files in the checkpoint bucket', () => {
    const targets = targetsOf(
      job({
        sink: [dynamoDbSink({ tableName: 'order-totals' }), kafkaSink({ topic: 'totals' }), memorySink({ name: 'm' })],
        deadLetters: { sink: s3FileSink({ prefix: 'letters', format: 'jsonl' }) },
        pipeline: (s) =>
          s
            .lookup(dynamoDbTable({ tableName: 'customers', key: 'id' }), { key: (e) => e.page, join: 'left', select: (e) => e })
            .keyBy((e) => e.page)
            .aggregate(count()),
      }),
    );
    expect(targets).toEqual([
      { type: 'kinesis-stream', name: 'orders', role: 'source', field: 'source' },
      { type: 'dynamodb-table', name: 'order-totals', role: 'sink', field: 'sink' },
      { type: 'kafka-topic', name: 'totals', role: 'sink', field: 'sink' },
      { type: 'dynamodb-table', name: 'customers', role: 'lookup', field: 'lookup' },
    ]);
  });
});
