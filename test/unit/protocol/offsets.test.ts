import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compareOffsets,
  isAfterStart,
  nextStart,
  rangeEndOf,
  resolveStartingPosition,
  type StartPosition,
} from '../../../engine/protocol/offsets.js';

/** Kinesis-like sequence numbers: 56 digits, far beyond Number.MAX_SAFE_INTEGER. */
const sequenceNumber = fc.bigInt({ min: 10n ** 55n, max: 10n ** 56n - 1n }).map((n) => n.toString());
const anyOffset = fc.oneof(
  fc.bigInt({ min: 0n, max: 2n ** 64n }).map((n) => n.toString()),
  sequenceNumber,
);
const offsetPair = fc.oneof(
  fc.tuple(anyOffset, anyOffset),
  anyOffset.map((a) => [a, a] as [string, string]),
  anyOffset.map((a) => [a, `00${a}`] as [string, string]),
);

describe('compareOffsets', () => {
  it('orders offsets as integers, whatever their length', () => {
    fc.assert(
      // A third of the pairs are equal (as strings or only as integers), so the equal case is
      // always exercised and not left to chance.
      fc.property(offsetPair, ([a, b]) => {
        const expected = BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0;
        const reversed = expected === 0 ? 0 : -expected;
        expect(compareOffsets(a, b)).toBe(expected);
        expect(compareOffsets(b, a)).toBe(reversed);
      }),
    );
  });

  it('tells apart sequence numbers that a double cannot', () => {
    const a = '49680422137317208105569015427107235258166430880055164946';
    const b = '49680422137317208105569015427107235258166430880055164947';
    expect(Number(a)).toBe(Number(b));
    expect(compareOffsets(a, b)).toBe(-1);
  });

  it('does not compare as strings', () => {
    expect('9' > '10').toBe(true);
    expect(compareOffsets('9', '10')).toBe(-1);
  });
});

describe('nextStart', () => {
  it('chained ranges cover a partition with no gap and no overlap', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(sequenceNumber, { minLength: 0, maxLength: 60 }),
        fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 1, maxLength: 40 }),
        (unsorted, sizes) => {
          const partition = [...unsorted].sort(compareOffsets);
          let start: StartPosition = { type: 'EARLIEST' };
          const seen: string[] = [];
          for (const size of sizes) {
            const available = partition.filter((o) => isAfterStart(start, o));
            const read = available.slice(0, size);
            seen.push(...read);
            start = nextStart(start, rangeEndOf(read));
          }
          // Everything read is in order, exactly once, and is a prefix of the partition.
          expect(seen).toEqual(partition.slice(0, seen.length));
          const total = sizes.reduce((a, b) => a + b, 0);
          expect(seen.length).toBe(Math.min(total, partition.length));
        },
      ),
    );
  });

  it('chained fixed ranges, each cut at its byte bound or not, cover a partition with no gap and no overlap', () => {
    fc.assert(
      fc.property(
        // Kafka offsets with gaps (transaction markers, compaction), and each record's size.
        fc.uniqueArray(fc.integer({ min: 0, max: 200 }), { maxLength: 60 }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 1, max: 40 })), { minLength: 1, maxLength: 40 }),
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 60 }),
        (unsorted, ranges, sizes) => {
          const offsets = [...unsorted].sort((a, b) => a - b);
          const sizeOf = (o: number) => sizes[o % sizes.length]!;
          let start: StartPosition = { type: 'AT_OFFSET', offset: '0' };
          const seen: number[] = [];
          for (const [span, maxBytes] of ranges) {
            const from = Number((start as { offset: string }).offset);
            const endBefore = from + span;
            // What the reader returns: the range's records up to the one that reaches maxBytes.
            const inRange = offsets.filter((o) => o >= from && o < endBefore);
            let bytes = 0;
            const cutAt = inRange.findIndex((o) => (bytes += sizeOf(o)) >= maxBytes);
            const read = cutAt < 0 || inRange[cutAt]! + 1 >= endBefore ? inRange : inRange.slice(0, cutAt + 1);
            const end = rangeEndOf(read.map(String));
            const cut = read.length < inRange.length || (cutAt >= 0 && inRange[cutAt]! + 1 < endBefore);
            seen.push(...read);
            start = nextStart(start, cut ? { ...end, cutBefore: String(read.at(-1)! + 1) } : end, String(endBefore));
          }
          const reached = Number((start as { offset: string }).offset);
          expect(seen).toEqual(offsets.filter((o) => o < reached));
        },
      ),
    );
  });

  it('an empty range leaves the start where it was', () => {
    const start: StartPosition = { type: 'AFTER', offset: '42' };
    expect(nextStart(start, { count: 0 })).toEqual(start);
    expect(nextStart({ type: 'EARLIEST' }, { count: 0 })).toEqual({ type: 'EARLIEST' });
  });

  it('refuses a non-empty range without its last offset', () => {
    expect(() => nextStart({ type: 'EARLIEST' }, { count: 3 })).toThrow(/lastOffset/);
  });
});

describe('rangeEndOf', () => {
  it('counts records and keeps the last offset', () => {
    fc.assert(
      fc.property(fc.array(anyOffset, { maxLength: 20 }), fc.boolean(), (offsets, closed) => {
        const end = rangeEndOf(offsets, closed);
        expect(end.count).toBe(offsets.length);
        expect(end.lastOffset).toBe(offsets.at(-1));
        expect(Boolean(end.closed)).toBe(closed);
      }),
    );
  });
});

describe('isAfterStart', () => {
  it('is strict after an AFTER offset and accepts everything otherwise', () => {
    fc.assert(
      fc.property(anyOffset, anyOffset, (start, offset) => {
        expect(isAfterStart({ type: 'AFTER', offset: start }, offset)).toBe(BigInt(offset) > BigInt(start));
        expect(isAfterStart({ type: 'EARLIEST' }, offset)).toBe(true);
      }),
    );
  });
});

describe('resolveStartingPosition', () => {
  it('fixes LATEST to the time of the first plan so a replay reads the same records', () => {
    expect(resolveStartingPosition('LATEST', 1234)).toEqual({ type: 'AT_TIMESTAMP', timestamp: 1234 });
    expect(resolveStartingPosition('EARLIEST', 1234)).toEqual({ type: 'EARLIEST' });
    expect(resolveStartingPosition({ timestamp: 99 }, 1234)).toEqual({ type: 'AT_TIMESTAMP', timestamp: 99 });
  });
});
