/**
 * The rules of engine/ports/job-registry.ts, checked against any adapter, and the
 * transitions of engine/driver/job-control.ts on top of it. Each test gets a fresh adapter.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../engine/adapters/memory/manual-clock.js';
import {
  beginGeneration,
  markStopped,
  mutate,
  recordEpoch,
  recordFailure,
  recordRestart,
  requestStop,
  startJob,
} from '../../engine/driver/job-control.js';
import { claimSinks, type SinkClaimRequest } from '../../engine/driver/sink-ownership.js';
import { ConflictError, InvalidArgumentError, InvariantError } from '../../engine/errors.js';
import { sinkTargetOf } from '../../engine/job/sink-targets.js';
import { JobState, type JobInstance, type JobRegistry, type SinkOwner } from '../../engine/ports/job-registry.js';

const POLICY = { maxRestarts: 2, windowMs: 60_000, backoffBaseMs: 1_000, backoffMaxMs: 3_000 };

function owner(target: string, jobId: string, takenFrom: string | null = null): SinkOwner {
  return { target, jobId, since: 1_767_225_600_000, takenFrom };
}

function instance(jobId: string, revision = 1, over: Partial<JobInstance> = {}): JobInstance {
  return {
    jobId,
    jobName: 'page-views',
    parameters: { maxRecordsPerPartition: 150, nested: { list: [1, 'two', null, true] } },
    trigger: { type: 'interval', intervalMs: 1_000, maxIdleIntervalMs: 30_000 },
    state: JobState.RUNNING,
    reason: null,
    generation: 0,
    epoch: null,
    restarts: [],
    lastError: null,
    stopRequestedAt: null,
    createdAt: 1_767_225_600_000,
    updatedAt: 1_767_225_600_000,
    revision,
    ...over,
  };
}

export function describeJobRegistryContract(adapter: string, makeAdapter: () => Promise<JobRegistry> | JobRegistry): void {
  describe(`JobRegistry contract (${adapter})`, () => {
    it('creates a record once: a second create finds one exists and writes nothing', async () => {
      const registry = await makeAdapter();
      expect(await registry.get('a')).toBeNull();
      expect(await registry.put(instance('a'), null)).toBe(true);
      expect(await registry.get('a')).toEqual(instance('a'));
      expect(await registry.put(instance('a', 1, { jobName: 'other' }), null)).toBe(false);
      expect((await registry.get('a'))?.jobName).toBe('page-views');
    });

    it('replaces a record only when the expected revision is the stored one', async () => {
      const registry = await makeAdapter();
      await registry.put(instance('a'), null);
      expect(await registry.put(instance('a', 2, { generation: 1 }), 1)).toBe(true);
      expect(await registry.put(instance('a', 2, { generation: 9 }), 1)).toBe(false);
      expect(await registry.put(instance('a', 4, { generation: 9 }), 3)).toBe(false);
      expect(await registry.get('a')).toEqual(instance('a', 2, { generation: 1 }));
    });

    it('lets exactly one of two concurrent writers of the same revision win', async () => {
      const registry = await makeAdapter();
      await registry.put(instance('a'), null);
      const results = await Promise.all([1, 2, 3, 4].map((g) => registry.put(instance('a', 2, { generation: g }), 1)));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect((await registry.get('a'))?.generation).toBe(results.indexOf(true) + 1);
    });

    it('refuses a write whose revision does not follow the expected one', async () => {
      const registry = await makeAdapter();
      await expect(registry.put(instance('a', 5), null)).rejects.toBeInstanceOf(InvariantError);
      expect(await registry.get('a')).toBeNull();
    });

    it('lists every instance in id order, and only instances', async () => {
      const registry = await makeAdapter();
      for (const id of ['b', 'a-1', 'c_2']) await registry.put(instance(id), null);
      expect((await registry.list()).map((j) => j.jobId)).toEqual(['a-1', 'b', 'c_2']);
    });

    it("records a sink target's owner once; passes it on only from the owner the claimer read", async () => {
      const registry = await makeAdapter();
      expect(await registry.getSinkOwner('dynamodb:t')).toBeNull();
      expect(await registry.claimSink(owner('dynamodb:t', 'a'), null)).toBe(true);
      expect(await registry.getSinkOwner('dynamodb:t')).toEqual(owner('dynamodb:t', 'a'));
      expect(await registry.claimSink(owner('dynamodb:t', 'b'), null)).toBe(false);
      expect(await registry.claimSink(owner('dynamodb:t', 'b', 'c'), 'c')).toBe(false);
      expect(await registry.getSinkOwner('dynamodb:t')).toEqual(owner('dynamodb:t', 'a'));
      expect(await registry.claimSink(owner('dynamodb:t', 'b', 'a'), 'a')).toBe(true);
      expect(await registry.getSinkOwner('dynamodb:t')).toEqual(owner('dynamodb:t', 'b', 'a'));
      // Targets are independent, and owners are not instances: list() shows none of them.
      expect(await registry.getSinkOwner('dynamodb:u')).toBeNull();
      await registry.put(instance('a'), null);
      expect((await registry.list()).map((j) => j.jobId)).toEqual(['a']);
    });

    it('lets exactly one of two concurrent claims of a free target win', async () => {
      const registry = await makeAdapter();
      const results = await Promise.all(['a', 'b', 'c', 'd'].map((id) => registry.claimSink(owner('s3files:/out', id), null)));
      expect(results.filter(Boolean)).toHaveLength(1);
      expect((await registry.getSinkOwner('s3files:/out'))?.jobId).toBe(['a', 'b', 'c', 'd'][results.indexOf(true)]);
    });

    describe('sink ownership (engine/driver/sink-ownership.ts)', () => {
      const ctx = async () => ({ registry: await makeAdapter(), clock: new ManualClock() });
      const table = sinkTargetOf({ type: 'dynamodb', tableName: 'order-totals' });
      const files = sinkTargetOf({ type: 's3files', prefix: 'out', format: 'jsonl', maxFileBytes: 1_024 });
      const stream = sinkTargetOf({ type: 'kinesis', streamName: 'totals' });
      const claim = (jobId: string, over: Partial<SinkClaimRequest> = {}): SinkClaimRequest => ({
        jobId,
        targets: [table, files, stream],
        force: false,
        forceHint: '"force": true',
        otherSinkHint: 'parameters that name another sink',
        ...over,
      });

      it('claims free targets, again for the same instance (a retried start), and never a shared one', async () => {
        const c = await ctx();
        expect(await claimSinks(claim('a'), c)).toEqual([]);
        expect(await claimSinks(claim('a'), c)).toEqual([]);
        expect(await c.registry.getSinkOwner(table.id)).toEqual({ target: table.id, jobId: 'a', since: c.clock.now(), takenFrom: null });
        expect((await c.registry.getSinkOwner(files.id))?.jobId).toBe('a');
        expect(await c.registry.getSinkOwner(stream.id)).toBeNull();
        // A shared target (a Kinesis stream) takes several instances.
        expect(await claimSinks(claim('b', { targets: [stream] }), c)).toEqual([]);
      });

      it("refuses another instance, naming the owner, its state and the target; claims none of the request's targets", async () => {
        const c = await ctx();
        await claimSinks(claim('a', { targets: [table] }), c);
        await startJob({ jobId: 'a', jobName: 'order-totals' }, c);
        const refused = claimSinks(claim('b'), c);
        await expect(refused).rejects.toBeInstanceOf(ConflictError);
        await expect(refused).rejects.toThrow(
          /^DynamoDB table order-totals is owned by job a \(RUNNING\): its rows are there.*Point job b at another sink \(parameters that name another sink\), or take the sink over with "force": true once job a is stopped/,
        );
        expect(await c.registry.getSinkOwner(files.id)).toBeNull();
        // An owner without an instance record (a replay into it, a start cut short) is named as such.
        await claimSinks(claim('ghost', { targets: [files] }), c);
        await expect(claimSinks(claim('b', { targets: [files] }), c)).rejects.toThrow(
          /files under the checkpoint bucket's out\/ is owned by job ghost \(no instance is recorded under that id/,
        );
      });

      it('force takes targets from a stopped or failed owner and says which; never from a running one', async () => {
        const c = await ctx();
        await startJob({ jobId: 'a', jobName: 'order-totals' }, c);
        await claimSinks(claim('a'), c);
        await expect(claimSinks(claim('b', { force: true }), c)).rejects.toThrow(
          /^DynamoDB table order-totals is owned by job a, which is RUNNING: "force": true takes a sink over only from a stopped or failed instance/,
        );
        await requestStop('a', c);
        await expect(claimSinks(claim('b', { force: true }), c)).rejects.toThrow(/which is STOPPING/);
        await markStopped('a', 0, 'stopped', c);
        await expect(claimSinks(claim('b'), c)).rejects.toThrow(/is owned by job a \(STOPPED: stopped\)/);
        c.clock.advance(5_000);
        expect(await claimSinks(claim('b', { force: true }), c)).toEqual([
          { target: table.id, description: 'DynamoDB table order-totals', fromJobId: 'a' },
          { target: files.id, description: "files under the checkpoint bucket's out/", fromJobId: 'a' },
        ]);
        expect(await c.registry.getSinkOwner(table.id)).toEqual({ target: table.id, jobId: 'b', since: c.clock.now(), takenFrom: 'a' });
        // The old owner is refused now: a resume of it would claim.
        await expect(claimSinks(claim('a'), c)).rejects.toThrow(/is owned by job b \(no instance is recorded/);
      });

      it('of concurrent claims of a free target by two instances, one wins and the other is refused', async () => {
        const c = await ctx();
        const results = await Promise.allSettled(['a', 'b'].map((id) => claimSinks(claim(id, { targets: [table] }), c)));
        expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
        const winner = results[0]!.status === 'fulfilled' ? 'a' : 'b';
        expect((await c.registry.getSinkOwner(table.id))?.jobId).toBe(winner);
      });
    });

    describe('transitions (engine/driver/job-control.ts)', () => {
      const ctx = async () => ({ registry: await makeAdapter(), clock: new ManualClock() });

      it('starts a job, refuses to start it again while it runs, and starts it again after a stop', async () => {
        const c = await ctx();
        const first = await startJob({ jobId: 'j', jobName: 'page-views', parameters: { maxRecordsPerPartition: 10 } }, c);
        expect(first).toMatchObject({ generation: 1, job: { state: JobState.RUNNING, generation: 0, trigger: null } });
        await expect(startJob({ jobId: 'j', jobName: 'page-views' }, c)).rejects.toThrow(
          /job j is RUNNING: stop it before starting it again/,
        );
        await beginGeneration('j', 1, c);
        expect(await requestStop('j', c)).toMatchObject({ state: JobState.STOPPING, stopRequestedAt: c.clock.now() });
        expect(await requestStop('j', c)).toMatchObject({ state: JobState.STOPPING });
        await markStopped('j', 1, 'stopped', c);
        const again = await startJob({ jobId: 'j', jobName: 'page-views', trigger: { type: 'availableNow' } }, c);
        expect(again).toMatchObject({
          generation: 2,
          job: { state: JobState.RUNNING, trigger: { type: 'availableNow' }, stopRequestedAt: null },
        });
      });

      it('rejects bad job ids, parameters and triggers with the field named', async () => {
        const c = await ctx();
        await expect(startJob({ jobId: 'has space', jobName: 'x' }, c)).rejects.toThrow(/a job id is 1 to 60 letters/);
        await expect(startJob({ jobId: '#jobs', jobName: 'x' }, c)).rejects.toThrow(InvalidArgumentError);
        await expect(startJob({ jobId: 'j', jobName: '' }, c)).rejects.toThrow(/jobName must be a non-empty string/);
        await expect(startJob({ jobId: 'j', jobName: 'x', parameters: [] as never }, c)).rejects.toThrow(
          /parameters must be a JSON object/,
        );
        await expect(startJob({ jobId: 'j', jobName: 'x', trigger: { type: 'interval', intervalMs: -1 } }, c)).rejects.toThrow(
          /trigger.intervalMs/,
        );
        await expect(requestStop('missing', c)).rejects.toThrow(/no job instance missing/);
      });

      it('a generation begins once; an older one is superseded and records nothing', async () => {
        const c = await ctx();
        await startJob({ jobId: 'j', jobName: 'x' }, c);
        expect((await beginGeneration('j', 2, c)).outcome).toBe('current');
        expect((await beginGeneration('j', 2, c)).outcome).toBe('current');
        expect((await beginGeneration('j', 1, c)).outcome).toBe('superseded');
        expect(await recordEpoch('j', 1, 7, c)).toBe(false);
        expect(await recordEpoch('j', 2, 8, c)).toBe(true);
        expect(await markStopped('j', 1, 'stopped', c)).toMatchObject({ state: JobState.RUNNING, epoch: 8 });
        expect(await recordFailure('j', 1, { error: 'E', cause: 'c', retryable: false }, c)).toMatchObject({
          state: JobState.RUNNING,
          lastError: null,
        });
      });

      it('a non-retryable failure leaves the job FAILED with the reason; a retryable one is recorded only', async () => {
        const c = await ctx();
        await startJob({ jobId: 'j', jobName: 'x' }, c);
        await beginGeneration('j', 1, c);
        const retryable = await recordFailure('j', 1, { error: 'TransientError', cause: 'throttled', retryable: true }, c);
        expect(retryable).toMatchObject({
          state: JobState.RUNNING,
          lastError: { error: 'TransientError', cause: 'throttled', generation: 1 },
        });
        const final = await recordFailure('j', 1, { error: 'JobSpecError', cause: 'no job named x', retryable: false }, c);
        expect(final).toMatchObject({ state: JobState.FAILED, reason: 'JobSpecError: no job named x' });
      });

      it('restarts back off, and after maxRestarts within the window the job is FAILED with the reason', async () => {
        const c = await ctx();
        await startJob({ jobId: 'j', jobName: 'x' }, c);
        await beginGeneration('j', 1, c);
        const first = await recordRestart('j', 1, 2, 'generation 1 FAILED', POLICY, c);
        expect(first).toMatchObject({ kind: 'restart', generation: 2, delayMs: 1_000 });
        await beginGeneration('j', 2, c);
        c.clock.advance(1_000);
        expect(await recordRestart('j', 2, 3, 'generation 2 FAILED', POLICY, c)).toMatchObject({ kind: 'restart', delayMs: 2_000 });
        await beginGeneration('j', 3, c);
        // A stale view (generation 2) changes nothing.
        expect(await recordRestart('j', 2, 3, 'late event', POLICY, c)).toMatchObject({ kind: 'not-needed' });
        const gaveUp = await recordRestart('j', 3, 4, 'generation 3 ABORTED', POLICY, c);
        expect(gaveUp.kind).toBe('gave-up');
        expect(await c.registry.get('j')).toMatchObject({
          state: JobState.FAILED,
          reason: 'gave up after 2 restarts within 60 s; last: generation 3 ABORTED',
        });
        // Outside the window the count starts over.
        await startJob({ jobId: 'k', jobName: 'x' }, c);
        await beginGeneration('k', 1, c);
        await recordRestart('k', 1, 2, 'a', POLICY, c);
        await recordRestart('k', 1, 2, 'b', POLICY, c);
        c.clock.advance(60_001);
        expect(await recordRestart('k', 1, 2, 'c', POLICY, c)).toMatchObject({ kind: 'restart', delayMs: 1_000 });
      });

      it('read-modify-write survives concurrent writers: none of their changes is lost', async () => {
        const c = await ctx();
        await startJob({ jobId: 'j', jobName: 'x' }, c);
        await Promise.all(
          [1, 2, 3, 4, 5].map((n) =>
            mutate(c, 'j', (job) => ({ ...job!, parameters: { ...job!.parameters, [`p${n}`]: n }, revision: job!.revision + 1 })),
          ),
        );
        expect((await c.registry.get('j'))?.parameters).toEqual({ p1: 1, p2: 2, p3: 3, p4: 4, p5: 5 });
      });
    });
  });
}
