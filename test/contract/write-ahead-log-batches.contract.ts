/**
 * The write-ahead log contract, batch records (engine/ports/write-ahead-log.ts putPlan,
 * commitBatch, getBatch, getLatestBatch, listBatches, deleteBatchesBelow): the first plan
 * of a batch wins, a commit lands once and only from the current epoch, reads page in id
 * order, and retention deletes below an id with the range ends. Run on every adapter by
 * write-ahead-log.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { ConcurrentDriverError, NotFoundError } from '../../engine/errors.js';
import { BatchStatus } from '../../engine/protocol/batch-records.js';
import { describeContractPart, type MakeWriteAheadLog, OFFSET_A, SHARDS, testCommit, testPlan } from './write-ahead-log.contract.js';

export function describeWriteAheadLogBatches(name: string, makeAdapter: MakeWriteAheadLog): void {
  describeContractPart(name, makeAdapter, ({ wal }) => {
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
  });
}
