/**
 * The default rate limit (engine/job/rate-limit.ts): a job that sets no
 * maxRecordsPerPartition reads, per partition and batch, what a Kinesis shard serves in one
 * trigger interval (10,000 to 40,000 records), under the trigger its instance runs with;
 * a cap the job or the instance sets is kept whatever the trigger.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createMemoryPorts } from '../../../engine/adapters/memory/index.js';
import { MemoryJobRegistry } from '../../../engine/adapters/memory/memory-job-registry.js';
import { ENGINE_PARAMETERS, resolveJob } from '../../../engine/driver/catalog.js';
import { runDriver } from '../../../engine/driver/run-driver.js';
import { DEFAULT_DRIVER_SETTINGS } from '../../../engine/driver/settings.js';
import { planTask, startGeneration, type DriverTaskContext } from '../../../engine/driver/tasks.js';
import { defineJob, memorySink, memorySource, type JobDefinition, type JobSpec } from '../../../engine/job/index.js';
import {
  defaultRecordsPerPartition,
  MAX_DEFAULT_RECORDS_PER_PARTITION,
  MIN_DEFAULT_RECORDS_PER_PARTITION,
  SHARD_READ_RECORDS_PER_SECOND,
  withInstanceTrigger,
} from '../../../engine/job/rate-limit.js';
import type { TriggerSettings } from '../../../engine/ports/job-registry.js';
import { jobInstance } from '../../support/builders.js';

const spec = (fields: Partial<JobSpec> = {}): JobDefinition =>
  defineJob({
    name: 'copy',
    version: 1,
    source: memorySource({ streamName: 's' }),
    sink: memorySink({ name: 'out' }),
    pipeline: (s) => s,
    ...fields,
  });

const interval = (intervalMs: number) => ({ type: 'interval', intervalMs }) as const;

describe('defaultRecordsPerPartition', () => {
  it('is what a shard serves in one interval, from one GetRecords call to what an executor reads well within its timeout', () => {
    expect(defaultRecordsPerPartition(interval(1_000))).toBe(10_000);
    expect(defaultRecordsPerPartition(interval(5_000))).toBe(10_000);
    expect(defaultRecordsPerPartition(interval(10_000))).toBe(20_000);
    expect(defaultRecordsPerPartition(interval(15_000))).toBe(30_000);
    expect(defaultRecordsPerPartition(interval(20_000))).toBe(40_000);
    expect(defaultRecordsPerPartition(interval(60_000))).toBe(40_000);
    expect(defaultRecordsPerPartition(interval(3_600_000))).toBe(40_000);
  });

  it('gives an available-now job, which drains a backlog, the largest default: no interval is longer', () => {
    expect(defaultRecordsPerPartition({ type: 'availableNow' })).toBe(MAX_DEFAULT_RECORDS_PER_PARTITION);
    expect(MAX_DEFAULT_RECORDS_PER_PARTITION).toBe(40_000);
  });

  it('lets a job keep up with a shard written at 1,000 records/s wherever the bounds allow, and never shrinks as the interval grows', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 86_400_000 }), fc.integer({ min: 1, max: 86_400_000 }), (a, b) => {
        const [short, long] = a <= b ? [a, b] : [b, a];
        const cap = defaultRecordsPerPartition(interval(short));
        expect(Number.isSafeInteger(cap)).toBe(true);
        expect(cap).toBeGreaterThanOrEqual(MIN_DEFAULT_RECORDS_PER_PARTITION);
        expect(cap).toBeLessThanOrEqual(MAX_DEFAULT_RECORDS_PER_PARTITION);
        expect(defaultRecordsPerPartition(interval(long))).toBeGreaterThanOrEqual(cap);
        // What the job sustains per second, cap / interval, against the shard's write limit of 1,000 records/s.
        const sustained = cap / (short / 1000);
        const needed = SHARD_READ_RECORDS_PER_SECOND * (short / 1000);
        if (needed <= MAX_DEFAULT_RECORDS_PER_PARTITION) expect(sustained).toBeGreaterThanOrEqual(2 * 1_000);
      }),
    );
  });
});

describe('a job that sets no cap', () => {
  it('gets the default of its own trigger, marked as following the trigger', () => {
    expect(spec()).toMatchObject({ maxRecordsPerPartition: 10_000, rateLimitFromTrigger: true });
    expect(spec({ trigger: interval(60_000) })).toMatchObject({ maxRecordsPerPartition: 40_000, rateLimitFromTrigger: true });
    expect(spec({ trigger: { type: 'availableNow' } })).toMatchObject({ maxRecordsPerPartition: 40_000, rateLimitFromTrigger: true });
    // null, as for the other optional fields, is the default.
    expect(spec({ maxRecordsPerPartition: null as unknown as number })).toMatchObject({
      maxRecordsPerPartition: 10_000,
      rateLimitFromTrigger: true,
    });
  });

  it('follows the trigger its instance runs with', () => {
    const job = spec();
    expect(withInstanceTrigger(job, interval(10_000)).maxRecordsPerPartition).toBe(20_000);
    expect(withInstanceTrigger(job, interval(1_000))).toBe(job);
    expect(withInstanceTrigger(job, { type: 'availableNow' }).maxRecordsPerPartition).toBe(40_000);
    expect(withInstanceTrigger(spec({ trigger: { type: 'availableNow' } }), interval(5_000)).maxRecordsPerPartition).toBe(10_000);
  });
});

describe('runDriver', () => {
  it('plans a job without a cap at the default of the trigger it runs, even one changed after defineJob', async () => {
    const ports = createMemoryPorts();
    ports.source.createStream('s', ['p0']);
    ports.source.append('s', 'p0', [{ key: 'k', data: new TextEncoder().encode('{}') }]);
    const built = spec({ trigger: interval(1_000) });
    expect(built.maxRecordsPerPartition).toBe(10_000);
    await runDriver({ ...built, trigger: { type: 'availableNow' } }, ports, { jobId: 'r' });
    expect((await ports.wal.getBatch('r', 1))!.plan.partitions.map((p) => p.maxRecords)).toEqual([40_000]);
  });
});

describe('a cap that is set', () => {
  it('on the job stays whatever the trigger', () => {
    const job = spec({ trigger: interval(60_000), maxRecordsPerPartition: 500 });
    expect(job.maxRecordsPerPartition).toBe(500);
    expect(job.rateLimitFromTrigger).toBeUndefined();
    expect(withInstanceTrigger(job, interval(600_000))).toBe(job);
    expect(withInstanceTrigger(job, { type: 'availableNow' })).toBe(job);
    expect(spec({ trigger: { type: 'availableNow' }, maxRecordsPerPartition: 500 }).maxRecordsPerPartition).toBe(500);
  });

  it('on the instance (the jobs API’s maxRecordsPerPartition) stays whatever the trigger', () => {
    const catalog = { copy: spec() };
    const job = resolveJob(catalog, 'copy', { [ENGINE_PARAMETERS.maxRecordsPerPartition]: 700 });
    expect(job).toMatchObject({ maxRecordsPerPartition: 700 });
    expect(job.rateLimitFromTrigger).toBeUndefined();
    expect(withInstanceTrigger(job, interval(60_000)).maxRecordsPerPartition).toBe(700);
    // A starting position alone leaves the default following the trigger.
    const positioned = resolveJob(catalog, 'copy', { [ENGINE_PARAMETERS.startingPosition]: 'LATEST' });
    expect(positioned).toMatchObject({ maxRecordsPerPartition: 10_000, rateLimitFromTrigger: true });
  });
});

describe('the Plan task', () => {
  /** The maxRecords of the first batch's plan, for an instance of `job` with `trigger`. */
  async function plannedCap(job: JobDefinition, trigger: TriggerSettings | null, parameters = {}): Promise<number[]> {
    const ports = createMemoryPorts();
    ports.source.createStream('s', ['p0', 'p1']);
    const registry = new MemoryJobRegistry();
    await registry.put(jobInstance({ jobName: 'copy', trigger, parameters }), null);
    const ctx: DriverTaskContext = { ports, registry, catalog: { copy: job }, settings: DEFAULT_DRIVER_SETTINGS };
    const started = await startGeneration({ jobId: 'j', generation: 1 }, ctx);
    if (started.action !== 'run') throw new Error(`the generation did not start: ${JSON.stringify(started)}`);
    const planned = await planTask({ driver: started.driver }, ctx);
    if (planned.stop || planned.idle) throw new Error('nothing was planned');
    const batch = await ports.wal.getBatch('j', planned.batchId);
    return batch!.plan.partitions.map((p) => p.maxRecords);
  }

  it('plans a job without a cap at the default of the instance’s trigger', async () => {
    expect(await plannedCap(spec(), null)).toEqual([10_000, 10_000]);
    expect(await plannedCap(spec(), interval(15_000))).toEqual([30_000, 30_000]);
    expect(await plannedCap(spec({ trigger: interval(60_000) }), null)).toEqual([40_000, 40_000]);
    expect(await plannedCap(spec(), { type: 'availableNow' })).toEqual([40_000, 40_000]);
  });

  it('plans a set cap as it is', async () => {
    expect(await plannedCap(spec({ maxRecordsPerPartition: 300 }), interval(30_000))).toEqual([300, 300]);
    expect(await plannedCap(spec(), interval(30_000), { [ENGINE_PARAMETERS.maxRecordsPerPartition]: 40 })).toEqual([40, 40]);
    expect(await plannedCap(spec({ maxRecordsPerPartition: 300 }), { type: 'availableNow' })).toEqual([300, 300]);
  });
});
