/**
 * The rules of engine/ports/source-reader.ts, checked against any adapter. Each test gets
 * a fresh stream of two empty partitions, a reader of it, and a way to append records to
 * one partition (which returns their offsets).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { DataLossError, RangeMismatchError } from '../../engine/errors.js';
import type { ReadResult, SourceReader, SourceRecord } from '../../engine/ports/source-reader.js';
import { compareOffsets, type Offset, type StartPosition } from '../../engine/protocol/offsets.js';

export interface SourceFixture {
  readonly reader: SourceReader;
  /** The stream's partitions, two of them. */
  readonly partitions: readonly string[];
  append(partition: string, records: readonly { key: string; data: Uint8Array }[]): Promise<Offset[]>;
  /** Closes the partition and splits it into two children (a Kinesis SplitShard); returns their ids. */
  split(partition: string): Promise<string[]>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function records(from: number, count: number, prefix = 'r'): { key: string; data: Uint8Array }[] {
  return Array.from({ length: count }, (_, i) => ({
    key: `user-${(from + i) % 3}`,
    data: encoder.encode(JSON.stringify({ n: from + i, text: `${prefix}-${from + i}` })),
  }));
}

const numbers = (read: { records: readonly SourceRecord[] }): number[] =>
  read.records.map((r) => (JSON.parse(decoder.decode(r.data)) as { n: number }).n);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function expectIncreasing(offsets: readonly Offset[]): void {
  for (let i = 1; i < offsets.length; i += 1) expect(compareOffsets(offsets[i]!, offsets[i - 1]!)).toBe(1);
}

