/**
 * The write-ahead log contract, replays (engine/ports/write-ahead-log.ts beginReplay,
 * finishReplay, listReplays, supersedeBatchesAbove, listSupersededBatches): a replay
 * raises the job's generation once, fences plans of older generations, and moves the
 * batches it supersedes, with their range ends, into its archive as they were. Run on
 * every adapter by write-ahead-log.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { ConcurrentDriverError, ConflictError, NotFoundError } from '../../engine/errors.js';
import {
  describeContractPart,
  type MakeWriteAheadLog,
  OFFSET_A,
  SHARDS,
  testCommit,
  testPlan,
  testReplay,
} from './write-ahead-log.contract.js';

export function describeWriteAheadLogReplays(name: string, makeAdapter: MakeWriteAheadLog): void {
  describeContractPart(name, makeAdapter, ({ wal }) => {
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
  });
}
