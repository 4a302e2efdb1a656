/**
 * The rules of engine/ports/write-ahead-log.ts, checked against any adapter. Each test
 * gets a fresh adapter from `makeAdapter`, with access to what it stores.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { ConcurrentDriverError, ConflictError, NotFoundError, StateCorruptionError } from '../../engine/errors.js';
import type { ReplayRecord, WriteAheadLog } from '../../engine/ports/write-ahead-log.js';
import { BatchStatus, type BatchCommit, type BatchPlan, type PartitionCommit } from '../../engine/protocol/batch-records.js';
import { WAL_FORMAT_VERSION } from '../../engine/protocol/batch-record-format.js';
import type { RangeEnd } from '../../engine/protocol/offsets.js';
import { batchCommit, batchPlan, metrics, partitionCommit, partitionPlan } from '../support/builders.js';

const SHARDS = ['shardId-000000000000', 'shardId-000000000001'];
const OFFSET_A = '49590338271490256608559692538361571095921575989136588898';
const OFFSET_B = '49590338271490256608559692540925702759324208523137515618';

export function testPlan(jobId: string, batchId: number, epoch: number, partitions: readonly string[] = SHARDS): BatchPlan {
  return batchPlan({
    jobId,
    batchId,
    epoch,
    plannedAt: 1_767_225_600_000 + batchId * 1_000,
    watermarkMs: batchId === 1 ? null : 1_767_225_000_000 + batchId,
    maxEventTimeMs: batchId === 1 ? null : 1_767_225_060_000 + batchId,
    partitions: partitions.map((partition, i) =>
      partitionPlan(partition, {
        start:
          i % 3 === 0
            ? { type: 'EARLIEST' }
            : i % 3 === 1
              ? { type: 'AFTER', offset: OFFSET_A }
              : { type: 'AT_TIMESTAMP', timestamp: 1_767_225_600_000 },
        maxRecords: 500,
        baseStateVersion: batchId - 1,
      }),
    ),
    // A finished (closed, fully read) shard is carried forward with its final state version.
    finished: batchId > 1 ? { 'shardId-parent': 1 } : {},
  });
}

export function testCommit(plan: BatchPlan, epoch = plan.epoch, committedAt = plan.plannedAt + 250): BatchCommit {
  const partitions: Record<string, PartitionCommit> = {};
  plan.partitions.forEach((p, i) => {
    const end: RangeEnd = i === 0 ? { count: 0 } : { count: 17, lastOffset: OFFSET_B };
    partitions[p.partition] = partitionCommit({
      end,
      nextStart: end.count === 0 ? p.start : { type: 'AFTER', offset: OFFSET_B },
      stateVersion: i === 0 ? p.baseStateVersion : plan.batchId,
      caughtUp: i === 0,
      lagMs: i === 0 ? 0 : null,
    });
  });
  return batchCommit({
    batchId: plan.batchId,
    epoch,
    committedAt,
    partitions,
    metrics: metrics({ records: 17, outputRows: 4, deadLetters: 1, stateRows: 9, stateBytesWritten: 1_234, durationMs: 250 }),
  });
}

export function testReplay(jobId: string, generation: number, epoch: number, overrides: Partial<ReplayRecord> = {}): ReplayRecord {
  return {
    jobId,
    generation,
    sourceJobId: jobId,
    fromBatchId: 2,
    toBatchId: 5,
    supersededUpTo: 5,
    jobVersion: 2,
    epoch,
    startedAt: 1_767_225_700_000 + generation,
    finishedAt: null,
    ...overrides,
  };
}

/** An adapter, and its batch records as stored: to store what code of another format wrote. */
export interface WriteAheadLogFixture {
  readonly wal: WriteAheadLog;
  /** Stores a batch record exactly as given: no format version is added, no rule applies. */
  putStoredBatch(jobId: string, batchId: number, stored: Readonly<Record<string, unknown>>): Promise<void>;
  /** A batch record as stored (without the store's own keys), undecoded; null when there is none. */
  getStoredBatch(jobId: string, batchId: number): Promise<unknown>;
}