export function describeSourceReaderContract(name: string, makeFixture: () => Promise<SourceFixture> | SourceFixture): void {
  describe(`SourceReader contract: ${name}`, () => {
    let fixture: SourceFixture;
    let reader: SourceReader;
    let p0: string;
    let p1: string;
    const EARLIEST: StartPosition = { type: 'EARLIEST' };
    beforeEach(async () => {
      fixture = await makeFixture();
      reader = fixture.reader;
      [p0, p1] = fixture.partitions as [string, string];
    });

    it('lists the open partitions of the stream', async () => {
      const partitions = await reader.listPartitions();
      expect(partitions.map((p) => p.id).sort()).toEqual([...fixture.partitions].sort());
      for (const p of partitions) {
        expect(p.parentIds).toEqual([]);
        expect(p.closed).toBe(false);
      }
    });

    it('reads an empty partition as caught up with nothing', async () => {
      const read = await reader.read({ partition: p0, start: EARLIEST, maxRecords: 100 });
      expect(read.records).toEqual([]);
      expect(read.caughtUp).toBe(true);
      expect(read.closed).toBe(false);
    });

    it('reads from EARLIEST: every record in order, as appended, with strictly increasing offsets', async () => {
      const before = Date.now();
      const appended = records(0, 25);
      const offsets = await fixture.append(p0, appended);
      await fixture.append(p1, records(100, 5));
      expect(offsets).toHaveLength(25);
      expectIncreasing(offsets);

      const read = await reader.read({ partition: p0, start: EARLIEST, maxRecords: 1_000 });
      expect(read.records.map((r) => r.offset)).toEqual(offsets);
      expect(read.records.map((r) => r.key)).toEqual(appended.map((r) => r.key));
      expect(read.records.map((r) => decoder.decode(r.data))).toEqual(appended.map((r) => decoder.decode(r.data)));
      for (const r of read.records) {
        expect(r.partition).toBe(p0);
        expect(r.arrivalTimeMs).toBeGreaterThanOrEqual(before - 1_000);
        expect(r.arrivalTimeMs).toBeLessThanOrEqual(Date.now() + 1_000);
      }
      expect(read.caughtUp).toBe(true);
      expect(read.closed).toBe(false);
      expect([0, null]).toContain(read.lagMs);
      expect(numbers(await reader.read({ partition: p1, start: EARLIEST, maxRecords: 1_000 }))).toEqual([100, 101, 102, 103, 104]);
    });

    it('reads strictly after an offset', async () => {
      const offsets = await fixture.append(p0, records(0, 10));
      const read = await reader.read({ partition: p0, start: { type: 'AFTER', offset: offsets[3]! }, maxRecords: 100 });
      expect(numbers(read)).toEqual([4, 5, 6, 7, 8, 9]);
      const atEnd = await reader.read({ partition: p0, start: { type: 'AFTER', offset: offsets[9]! }, maxRecords: 100 });
      expect(atEnd.records).toEqual([]);
      expect(atEnd.caughtUp).toBe(true);
    });

    it('reads from a timestamp: the records that arrived at or after it', async () => {
      await fixture.append(p0, records(0, 5));
      await sleep(60);
      const timestamp = Date.now();
      await sleep(60);
      await fixture.append(p0, records(5, 5));
      const read = await reader.read({ partition: p0, start: { type: 'AT_TIMESTAMP', timestamp }, maxRecords: 100 });
      expect(numbers(read)).toEqual([5, 6, 7, 8, 9]);
      for (const r of read.records) expect(r.arrivalTimeMs).toBeGreaterThanOrEqual(timestamp);
    });

    it('reads at most maxRecords, and chained reads cover the partition with no gap and no overlap', async () => {
      await fixture.append(p0, records(0, 10));
      const reads: ReadResult[] = [];
      let start: StartPosition = EARLIEST;
      for (;;) {
        const read = await reader.read({ partition: p0, start, maxRecords: 4 });
        reads.push(read);
        expect(read.records.length).toBeLessThanOrEqual(4);
        const last = read.records[read.records.length - 1];
        if (last === undefined) break;
        start = { type: 'AFTER', offset: last.offset };
      }
      expect(numbers(reads[0]!)).toEqual([0, 1, 2, 3]);
      expect(reads[0]!.caughtUp).toBe(false);
      expect(numbers(reads[1]!)).toEqual([4, 5, 6, 7]);
      expect(reads[1]!.caughtUp).toBe(false);
      expect(numbers(reads[2]!)).toEqual([8, 9]);
      expect(reads[2]!.caughtUp).toBe(true);
      expect(reads.flatMap(numbers)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expectIncreasing(reads.flatMap((r) => r.records.map((x) => x.offset)));
    });

    it('stops at the record that spends maxBytes, says there is more, and the next read goes on from it', async () => {
      await fixture.append(p0, records(0, 10));
      const sizes = (read: ReadResult) => read.records.map((r) => r.data.byteLength);
      const size = sizes(await reader.read({ partition: p0, start: EARLIEST, maxRecords: 10 }))[0]!;
      // Three records and a byte more: the fourth record spends the budget and is the last.
      const first = await reader.read({ partition: p0, start: EARLIEST, maxRecords: 10, maxBytes: 3 * size + 1 });
      expect(numbers(first)).toEqual([0, 1, 2, 3]);
      expect(first.more).toBe(true);
      expect(first.caughtUp).toBe(false);
      const rest = await reader.read({
        partition: p0,
        start: { type: 'AFTER', offset: first.records.at(-1)!.offset },
        maxRecords: 10,
        maxBytes: 100 * size,
      });
      expect(numbers(rest)).toEqual([4, 5, 6, 7, 8, 9]);
      expect(rest.more ?? false).toBe(false);
      expect(rest.caughtUp).toBe(true);
      // A budget smaller than one record still reads one.
      expect(numbers(await reader.read({ partition: p0, start: EARLIEST, maxRecords: 10, maxBytes: 1 }))).toEqual([0]);
    });

    it('refuses a read budget on a recorded range (it is read exactly)', async () => {
      const [offset] = await fixture.append(p0, records(0, 1));
      await expect(reader.read({ partition: p0, start: EARLIEST, maxRecords: 1, untilOffset: offset!, maxBytes: 10 })).rejects.toThrow(
        /takes no byte or time budget/,
      );
      await expect(reader.read({ partition: p0, start: EARLIEST, maxRecords: 1, maxBytes: 0 })).rejects.toThrow(
        /maxBytes must be a positive integer/,
      );
    });

    it('reads more records than one source page holds', async () => {
      const offsets = await fixture.append(p0, records(0, 10_050));
      const read = await reader.read({ partition: p0, start: EARLIEST, maxRecords: 20_000 });
      expect(read.records).toHaveLength(10_050);
      expect(read.records.map((r) => r.offset)).toEqual(offsets);
      expect(read.caughtUp).toBe(true);
      const capped = await reader.read({ partition: p0, start: EARLIEST, maxRecords: 10_001 });
      expect(capped.records.map((r) => r.offset)).toEqual(offsets.slice(0, 10_001));
      expect(capped.caughtUp).toBe(false);
    });

    it('reads a partition split long after its last record to its end when the plan says it is closed', async () => {
      const offsets = await fixture.append(p0, records(0, 2));
      // Kinesis (and kinesalite) may answer a closed shard's reader with an empty page and a
      // next iterator before the page that ends it; kinesalite does when the split comes two
      // whole seconds after the last record (its sequence numbers keep seconds).
      await new Promise((resolve) => setTimeout(resolve, 2_100));
      await fixture.split(p0);
      const drained = await reader.read({
        partition: p0,
        start: { type: 'AFTER', offset: offsets[1]! },
        maxRecords: 100,
        partitionClosed: true,
      });
      expect(drained).toMatchObject({ records: [], closed: true, caughtUp: true });
      const whole = await reader.read({ partition: p0, start: EARLIEST, maxRecords: 100, partitionClosed: true });
      expect(whole.records.map((r) => r.offset)).toEqual(offsets);
      expect(whole.closed).toBe(true);
    });

    it('shows a split partition as closed with its children, and reads it to its end', async () => {
      const offsets = await fixture.append(p0, records(0, 3));
      const children = await fixture.split(p0);
      expect(children).toHaveLength(2);
      const partitions = await reader.listPartitions();
      expect(partitions.map((p) => p.id).sort()).toEqual([p0, p1, ...children].sort());
      expect(partitions.find((p) => p.id === p0)).toMatchObject({ closed: true, parentIds: [] });
      expect(partitions.find((p) => p.id === p1)).toMatchObject({ closed: false, parentIds: [] });
      for (const child of children) expect(partitions.find((p) => p.id === child)).toMatchObject({ closed: false, parentIds: [p0] });

      const parent = await reader.read({ partition: p0, start: EARLIEST, maxRecords: 100 });
      expect(parent.records.map((r) => r.offset)).toEqual(offsets);
      expect(parent.closed).toBe(true);
      expect(parent.caughtUp).toBe(true);
      const drained = await reader.read({ partition: p0, start: { type: 'AFTER', offset: offsets[2]! }, maxRecords: 100 });
      expect(drained).toMatchObject({ records: [], closed: true, caughtUp: true });
      const partial = await reader.read({ partition: p0, start: EARLIEST, maxRecords: 2 });
      expect(partial.closed).toBe(false);
      await expect(
        reader.read({ partition: p0, start: EARLIEST, maxRecords: 100, untilOffset: (BigInt(offsets[2]!) + 1_000_000n).toString() }),
      ).rejects.toBeInstanceOf(RangeMismatchError);

      const childOffsets = await fixture.append(children[0]!, records(50, 2));
      const child = await reader.read({ partition: children[0]!, start: EARLIEST, maxRecords: 100 });
      expect(child.records.map((r) => r.offset)).toEqual(childOffsets);
      expect(numbers(child)).toEqual([50, 51]);
    });

    describe('a recorded range (untilOffset)', () => {
      it('reads exactly up to and including untilOffset, again and again', async () => {
        const offsets = await fixture.append(p0, records(0, 10));
        const request = {
          partition: p0,
          start: { type: 'AFTER', offset: offsets[1]! } as StartPosition,
          maxRecords: 6,
          untilOffset: offsets[6]!,
        };
        const first = await reader.read(request);
        expect(numbers(first)).toEqual([2, 3, 4, 5, 6]);
        expect(first.records[first.records.length - 1]?.offset).toBe(offsets[6]);
        await fixture.append(p0, records(10, 5));
        const replay = await reader.read(request);
        expect(replay.records).toEqual(first.records);
        const fromEarliest = await reader.read({ partition: p0, start: EARLIEST, maxRecords: 100, untilOffset: offsets[0]! });
        expect(numbers(fromEarliest)).toEqual([0]);
      });

      it('reads a range that ends at the last record of the partition', async () => {
        const offsets = await fixture.append(p0, records(0, 3));
        const read = await reader.read({ partition: p0, start: EARLIEST, maxRecords: 3, untilOffset: offsets[2]! });
        expect(numbers(read)).toEqual([0, 1, 2]);
      });

      it('fails with RangeMismatchError when the partition ends before untilOffset', async () => {
        const offsets = await fixture.append(p0, records(0, 4));
        const beyond = (BigInt(offsets[3]!) + 1_000_000n).toString();
        const error = await reader.read({ partition: p0, start: EARLIEST, maxRecords: 100, untilOffset: beyond }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(RangeMismatchError);
        expect((error as RangeMismatchError).context).toMatchObject({ partition: p0 });
      });

      it('fails with RangeMismatchError when untilOffset lies beyond maxRecords', async () => {
        const offsets = await fixture.append(p0, records(0, 8));
        await expect(reader.read({ partition: p0, start: EARLIEST, maxRecords: 5, untilOffset: offsets[6]! })).rejects.toBeInstanceOf(
          RangeMismatchError,
        );
      });

      it('fails with DataLossError when the records skip past untilOffset', async () => {
        const offsets = await fixture.append(p0, records(0, 6));
        const missing = (BigInt(offsets[2]!) + 1n).toString();
        expect(compareOffsets(offsets[3]!, missing)).toBe(1);
        const error = await reader.read({ partition: p0, start: EARLIEST, maxRecords: 100, untilOffset: missing }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(DataLossError);
        expect((error as DataLossError).context).toMatchObject({ partition: p0 });
      });
    });
  });
}
