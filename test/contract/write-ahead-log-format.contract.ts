/**
 * The write-ahead log contract, the stored format (engine/protocol/batch-record-format.ts):
 * every record written carries the current format version, one written before versions
 * reads back upgraded, and one of a newer version or malformed is refused by every read.
 * Run on every adapter by write-ahead-log.test.ts, through the fixture's access to what
 * the adapter stores.
 */
import { describe, expect, it } from 'vitest';
import { StateCorruptionError } from '../../engine/errors.js';
import { BatchStatus, type BatchPlan } from '../../engine/protocol/batch-records.js';
import { WAL_FORMAT_VERSION } from '../../engine/protocol/batch-record-format.js';
import { describeContractPart, type MakeWriteAheadLog, testCommit, testPlan, testReplay } from './write-ahead-log.contract.js';

export function describeWriteAheadLogFormat(name: string, makeAdapter: MakeWriteAheadLog): void {
  describeContractPart(name, makeAdapter, (fixture) => {
    const { wal } = fixture;
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
