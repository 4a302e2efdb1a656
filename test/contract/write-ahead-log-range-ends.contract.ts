/**
 * The write-ahead log contract, range ends (engine/ports/write-ahead-log.ts
 * recordRangeEnd, getRangeEnd): the first end recorded for a job, batch and partition is
 * the one every later caller gets, however many executors race to record it. Run on every
 * adapter by write-ahead-log.test.ts.
 */
import { describe, expect, it } from 'vitest';
import type { RangeEnd, RecordedRangeEnd } from '../../engine/protocol/offsets.js';
import { describeContractPart, type MakeWriteAheadLog, OFFSET_A, OFFSET_B, SHARDS } from './write-ahead-log.contract.js';

export function describeWriteAheadLogRangeEnds(name: string, makeAdapter: MakeWriteAheadLog): void {
  describeContractPart(name, makeAdapter, ({ wal }) => {
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

      it('keeps that a range stopped at its read budget has more, for every later caller', async () => {
        const stopped: RecordedRangeEnd = { count: 4, lastOffset: OFFSET_A, more: true };
        expect(await wal.recordRangeEnd('job', 4, SHARDS[0]!, stopped)).toEqual(stopped);
        // A losing attempt gets it from its failed conditional put, a later one from a read.
        expect(await wal.recordRangeEnd('job', 4, SHARDS[0]!, { count: 4, lastOffset: OFFSET_A })).toEqual(stopped);
        expect(await wal.getRangeEnd('job', 4, SHARDS[0]!)).toEqual(stopped);
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
  });
}
