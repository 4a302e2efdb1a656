/**
 * Parking (engine/driver/parking.ts) on the memory adapters: the supervisor's reconcile
 * tick wakes a parked job only when its source has records after the committed batch (a
 * Kinesis-like source read one record deep, a Kafka-like one by its latest offsets) or a
 * timer is due, and each crash rule of the protocol leaves a job that the next tick or
 * the next generation repairs.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryPorts } from '../../../engine/adapters/memory/index.js';
import { MemoryJobRegistry } from '../../../engine/adapters/memory/memory-job-registry.js';
import type { JobCatalog } from '../../../engine/driver/catalog.js';
import { beginGeneration, isParked, markParked, requestStop, startJob } from '../../../engine/driver/job-control.js';
import { findWork } from '../../../engine/driver/parking.js';
import { runDriver } from '../../../engine/driver/run-driver.js';
import { DEFAULT_RESTART_POLICY } from '../../../engine/driver/settings.js';
import { reconcile, type SupervisorContext } from '../../../engine/driver/supervisor.js';
import { count, defineJob, kafkaSource, memorySink, memorySource } from '../../../engine/job/index.js';
import type { DriverExecutions, ExecutionStatus } from '../../../engine/ports/driver-executions.js';
import { JobState } from '../../../engine/ports/job-registry.js';

const enc = new TextEncoder();
const silent = { debug() {}, info() {}, warn() {}, error() {} };

/** Step Functions' executions as the supervisor sees them: starts are idempotent by name. */
class FakeExecutions implements DriverExecutions {
  readonly statuses = new Map<string, ExecutionStatus>();
  readonly starts: string[] = [];
  async start(name: string): Promise<'started' | 'exists'> {
    if (this.statuses.has(name)) return 'exists';
    this.statuses.set(name, 'RUNNING');
    this.starts.push(name);
    return 'started';
  }
  async status(name: string): Promise<ExecutionStatus | null> {
    return this.statuses.get(name) ?? null;
  }
}

/** A job that committed every record of its source, then parked in generation 1. */
async function parkedJob(source: 'kinesis' | 'kafka') {
  const ports = createMemoryPorts();
  const stream = source === 'kafka' ? ports.kafka : ports.source;
  stream.createStream('s', ['p0', 'p1']);
  const append = (partition: string, n: number) =>
    stream.append(
      's',
      partition,
      Array.from({ length: n }, (_, i) => ({ key: `k${i}`, data: enc.encode(JSON.stringify({ k: `k${i}` })) })),
    );
  append('p0', 3);
  append('p1', 2);
  const job = defineJob<{ k: string }>({
    name: 'counts',
    version: 1,
    source: source === 'kafka' ? kafkaSource({ topic: 's' }) : memorySource({ streamName: 's' }),
    pipeline: (s) => s.keyBy((e) => e.k).aggregate(count()),
    sink: memorySink({ name: 'out' }),
    trigger: { type: 'availableNow' },
  });
  await runDriver(job, ports, { jobId: 'j' });
  const catalog: JobCatalog = { counts: { description: 'counts', create: () => job } };
  const registry = new MemoryJobRegistry();
  const reg = { registry, clock: ports.clock };
  await startJob({ jobId: 'j', jobName: 'counts' }, reg);
  await beginGeneration('j', 1, reg);
  const executions = new FakeExecutions();
  executions.statuses.set('j-1', 'SUCCEEDED');
  const batchId = (await ports.wal.getLatestBatch('j'))!.plan.batchId;
  const ctx: SupervisorContext = {
    registry,
    executions,
    clock: ports.clock,
    logger: silent,
    policy: DEFAULT_RESTART_POLICY,
    work: { ports, catalog },
  };
  return { ports, registry, reg, executions, ctx, append, batchId, catalog };
}

