/**
 * The rules of a source that fixes its ranges at plan time (engine/ports/source-reader.ts
 * `fixRanges`; Kafka and its memory twin), checked against any adapter. Each test gets a
 * fresh topic whose partitions are all empty, a reader of it, a way to append records to
 * one partition (optionally in record batches of a given size), and a way to make the
 * front of a partition age out (retention).
 *
 * The rules, for a request { partition, start, maxRecords }:
 *   - the start is resolved to an offset: EARLIEST = the earliest offset still held,
 *     AFTER o = the offset after o, AT_OFFSET o = o, AT_TIMESTAMP t = the first record at
 *     or after t (the end when there is none);
 *   - endBefore = min(start + maxRecords, the partition's end), endIsTail when it is the end;
 *   - a start below the earliest offset held: DataLossError naming the partition and the
 *     offset, or with failOnDataLoss false, the range starts at the earliest offset and
 *     says it skipped [start, earliest);
 * and a read of [start, endBefore) returns exactly the records at offsets in that range,
 * in order, every time, whatever was appended since; with a byte bound (maxBytes), only
 * those up to the record that reaches it, the same every time, saying `more` when the
 * range goes on after it.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { DataLossError } from '../../engine/errors.js';
import type { FixedRange } from '../../engine/protocol/fixed-ranges.js';
import type { ReadResult, SourceReader, SourceRecord } from '../../engine/ports/source-reader.js';
import { compareOffsets, type Offset, type StartPosition } from '../../engine/protocol/offsets.js';

export interface FixedRangeFixture {
  readonly reader: SourceReader;
  /** Every partition of the topic, as the reader lists them (at least two). */
  readonly partitions: readonly string[];
  /** Appends records to one partition, `batchSize` per record batch (default: one batch); returns their offsets. */
  append(partition: string, records: readonly { key: string; data: Uint8Array }[], options?: { batchSize?: number }): Promise<Offset[]>;
  /** Retention: the records of `partition` before offset `before` age out. */
  ageOut(partition: string, before: Offset): Promise<void>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function records(from: number, count: number): { key: string; data: Uint8Array }[] {
  return Array.from({ length: count }, (_, i) => ({
    key: `user-${(from + i) % 3}`,
    data: encoder.encode(JSON.stringify({ n: from + i })),
  }));
}

