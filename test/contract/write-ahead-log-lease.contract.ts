/**
 * The write-ahead log contract, the driver lease (engine/ports/write-ahead-log.ts
 * acquireEpoch, currentEpoch): epochs count per job, and concurrent drivers never share
 * one. Run on every adapter by write-ahead-log.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { describeContractPart, type MakeWriteAheadLog } from './write-ahead-log.contract.js';

export function describeWriteAheadLogLease(name: string, makeAdapter: MakeWriteAheadLog): void {
  describeContractPart(name, makeAdapter, ({ wal }) => {
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
  });
}