describe.each(['kinesis', 'kafka'] as const)('a parked job reading a %s-like source', (source) => {
  it('stays parked while the source holds nothing new, and is woken by the next generation when a record arrives', async () => {
    const { registry, reg, executions, ctx, append, batchId } = await parkedJob(source);
    expect(await markParked('j', 1, batchId, reg)).toMatchObject({ parked: true });

    expect(await reconcile(ctx)).toEqual([{ jobId: 'j', action: 'none', detail: 'parked since generation 1: no new data' }]);
    expect(executions.starts).toEqual([]);

    append('p1', 1);
    const [woken] = await reconcile(ctx);
    expect(woken).toMatchObject({ jobId: 'j', action: 'woken', detail: expect.stringContaining('partition p1 has records') });
    expect(executions.starts).toEqual(['j-2']);
    // The record is not written by the tick: the woken generation clears `parked` itself.
    expect(isParked((await registry.get('j'))!)).toBe(true);
    await beginGeneration('j', 2, reg);
    expect((await registry.get('j'))!).toMatchObject({ state: JobState.RUNNING, generation: 2, parked: null });
  });
});

describe('the crash rules of parking', () => {
  it('1. a generation that died before markParked is restarted as any dead driver', async () => {
    const { executions, ctx } = await parkedJob('kinesis');
    executions.statuses.set('j-1', 'FAILED');
    expect(await reconcile(ctx)).toEqual([expect.objectContaining({ action: 'restarted' })]);
    expect(executions.starts).toEqual(['j-2']);
  });

  it('3. a stop requested before markParked: the park is refused and the job is not left parked', async () => {
    const { registry, reg, batchId } = await parkedJob('kinesis');
    await requestStop('j', reg);
    expect(await markParked('j', 1, batchId, reg)).toMatchObject({ parked: false, job: { state: JobState.STOPPING } });
    expect((await registry.get('j'))!.parked ?? null).toBeNull();
  });

  it('4 and 5. ticks racing or repeated start the woken generation once, and leave it alone while it runs', async () => {
    const { reg, executions, ctx, append, batchId } = await parkedJob('kinesis');
    await markParked('j', 1, batchId, reg);
    append('p0', 1);
    const outcomes = await Promise.all([reconcile(ctx), reconcile(ctx)]);
    expect(executions.starts).toEqual(['j-2']);
    expect(outcomes.flat().filter((o) => o.action === 'woken').length).toBeGreaterThanOrEqual(1);
    expect(await reconcile(ctx)).toEqual([{ jobId: 'j', action: 'none', detail: 'generation 2 is running' }]);
  });

  it('6. a woken execution that died before StartGeneration: the next tick starts the generation after it', async () => {
    const { reg, executions, ctx, append, batchId } = await parkedJob('kinesis');
    await markParked('j', 1, batchId, reg);
    append('p0', 1);
    await reconcile(ctx);
    executions.statuses.set('j-2', 'FAILED');
    expect(await reconcile(ctx)).toEqual([expect.objectContaining({ action: 'woken', detail: expect.stringMatching(/^j-3 /) })]);
    expect(executions.starts).toEqual(['j-2', 'j-3']);
  });

  it('7. a stop on a parked job is STOPPED at once; a generation woken meanwhile finds it stopped', async () => {
    const { registry, reg, executions, ctx, append, batchId } = await parkedJob('kinesis');
    await markParked('j', 1, batchId, reg);
    append('p0', 1);
    await reconcile(ctx);
    expect(await requestStop('j', reg)).toMatchObject({ state: JobState.STOPPED, parked: null });
    // The woken generation begins but the job is STOPPED: StartGeneration ends it (tasks.ts startGeneration).
    expect((await beginGeneration('j', 2, reg)).job.state).toBe(JobState.STOPPED);
    executions.statuses.set('j-2', 'SUCCEEDED');
    expect(await reconcile(ctx)).toEqual([]);
    expect((await registry.get('j'))!.state).toBe(JobState.STOPPED);
  });

  it('a due processing-time timer wakes a parked job without new records; a pending one does not', async () => {
    const { ports, catalog, registry } = await parkedJob('kinesis');
    const latest = (await ports.wal.getLatestBatch('j'))!;
    const now = ports.clock.now();
    const withTimer = (dueAtMs: number) => ({
      ...latest,
      commit: { ...latest.commit!, groups: { '3': { version: 1, rows: 1, dueAtMs } } },
    });
    const instance = (await registry.get('j'))!;
    const wal = (dueAtMs: number) => ({ getLatestBatch: async () => withTimer(dueAtMs) });
    expect(await findWork(instance, { ports: { ...ports, wal: wal(now) }, catalog })).toBe('key group 3 has a timer due');
    expect(await findWork(instance, { ports: { ...ports, wal: wal(now + 1) }, catalog })).toBeNull();
  });
});