const numbers = (read: { records: readonly SourceRecord[] }): number[] =>
  read.records.map((r) => (JSON.parse(decoder.decode(r.data)) as { n: number }).n);

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function describeFixedRangeSourceContract(name: string, makeFixture: () => Promise<FixedRangeFixture> | FixedRangeFixture): void {
  describe(`fixed-range SourceReader contract: ${name}`, () => {
    let fixture: FixedRangeFixture;
    let reader: SourceReader;
    let p0: string;
    let p1: string;
    const EARLIEST: StartPosition = { type: 'EARLIEST' };

    beforeEach(async () => {
      fixture = await makeFixture();
      reader = fixture.reader;
      [p0, p1] = fixture.partitions as [string, string];
    });

    async function fix(partition: string, start: StartPosition, maxRecords: number, failOnDataLoss = true): Promise<FixedRange> {
      const [fixed] = await reader.fixRanges!([{ partition, start, maxRecords }], { failOnDataLoss });
      expect(fixed?.partition).toBe(partition);
      return fixed!;
    }

    function startOffset(fixed: FixedRange): Offset {
      expect(fixed.start.type).toBe('AT_OFFSET');
      return (fixed.start as { offset: Offset }).offset;
    }

    /** Reads a range as the executor does: the plan's start, cap and endBefore. */
    function read(partition: string, start: Offset, endBefore: Offset, maxRecords = 10_000): Promise<ReadResult> {
      return reader.read({ partition, start: { type: 'AT_OFFSET', offset: start }, maxRecords, endBefore });
    }

    it('fixes ranges at plan time and lists its partitions, none closed, none with parents', async () => {
      expect(typeof reader.fixRanges).toBe('function');
      const partitions = await reader.listPartitions();
      expect(partitions.map((p) => p.id)).toEqual([...fixture.partitions]);
      for (const p of partitions) {
        expect(p.parentIds).toEqual([]);
        expect(p.closed).toBe(false);
      }
    });

    it('fixes an empty range at the tail of an empty partition, and reads nothing from it', async () => {
      const fixed = await fix(p0, EARLIEST, 100);
      expect(fixed.endBefore).toBe(startOffset(fixed));
      expect(fixed.endIsTail).toBe(true);
      expect(fixed.skipped).toBeUndefined();
      const got = await read(p0, startOffset(fixed), fixed.endBefore, 100);
      expect(got.records).toEqual([]);
      expect(got.closed).toBe(false);
    });

    it('resolves EARLIEST to the first offset and caps the range at start + maxRecords, or the end', async () => {
      const offsets = await fixture.append(p0, records(0, 10));
      const capped = await fix(p0, EARLIEST, 4);
      expect(capped).toEqual({ partition: p0, start: { type: 'AT_OFFSET', offset: offsets[0] }, endBefore: offsets[4], endIsTail: false });
      expect(numbers(await read(p0, offsets[0]!, capped.endBefore, 4))).toEqual([0, 1, 2, 3]);

      const whole = await fix(p0, EARLIEST, 1_000);
      const end = (BigInt(offsets[9]!) + 1n).toString();
      expect(whole).toEqual({ partition: p0, start: { type: 'AT_OFFSET', offset: offsets[0] }, endBefore: end, endIsTail: true });
      expect(numbers(await read(p0, offsets[0]!, end, 1_000))).toEqual(range(0, 10));

      const exact = await fix(p0, EARLIEST, 10);
      expect(exact.endBefore).toBe(end);
      expect(exact.endIsTail).toBe(true);
    });

    it('resolves AFTER o to the next offset and AT_OFFSET o to o', async () => {
      const offsets = await fixture.append(p0, records(0, 10));
      const after = await fix(p0, { type: 'AFTER', offset: offsets[3]! }, 3);
      expect(startOffset(after)).toBe(offsets[4]);
      expect(after.endBefore).toBe(offsets[7]);
      expect(numbers(await read(p0, offsets[4]!, after.endBefore, 3))).toEqual([4, 5, 6]);

      const at = await fix(p0, { type: 'AT_OFFSET', offset: offsets[6]! }, 100);
      expect(startOffset(at)).toBe(offsets[6]);
      expect(at.endIsTail).toBe(true);
      expect(numbers(await read(p0, offsets[6]!, at.endBefore, 100))).toEqual([6, 7, 8, 9]);

      const atEnd = await fix(p0, { type: 'AFTER', offset: offsets[9]! }, 100);
      expect(atEnd.endBefore).toBe(startOffset(atEnd));
      expect(atEnd.endIsTail).toBe(true);
    });

    it('resolves a timestamp later than every record to an empty range at the tail', async () => {
      const offsets = await fixture.append(p0, records(0, 5));
      await sleep(20);
      const fixed = await fix(p0, { type: 'AT_TIMESTAMP', timestamp: Date.now() + 60_000 }, 100);
      const end = (BigInt(offsets[4]!) + 1n).toString();
      expect(fixed).toEqual({ partition: p0, start: { type: 'AT_OFFSET', offset: end }, endBefore: end, endIsTail: true });
    });

    it('fixes the ranges of several partitions at once, each with its own start, cap and end', async () => {
      const a = await fixture.append(p0, records(0, 8));
      const b = await fixture.append(p1, records(100, 3));
      const fixed = await reader.fixRanges!(
        [
          { partition: p0, start: { type: 'AFTER', offset: a[1]! }, maxRecords: 5 },
          { partition: p1, start: EARLIEST, maxRecords: 5 },
        ],
        { failOnDataLoss: true },
      );
      expect(fixed).toEqual([
        { partition: p0, start: { type: 'AT_OFFSET', offset: a[2] }, endBefore: a[7], endIsTail: false },
        { partition: p1, start: { type: 'AT_OFFSET', offset: b[0] }, endBefore: (BigInt(b[2]!) + 1n).toString(), endIsTail: true },
      ]);
      expect(numbers(await read(p0, a[2]!, a[7]!, 5))).toEqual([2, 3, 4, 5, 6]);
      expect(numbers(await read(p1, b[0]!, fixed[1]!.endBefore, 5))).toEqual([100, 101, 102]);
    });

    it('reads exactly [start, endBefore) whatever record batches the records came in', async () => {
      const offsets = await fixture.append(p0, records(0, 50), { batchSize: 7 });
      expect(offsets).toHaveLength(50);
      for (let i = 1; i < offsets.length; i += 1) expect(compareOffsets(offsets[i]!, offsets[i - 1]!)).toBe(1);
      const end = (BigInt(offsets[49]!) + 1n).toString();
      const at = (i: number) => (i === 50 ? end : offsets[i]!);
      // Ranges that start and end inside batches, on batch boundaries, span many batches, or hold one record.
      for (const [s, e] of [
        [3, 10],
        [7, 14],
        [0, 50],
        [48, 50],
        [20, 21],
        [13, 40],
        [6, 7],
      ] as const) {
        const got = await read(p0, at(s), at(e), e - s);
        expect(numbers(got), `[${s}, ${e})`).toEqual(range(s, e));
        expect(got.records.map((r) => r.offset)).toEqual(offsets.slice(s, e));
        for (const r of got.records) {
          expect(r.partition).toBe(p0);
          expect(r.key).toBe(`user-${(JSON.parse(decoder.decode(r.data)) as { n: number }).n % 3}`);
        }
      }
      expect(await read(p0, at(13), at(13), 0).then((r) => r.records)).toEqual([]);
    });

    it('reads the same records again after more were appended: a fixed range never moves', async () => {
      const before = Date.now();
      const offsets = await fixture.append(p0, records(0, 12), { batchSize: 5 });
      const fixed = await fix(p0, { type: 'AT_OFFSET', offset: offsets[2]! }, 100);
      expect(fixed.endIsTail).toBe(true);
      const first = await read(p0, offsets[2]!, fixed.endBefore, 100);
      expect(numbers(first)).toEqual(range(2, 12));
      for (const r of first.records) {
        expect(r.arrivalTimeMs).toBeGreaterThanOrEqual(before - 1_000);
        expect(r.arrivalTimeMs).toBeLessThanOrEqual(Date.now() + 1_000);
      }
      await fixture.append(p0, records(12, 9), { batchSize: 4 });
      const replay = await read(p0, offsets[2]!, fixed.endBefore, 100);
      expect(replay.records.map((r) => [r.offset, r.key, decoder.decode(r.data)])).toEqual(
        first.records.map((r) => [r.offset, r.key, decoder.decode(r.data)]),
      );
      expect((await fix(p0, { type: 'AT_OFFSET', offset: fixed.endBefore }, 100)).endIsTail).toBe(true);
    });

    it('chains ranges (next start = AT_OFFSET endBefore) over the whole partition with no gap and no overlap', async () => {
      await fixture.append(p0, records(0, 23), { batchSize: 6 });
      const seen: number[] = [];
      let start: StartPosition = EARLIEST;
      let ranges = 0;
      for (;;) {
        const fixed = await fix(p0, start, 5);
        const got = await read(p0, startOffset(fixed), fixed.endBefore, 5);
        expect(got.records.length).toBeLessThanOrEqual(5);
        seen.push(...numbers(got));
        ranges += 1;
        start = { type: 'AT_OFFSET', offset: fixed.endBefore };
        if (fixed.endIsTail) break;
        expect(ranges).toBeLessThan(10);
      }
      expect(seen).toEqual(range(0, 23));
      expect(ranges).toBe(5);
      await fixture.append(p0, records(23, 2));
      const more = await fix(p0, start, 5);
      expect(numbers(await read(p0, startOffset(more), more.endBefore, 5))).toEqual([23, 24]);
    });

    it('ends a range at its byte bound: at the record that reaches it, the same on every read, with `more`', async () => {
      const offsets = await fixture.append(p0, records(0, 20), { batchSize: 6 });
      const end = (BigInt(offsets[19]!) + 1n).toString();
      const bytes = (from: number, to: number) => records(from, to - from).reduce((sum, r) => sum + r.data.byteLength, 0);
      const bounded = (start: Offset, endBefore: Offset, maxBytes: number) =>
        reader.read({ partition: p0, start: { type: 'AT_OFFSET', offset: start }, maxRecords: 100, endBefore, maxBytes });
      // The fifth record brings the first five to the bound, and one byte less stops there too.
      for (const maxBytes of [bytes(0, 5), bytes(0, 5) - 1]) {
        const first = await bounded(offsets[0]!, end, maxBytes);
        expect(numbers(first), `bound ${maxBytes}`).toEqual(range(0, 5));
        expect(first.more).toBe(true);
        expect(first.caughtUp).toBe(false);
        const again = await bounded(offsets[0]!, end, maxBytes);
        expect(again.records.map((r) => r.offset)).toEqual(first.records.map((r) => r.offset));
      }
      // The next range starts after the cut: nothing skipped, nothing twice.
      const rest = await bounded(offsets[5]!, end, 10_000);
      expect(numbers(rest)).toEqual(range(5, 20));
      expect(rest.more ?? false).toBe(false);
      // A bound reached at the range's last record, or not at all, reads the whole range and says no more.
      expect((await bounded(offsets[0]!, offsets[5]!, bytes(0, 5))).more ?? false).toBe(false);
      expect(numbers(await bounded(offsets[0]!, offsets[5]!, bytes(0, 5)))).toEqual(range(0, 5));
      // A bound below one record still reads one.
      expect(numbers(await bounded(offsets[3]!, end, 1))).toEqual([3]);
      await expect(
        reader.read({ partition: p0, start: { type: 'AT_OFFSET', offset: offsets[0]! }, maxRecords: 5, endBefore: end, maxReadMs: 1_000 }),
      ).rejects.toThrow(/takes no time budget/);
    });

    describe('records that aged out before they were read', () => {
      it('fails the plan with DataLossError naming the partition and the offset (failOnDataLoss)', async () => {
        const offsets = await fixture.append(p0, records(0, 10));
        await fixture.ageOut(p0, offsets[5]!);
        const error = await fix(p0, { type: 'AT_OFFSET', offset: offsets[2]! }, 100).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(DataLossError);
        expect((error as DataLossError).retryable).toBe(false);
        expect((error as DataLossError).context).toMatchObject({ partition: p0, offset: offsets[2] });
        expect((error as DataLossError).message).toContain(offsets[5]!);
        // The other partition is not affected, and EARLIEST is the earliest offset still held.
        expect((await fix(p1, EARLIEST, 10)).endIsTail).toBe(true);
        expect(startOffset(await fix(p0, EARLIEST, 100))).toBe(offsets[5]);
      });

      it('skips to the earliest offset held and says what it skipped (failOnDataLoss false)', async () => {
        const offsets = await fixture.append(p0, records(0, 10), { batchSize: 3 });
        await fixture.ageOut(p0, offsets[5]!);
        const fixed = await fix(p0, { type: 'AT_OFFSET', offset: offsets[2]! }, 3, false);
        expect(fixed).toEqual({
          partition: p0,
          start: { type: 'AT_OFFSET', offset: offsets[5] },
          endBefore: offsets[8],
          endIsTail: false,
          skipped: { from: offsets[2], to: offsets[5] },
        });
        expect(numbers(await read(p0, offsets[5]!, offsets[8]!, 3))).toEqual([5, 6, 7]);
        // A start that is still held is not touched.
        expect((await fix(p0, { type: 'AT_OFFSET', offset: offsets[6]! }, 3, false)).skipped).toBeUndefined();
      });
    });
  });
}