export function describeWriteAheadLogContract(name: string, makeAdapter: () => Promise<WriteAheadLogFixture> | WriteAheadLogFixture): void {
  describe(`WriteAheadLog contract: ${name}`, () => {
    let fixture: WriteAheadLogFixture;
    let wal: WriteAheadLog;
    beforeEach(async () => {
      fixture = await makeAdapter();
      wal = fixture.wal;
    });

    describe('driver lease', () => {
      it('has no epoch for a new job, then counts epochs from 1 per job', async () => {
        expect(await wal.currentEpoch('job-a')).toBeNull();
        expect(await wal.acquireEpoch('job-a')).toBe(1);
        expect(await wal.acquireEpoch('job-a')).toBe(2);
        expect(await wal.currentEpoch('job-a')).toBe(2);
        expect(await wal.currentEpoch('job-b')).toBeNull();
        expect(await wal.acquireEpoch('job-b')).toBe(1);
        expect(await wal.currentEpoch('job-a')).toBe(2);
      });

      it('hands out distinct epochs to concurrent drivers', async () => {
        const epochs = await Promise.all(Array.from({ length: 8 }, () => wal.acquireEpoch('job')));
        expect([...epochs].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
        expect(await wal.currentEpoch('job')).toBe(8);
      });
    });

    describe('putPlan', () => {
      it('stores a PLANNED batch exactly as given', async () => {
        const epoch = await wal.acquireEpoch('job');
        const plan = testPlan('job', 1, epoch);
        await wal.putPlan(plan);
        expect(await wal.getBatch('job', 1)).toEqual({ plan, status: BatchStatus.PLANNED });
        expect(await wal.getBatch('job', 2)).toBeNull();
        expect(await wal.getBatch('other-job', 1)).toBeNull();
      });

      it('lets the first writer win and never overwrites a plan', async () => {
        const epoch = await wal.acquireEpoch('job');
        const first = testPlan('job', 1, epoch);
        await wal.putPlan(first);
        const second = { ...testPlan('job', 1, epoch, ['shardId-000000000009']), plannedAt: first.plannedAt + 1 };
        const error = await wal.putPlan(second).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ConcurrentDriverError);
        expect((error as Error).message).toMatch(/planned by another driver/);
        expect((await wal.getBatch('job', 1))?.plan).toEqual(first);
      });

      it('lets exactly one of two concurrent plans of a batch through', async () => {
        const epoch = await wal.acquireEpoch('job');
        const plans = [testPlan('job', 1, epoch), testPlan('job', 1, epoch, ['shardId-000000000007'])];
        const outcomes = await Promise.allSettled(plans.map((p) => wal.putPlan(p)));
        const won = outcomes.findIndex((o) => o.status === 'fulfilled');
        expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
        const lost = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
        expect(lost.reason).toBeInstanceOf(ConcurrentDriverError);
        expect((await wal.getBatch('job', 1))?.plan).toEqual(plans[won]);
      });

      it('rejects a plan from a stale epoch once another driver acquired the job', async () => {
        const old = await wal.acquireEpoch('job');
        await wal.putPlan(testPlan('job', 1, old));
        const current = await wal.acquireEpoch('job');
        const error = await wal.putPlan(testPlan('job', 2, old)).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ConcurrentDriverError);
        expect((error as Error).message).toMatch(new RegExp(`epoch ${old} is stale`));
        expect(await wal.getBatch('job', 2)).toBeNull();
        await wal.putPlan(testPlan('job', 2, current));
        expect((await wal.getBatch('job', 2))?.plan.epoch).toBe(current);
      });

      it('rejects a plan when no driver holds the job, or from a future epoch', async () => {
        await expect(wal.putPlan(testPlan('job', 1, 1))).rejects.toBeInstanceOf(ConcurrentDriverError);
        await wal.acquireEpoch('job');
        await expect(wal.putPlan(testPlan('job', 1, 2))).rejects.toBeInstanceOf(ConcurrentDriverError);
        expect(await wal.getBatch('job', 1)).toBeNull();
      });
    });

    describe('commitBatch', () => {
      it('commits a planned batch and keeps its plan', async () => {
        const epoch = await wal.acquireEpoch('job');
        const plan = testPlan('job', 1, epoch);
        await wal.putPlan(plan);
        const commit = testCommit(plan);
        expect(await wal.commitBatch('job', commit)).toBe('committed');
        expect(await wal.getBatch('job', 1)).toEqual({ plan, status: BatchStatus.COMMITTED, commit });
      });

      it('answers already-committed to a retry and keeps the first commit', async () => {
        const epoch = await wal.acquireEpoch('job');
        const plan = testPlan('job', 1, epoch);
        await wal.putPlan(plan);
        const commit = testCommit(plan);
        await wal.commitBatch('job', commit);
        expect(await wal.commitBatch('job', commit)).toBe('already-committed');
        expect(await wal.commitBatch('job', testCommit(plan, epoch, commit.committedAt + 99))).toBe('already-committed');
        expect((await wal.getBatch('job', 1))?.commit).toEqual(commit);
      });

      it('answers already-committed to a retry even after another driver took the job', async () => {
        const epoch = await wal.acquireEpoch('job');
        const plan = testPlan('job', 1, epoch);
        await wal.putPlan(plan);
        await wal.commitBatch('job', testCommit(plan));
        await wal.acquireEpoch('job');
        expect(await wal.commitBatch('job', testCommit(plan))).toBe('already-committed');
      });

      it('commits concurrent identical commits once', async () => {
        const epoch = await wal.acquireEpoch('job');
        const plan = testPlan('job', 1, epoch);
        await wal.putPlan(plan);
        const outcomes = await Promise.all([1, 2, 3].map(() => wal.commitBatch('job', testCommit(plan))));
        expect([...outcomes].sort()).toEqual(['already-committed', 'already-committed', 'committed']);
        expect((await wal.getBatch('job', 1))?.status).toBe(BatchStatus.COMMITTED);
      });

      it('fences a commit from a stale epoch and leaves the batch PLANNED', async () => {
        const old = await wal.acquireEpoch('job');
        const plan = testPlan('job', 1, old);
        await wal.putPlan(plan);
        const current = await wal.acquireEpoch('job');
        const error = await wal.commitBatch('job', testCommit(plan, old)).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ConcurrentDriverError);
        expect((error as Error).message).toMatch(new RegExp(`epoch ${old} is stale`));
        expect(await wal.getBatch('job', 1)).toEqual({ plan, status: BatchStatus.PLANNED });
        // The new driver resumes the batch with its own epoch.
        expect(await wal.commitBatch('job', testCommit(plan, current))).toBe('committed');
        expect((await wal.getBatch('job', 1))?.commit?.epoch).toBe(current);
      });

      it('rejects the commit of a batch that was never planned', async () => {
        const epoch = await wal.acquireEpoch('job');
        const commit = testCommit(testPlan('job', 3, epoch));
        await expect(wal.commitBatch('job', commit)).rejects.toBeInstanceOf(NotFoundError);
        expect(await wal.getBatch('job', 3)).toBeNull();
      });
    });

    describe('reading batches', () => {
      it('has no latest batch for a new job', async () => {
        expect(await wal.getLatestBatch('job')).toBeNull();
        expect(await wal.listBatches('job')).toEqual([]);
      });

      it('returns the batch with the highest id as the latest, committed or not', async () => {
        const epoch = await wal.acquireEpoch('job');
        for (let id = 1; id <= 11; id += 1) {
          const plan = testPlan('job', id, epoch);
          await wal.putPlan(plan);
          const latest = await wal.getLatestBatch('job');
          expect(latest?.plan.batchId).toBe(id);
          expect(latest?.status).toBe(BatchStatus.PLANNED);
          if (id < 11) await wal.commitBatch('job', testCommit(plan));
          expect((await wal.getLatestBatch('job'))?.status).toBe(id < 11 ? BatchStatus.COMMITTED : BatchStatus.PLANNED);
        }
        await wal.commitBatch('job', testCommit(testPlan('job', 11, epoch)));
        expect(await wal.getLatestBatch('job')).toEqual({
          plan: testPlan('job', 11, epoch),
          status: BatchStatus.COMMITTED,
          commit: testCommit(testPlan('job', 11, epoch)),
        });
        // Another job with a name that shares a prefix sees none of it.
        expect(await wal.getLatestBatch('jo')).toBeNull();
        expect(await wal.getLatestBatch('job-2')).toBeNull();
      });

      it('lists batches in id order from fromBatchId, at most limit', async () => {
        const epoch = await wal.acquireEpoch('job');
        for (let id = 1; id <= 12; id += 1) await wal.putPlan(testPlan('job', id, epoch));
        const ids = async (options?: { fromBatchId?: number; limit?: number }) =>
          (await wal.listBatches('job', options)).map((b) => b.plan.batchId);
        expect(await ids()).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
        expect(await ids({ fromBatchId: 9 })).toEqual([9, 10, 11, 12]);
        expect(await ids({ fromBatchId: 2, limit: 3 })).toEqual([2, 3, 4]);
        expect(await ids({ limit: 1 })).toEqual([1]);
        expect(await ids({ fromBatchId: 13 })).toEqual([]);
        expect((await wal.listBatches('job', { fromBatchId: 5, limit: 1 }))[0]).toEqual({
          plan: testPlan('job', 5, epoch),
          status: BatchStatus.PLANNED,
        });
      });

      it('lists every batch when they do not fit one page of the store', async () => {
        // ~120 KB per plan: more than a 1 MB DynamoDB page in all.
        const partitions = Array.from({ length: 1_000 }, (_, i) => `shardId-${String(i).padStart(12, '0')}`);
        const epoch = await wal.acquireEpoch('job');
        for (let id = 1; id <= 12; id += 1) await wal.putPlan(testPlan('job', id, epoch, partitions));
        const all = await wal.listBatches('job');
        expect(all.map((b) => b.plan.batchId)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
        expect(all[11]?.plan).toEqual(testPlan('job', 12, epoch, partitions));
        expect((await wal.listBatches('job', { fromBatchId: 3, limit: 9 })).map((b) => b.plan.batchId)).toEqual([
          3, 4, 5, 6, 7, 8, 9, 10, 11,
        ]);
      });
    });

    describe('range ends', () => {
      it('records the first end of a range and returns it to every later caller', async () => {
        const first: RangeEnd = { count: 17, lastOffset: OFFSET_B };
        expect(await wal.getRangeEnd('job', 1, SHARDS[0]!)).toBeNull();
        expect(await wal.recordRangeEnd('job', 1, SHARDS[0]!, first)).toEqual(first);
        expect(await wal.recordRangeEnd('job', 1, SHARDS[0]!, { count: 20, lastOffset: OFFSET_A })).toEqual(first);
        expect(await wal.recordRangeEnd('job', 1, SHARDS[0]!, { count: 0 })).toEqual(first);
        expect(await wal.getRangeEnd('job', 1, SHARDS[0]!)).toEqual(first);
      });

      it('keeps the start a fixed range was moved to after its planned start aged out, for every later caller', async () => {
        const moved: RangeEnd = { count: 0, startedAt: '60' };
        expect(await wal.recordRangeEnd('job', 3, '0', moved)).toEqual(moved);
        expect(await wal.recordRangeEnd('job', 3, '0', { count: 0, startedAt: '75' })).toEqual(moved);
        expect(await wal.getRangeEnd('job', 3, '0')).toEqual(moved);
      });

      it('keeps ranges apart by job, batch and partition, and keeps empty and closed ends', async () => {
        const empty: RangeEnd = { count: 0 };
        const closed: RangeEnd = { count: 3, lastOffset: OFFSET_A, closed: true };
        expect(await wal.recordRangeEnd('job', 1, SHARDS[0]!, empty)).toEqual(empty);
        expect(await wal.recordRangeEnd('job', 1, SHARDS[1]!, closed)).toEqual(closed);
        expect(await wal.recordRangeEnd('job', 2, SHARDS[0]!, closed)).toEqual(closed);
        expect(await wal.recordRangeEnd('job-2', 1, SHARDS[0]!, closed)).toEqual(closed);
        expect(await wal.getRangeEnd('job', 1, SHARDS[0]!)).toEqual(empty);
        expect(await wal.getRangeEnd('job', 1, SHARDS[1]!)).toEqual(closed);
        expect(await wal.getRangeEnd('job', 2, SHARDS[1]!)).toBeNull();
        expect(await wal.getRangeEnd('job', 10, SHARDS[0]!)).toBeNull();
      });

      it('lets exactly one of concurrent executors record a range end', async () => {
        const ends: RangeEnd[] = [1, 2, 3, 4, 5].map((n) => ({ count: n, lastOffset: `${OFFSET_A.slice(0, -1)}${n}` }));
        const returned = await Promise.all(ends.map((end) => wal.recordRangeEnd('job', 1, SHARDS[0]!, end)));
        const stored = await wal.getRangeEnd('job', 1, SHARDS[0]!);
        expect(ends).toContainEqual(stored);
        for (const r of returned) expect(r).toEqual(stored);
      });
    });

    describe('deleteBatchesBelow', () => {
      it('deletes batches and range ends below the id and nothing else', async () => {
        const epoch = await wal.acquireEpoch('job');
        const other = await wal.acquireEpoch('other');
        for (let id = 1; id <= 5; id += 1) {
          const plan = testPlan('job', id, epoch);
          await wal.putPlan(plan);
          for (const shard of SHARDS) await wal.recordRangeEnd('job', id, shard, { count: id, lastOffset: OFFSET_A });
          if (id < 5) await wal.commitBatch('job', testCommit(plan));
        }
        await wal.putPlan(testPlan('other', 1, other));
        await wal.recordRangeEnd('other', 1, SHARDS[0]!, { count: 0 });

        expect(await wal.deleteBatchesBelow('job', 3)).toBe(2);
        expect(await wal.getBatch('job', 1)).toBeNull();
        expect(await wal.getBatch('job', 2)).toBeNull();
        expect(await wal.getRangeEnd('job', 2, SHARDS[1]!)).toBeNull();
        expect(await wal.getRangeEnd('job', 1, SHARDS[0]!)).toBeNull();
        expect((await wal.listBatches('job')).map((b) => b.plan.batchId)).toEqual([3, 4, 5]);
        expect(await wal.getRangeEnd('job', 3, SHARDS[0]!)).toEqual({ count: 3, lastOffset: OFFSET_A });
        expect(await wal.getRangeEnd('job', 5, SHARDS[1]!)).toEqual({ count: 5, lastOffset: OFFSET_A });
        expect((await wal.getLatestBatch('job'))?.plan.batchId).toBe(5);
        expect(await wal.getBatch('other', 1)).not.toBeNull();
        expect(await wal.getRangeEnd('other', 1, SHARDS[0]!)).toEqual({ count: 0 });

        expect(await wal.deleteBatchesBelow('job', 3)).toBe(0);
        expect(await wal.deleteBatchesBelow('job', 1)).toBe(0);
        expect(await wal.deleteBatchesBelow('never-ran', 10)).toBe(0);
        expect(await wal.currentEpoch('job')).toBe(epoch);
      });

      it('deletes more than one write request batch of items', async () => {
        const epoch = await wal.acquireEpoch('job');
        for (let id = 1; id <= 31; id += 1) {
          await wal.putPlan(testPlan('job', id, epoch));
          await wal.recordRangeEnd('job', id, SHARDS[0]!, { count: 0 });
        }
        expect(await wal.deleteBatchesBelow('job', 31)).toBe(30);
        expect((await wal.listBatches('job')).map((b) => b.plan.batchId)).toEqual([31]);
        expect(await wal.getRangeEnd('job', 30, SHARDS[0]!)).toBeNull();
        expect(await wal.getRangeEnd('job', 31, SHARDS[0]!)).toEqual({ count: 0 });
      });
    });

    describe('replays', () => {
      /** Batches 1..`count` of `job`, committed, with a range end per shard. */
      async function committedBatches(job: string, count: number, epoch: number): Promise<void> {
        for (let id = 1; id <= count; id += 1) {
          const plan = testPlan(job, id, epoch);
          await wal.putPlan(plan);
          for (const shard of SHARDS) await wal.recordRangeEnd(job, id, shard, { count: id, lastOffset: OFFSET_A });
          await wal.commitBatch(job, testCommit(plan));
        }
      }

      it('records a replay, raises the generation, and refuses plans of a lower generation from then on', async () => {
        const epoch = await wal.acquireEpoch('job');
        await committedBatches('job', 2, epoch);
        expect(await wal.listReplays('job')).toEqual([]);
        const replayEpoch = await wal.acquireEpoch('job');
        await wal.beginReplay(testReplay('job', 1, replayEpoch));
        expect(await wal.listReplays('job')).toEqual([testReplay('job', 1, replayEpoch)]);

        // A driver that plans from the old generation (the replay is unfinished) is refused.
        const driver = await wal.acquireEpoch('job');
        const error = await wal.putPlan(testPlan('job', 3, driver)).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ConflictError);
        expect((error as Error).message).toMatch(/job job is being replayed \(generation 1\).*Finish the replay first/);
        expect(await wal.getBatch('job', 3)).toBeNull();
        // A stale epoch is still a ConcurrentDriverError.
        await expect(wal.putPlan({ ...testPlan('job', 3, replayEpoch), generation: 1 })).rejects.toBeInstanceOf(ConcurrentDriverError);
        // Plans of the replay's generation, or later, go through.
        await wal.putPlan({ ...testPlan('job', 3, driver), generation: 1 });
        await wal.putPlan({ ...testPlan('job', 4, driver), generation: 2 });
        expect((await wal.getBatch('job', 4))?.plan.generation).toBe(2);
      });

      it("begins a replay only with the current epoch, a generation above the job's, and once", async () => {
        const old = await wal.acquireEpoch('job');
        const current = await wal.acquireEpoch('job');
        await expect(wal.beginReplay(testReplay('job', 1, old))).rejects.toBeInstanceOf(ConcurrentDriverError);
        expect(await wal.listReplays('job')).toEqual([]);
        await wal.beginReplay(testReplay('job', 2, current));
        const again = await wal.beginReplay(testReplay('job', 2, current)).catch((e: unknown) => e);
        expect(again).toBeInstanceOf(ConcurrentDriverError);
        expect((again as Error).message).toMatch(/generation 2 of job job is taken/);
        await expect(wal.beginReplay(testReplay('job', 1, current))).rejects.toBeInstanceOf(ConcurrentDriverError);
        await wal.beginReplay(testReplay('job', 3, current, { fromBatchId: 0 }));
        expect((await wal.listReplays('job')).map((r) => [r.generation, r.fromBatchId])).toEqual([
          [2, 2],
          [3, 0],
        ]);
        expect(await wal.listReplays('other')).toEqual([]);
        // The epoch is unchanged: beginning a replay does not take the lease.
        expect(await wal.currentEpoch('job')).toBe(current);
      });

      it('lets exactly one of two concurrent replays of a generation begin', async () => {
        const epoch = await wal.acquireEpoch('job');
        const outcomes = await Promise.allSettled([
          wal.beginReplay(testReplay('job', 1, epoch, { fromBatchId: 1 })),
          wal.beginReplay(testReplay('job', 1, epoch, { fromBatchId: 2 })),
        ]);
        expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
        expect(await wal.listReplays('job')).toHaveLength(1);
      });

      it('marks a replay finished once, and refuses to finish one that never began', async () => {
        const epoch = await wal.acquireEpoch('job');
        await wal.beginReplay(testReplay('job', 1, epoch));
        await wal.finishReplay('job', 1, 1_767_225_800_000);
        await wal.finishReplay('job', 1, 1_767_225_900_000);
        expect(await wal.listReplays('job')).toEqual([testReplay('job', 1, epoch, { finishedAt: 1_767_225_800_000 })]);
        await expect(wal.finishReplay('job', 2, 1)).rejects.toBeInstanceOf(NotFoundError);
      });

      it('supersedes the batches above N with their range ends, keeping them as they were', async () => {
        const epoch = await wal.acquireEpoch('job');
        await committedBatches('job', 5, epoch);
        const other = await wal.acquireEpoch('other');
        await committedBatches('other', 4, other);
        const before = await wal.listBatches('job');

        expect(await wal.supersedeBatchesAbove('job', 2, 1)).toBe(3);
        expect((await wal.listBatches('job')).map((b) => b.plan.batchId)).toEqual([1, 2]);
        expect((await wal.getLatestBatch('job'))?.plan.batchId).toBe(2);
        expect(await wal.getRangeEnd('job', 3, SHARDS[0]!)).toBeNull();
        expect(await wal.getRangeEnd('job', 5, SHARDS[1]!)).toBeNull();
        expect(await wal.getRangeEnd('job', 2, SHARDS[1]!)).toEqual({ count: 2, lastOffset: OFFSET_A });
        const superseded = await wal.listSupersededBatches('job', 1);
        expect(superseded.map((b) => b.record)).toEqual(before.slice(2));
        for (const b of superseded) {
          const id = b.record.plan.batchId;
          expect(b.rangeEnds).toEqual(Object.fromEntries(SHARDS.map((s) => [s, { count: id, lastOffset: OFFSET_A }])));
        }
        expect(await wal.listSupersededBatches('job', 2)).toEqual([]);
        expect(await wal.listSupersededBatches('other', 1)).toEqual([]);
        expect((await wal.listBatches('other')).map((b) => b.plan.batchId)).toEqual([1, 2, 3, 4]);
        expect(await wal.currentEpoch('job')).toBe(epoch);
      });

      it("leaves batches of the replay's generation alone: calling it again during the replay is harmless", async () => {
        const epoch = await wal.acquireEpoch('job');
        await committedBatches('job', 4, epoch);
        await wal.beginReplay(testReplay('job', 1, epoch, { fromBatchId: 1, toBatchId: 4, supersededUpTo: 4 }));
        expect(await wal.supersedeBatchesAbove('job', 1, 1)).toBe(3);
        // The replay writes batch 2 of generation 1 under the same id, with its range end.
        const replayed = { ...testPlan('job', 2, epoch), generation: 1 };
        await wal.recordRangeEnd('job', 2, SHARDS[0]!, { count: 2, lastOffset: OFFSET_A });
        await wal.putPlan(replayed);
        await wal.commitBatch('job', testCommit(replayed));

        expect(await wal.supersedeBatchesAbove('job', 1, 1)).toBe(0);
        expect((await wal.getBatch('job', 2))?.plan).toEqual(replayed);
        expect(await wal.getRangeEnd('job', 2, SHARDS[0]!)).toEqual({ count: 2, lastOffset: OFFSET_A });
        expect((await wal.listSupersededBatches('job', 1)).map((b) => [b.record.plan.batchId, b.record.plan.generation])).toEqual([
          [2, undefined],
          [3, undefined],
          [4, undefined],
        ]);
        // A later replay supersedes generation 1's batch 2 into its own archive.
        const next = await wal.acquireEpoch('job');
        await wal.beginReplay(testReplay('job', 2, next, { fromBatchId: 1 }));
        expect(await wal.supersedeBatchesAbove('job', 1, 2)).toBe(1);
        expect((await wal.listSupersededBatches('job', 2)).map((b) => b.record.plan)).toEqual([replayed]);
        expect(await wal.listSupersededBatches('job', 1)).toHaveLength(3);
      });

      it('supersedes nothing above the latest batch, and from 0 supersedes every batch', async () => {
        const epoch = await wal.acquireEpoch('job');
        await committedBatches('job', 3, epoch);
        expect(await wal.supersedeBatchesAbove('job', 3, 1)).toBe(0);
        expect(await wal.supersedeBatchesAbove('never-ran', 0, 1)).toBe(0);
        expect(await wal.supersedeBatchesAbove('job', 0, 1)).toBe(3);
        expect(await wal.getLatestBatch('job')).toBeNull();
        expect((await wal.listSupersededBatches('job', 1)).map((b) => b.record.plan.batchId)).toEqual([1, 2, 3]);
      });
    });

    describe('the stored format (engine/protocol/batch-record-format.ts)', () => {
      /** What absence meant in a record written before format versions (testPlan writes none of these). */
      const upgraded = (plan: BatchPlan): BatchPlan => ({ ...plan, generation: 0, handedOver: {}, finishedJobVersions: {} });

      it('writes every batch record with the current format version, and a commit keeps it', async () => {
        const epoch = await wal.acquireEpoch('job');
        const plan = testPlan('job', 1, epoch);
        await wal.putPlan(plan);
        expect(await fixture.getStoredBatch('job', 1)).toEqual({ formatVersion: WAL_FORMAT_VERSION, status: BatchStatus.PLANNED, plan });
        await wal.commitBatch('job', testCommit(plan));
        expect(await fixture.getStoredBatch('job', 1)).toMatchObject({ formatVersion: WAL_FORMAT_VERSION, status: BatchStatus.COMMITTED });
      });

      it('reads a record stored before format versions back upgraded, from every read, and commits it', async () => {
        const epoch = await wal.acquireEpoch('job');
        const one = testPlan('job', 1, epoch);
        const two = testPlan('job', 2, epoch);
        await fixture.putStoredBatch('job', 1, { status: BatchStatus.COMMITTED, plan: one, commit: testCommit(one) });
        await fixture.putStoredBatch('job', 2, { status: BatchStatus.PLANNED, plan: two });

        const first = { plan: upgraded(one), status: BatchStatus.COMMITTED, commit: testCommit(one) };
        expect(await wal.getBatch('job', 1)).toEqual(first);
        expect(await wal.getLatestBatch('job')).toEqual({ plan: upgraded(two), status: BatchStatus.PLANNED });
        expect(await wal.listBatches('job')).toEqual([first, { plan: upgraded(two), status: BatchStatus.PLANNED }]);
        expect((await wal.getBatch('job', 1))?.plan.jobVersion).toBeUndefined();

        // The commit goes into the record as it is: it stays a record without a version.
        expect(await wal.commitBatch('job', testCommit(two))).toBe('committed');
        expect(await wal.getBatch('job', 2)).toEqual({ plan: upgraded(two), status: BatchStatus.COMMITTED, commit: testCommit(two) });
        expect(await fixture.getStoredBatch('job', 2)).not.toHaveProperty('formatVersion');

        // A replay moves it as it is, and reads it back upgraded.
        await wal.beginReplay(testReplay('job', 1, epoch, { fromBatchId: 0 }));
        expect(await wal.supersedeBatchesAbove('job', 0, 1)).toBe(2);
        expect((await wal.listSupersededBatches('job', 1)).map((b) => b.record)).toEqual([
          first,
          { plan: upgraded(two), status: BatchStatus.COMMITTED, commit: testCommit(two) },
        ]);
      });

      it('refuses a record of a newer format version, naming the job and the batch, from every read', async () => {
        const epoch = await wal.acquireEpoch('job');
        const plan = testPlan('job', 1, epoch);
        await fixture.putStoredBatch('job', 1, { formatVersion: WAL_FORMAT_VERSION + 1, status: BatchStatus.PLANNED, plan });
        const message = `job job: batch 1 of the write-ahead log has format version ${WAL_FORMAT_VERSION + 1}, and this code reads versions up to ${WAL_FORMAT_VERSION}`;
        for (const read of [() => wal.getBatch('job', 1), () => wal.getLatestBatch('job'), () => wal.listBatches('job')]) {
          const error = await read().catch((e: unknown) => e);
          expect(error).toBeInstanceOf(StateCorruptionError);
          expect((error as Error).message).toContain(message);
        }
        await expect(wal.commitBatch('job', testCommit(plan))).rejects.toBeInstanceOf(StateCorruptionError);
      });

      it('refuses a malformed record, saying what is wrong with it', async () => {
        const epoch = await wal.acquireEpoch('job');
        const plan = testPlan('job', 1, epoch);
        const partitions = plan.partitions.map((p, i) => (i === 1 ? { ...p, maxRecords: 'many' } : p));
        await fixture.putStoredBatch('job', 1, {
          formatVersion: WAL_FORMAT_VERSION,
          status: BatchStatus.PLANNED,
          plan: { ...plan, partitions },
        });
        const error = await wal.getBatch('job', 1).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(StateCorruptionError);
        expect((error as Error).message).toMatch(
          /^job job: batch 1 of the write-ahead log is malformed: plan\.partitions\.1\.maxRecords: /,
        );
      });
    });
  });
}
