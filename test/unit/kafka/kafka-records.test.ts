import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { takeRange, withoutAborted, type FetchedMessage } from '../../../engine/adapters/kafka/kafka-records.js';

/** A record batch as kafkajs decodes it: every record carries its batch's context. */
function batch(
  firstOffset: number,
  offsets: readonly number[],
  options: { lastOffsetDelta?: number; producerId?: string; inTransaction?: boolean; control?: 'commit' | 'abort' } = {},
): FetchedMessage[] {
  const context = {
    firstOffset: String(firstOffset),
    lastOffsetDelta: options.lastOffsetDelta ?? Math.max(0, ...offsets.map((o) => o - firstOffset)),
    producerId: options.producerId ?? '-1',
    inTransaction: options.inTransaction ?? false,
  };
  return offsets.map((offset) => ({
    offset: String(offset),
    key: options.control === undefined ? Buffer.from(`k${offset}`) : Buffer.from([0, 0, 0, options.control === 'abort' ? 0 : 1]),
    value: options.control === undefined ? Buffer.from(String(offset)) : null,
    timestamp: '1700000000000',
    isControlRecord: options.control !== undefined,
    batchContext: context,
  }));
}

const offsetsOf = (messages: readonly FetchedMessage[]) => messages.map((m) => Number(m.offset));

describe('takeRange: one fetch response to the records of [position, endBefore)', () => {
  it('drops the records of the first batch before the position and of the last batch from endBefore on', () => {
    const fetched = [...batch(0, [0, 1, 2, 3, 4]), ...batch(5, [5, 6, 7, 8, 9]), ...batch(10, [10, 11, 12])];
    const taken = takeRange(fetched, [], 3n, 11n);
    expect(offsetsOf(taken.messages)).toEqual([3, 4, 5, 6, 7, 8, 9, 10]);
    expect(taken.next).toBe(13n);
  });

  it('moves past batches of markers, gaps left by compaction and batches whose records were all removed', () => {
    const fetched = [
      ...batch(10, [10, 12], { lastOffsetDelta: 3 }), // compacted: 11 and 13 are gone
      ...batch(14, [14], { control: 'commit' }),
      ...batch(15, [18], { lastOffsetDelta: 4 }), // 15..17 compacted away, 19 too
    ];
    const taken = takeRange(fetched, [], 10n, 100n);
    expect(offsetsOf(taken.messages)).toEqual([10, 12, 18]);
    expect(taken.next).toBe(20n);
    expect(takeRange(batch(14, [14], { control: 'commit' }), [], 14n, 100n)).toEqual({ messages: [], next: 15n });
  });

  it('never goes back and returns nothing from an empty response', () => {
    expect(takeRange([], [], 7n, 9n)).toEqual({ messages: [], next: 7n });
    // A batch that ends before the position (cannot come from a broker, but must not move the position back).
    expect(takeRange(batch(0, [0, 1]), [], 5n, 9n)).toEqual({ messages: [], next: 5n });
  });

  it('keeps only records of committed transactions (read_committed), markers excluded', () => {
    const fetched = [
      ...batch(0, [0, 1], { producerId: '7', inTransaction: true }),
      ...batch(2, [2], { producerId: '8', inTransaction: true }),
      ...batch(3, [3], { producerId: '7', inTransaction: true, control: 'abort' }),
      ...batch(4, [4], { producerId: '8', inTransaction: true, control: 'commit' }),
      ...batch(5, [5, 6], { producerId: '7', inTransaction: true }),
      ...batch(7, [7], { producerId: '7', inTransaction: true, control: 'commit' }),
      ...batch(8, [8]),
    ];
    const taken = takeRange(fetched, [{ producerId: '7', firstOffset: '0' }], 0n, 9n);
    expect(offsetsOf(taken.messages)).toEqual([2, 5, 6, 8]);
    expect(taken.next).toBe(9n);
    // Fetched from inside the aborted transaction: the broker still lists it, the filter still applies.
    expect(offsetsOf(takeRange(fetched, [{ producerId: '7', firstOffset: '0' }], 1n, 9n).messages)).toEqual([2, 5, 6, 8]);
  });

  it('handles several aborted transactions in any order, and records outside transactions', () => {
    const fetched = [
      ...batch(0, [0], { producerId: '1', inTransaction: true }),
      ...batch(1, [1], { control: undefined }),
      ...batch(2, [2], { producerId: '1', inTransaction: true, control: 'abort' }),
      ...batch(3, [3], { producerId: '2', inTransaction: true }),
      ...batch(4, [4], { producerId: '2', inTransaction: true, control: 'abort' }),
      ...batch(5, [5], { producerId: '1', inTransaction: true }),
    ];
    const aborted = [
      { producerId: '2', firstOffset: '3' },
      { producerId: '1', firstOffset: '0' },
    ];
    expect(offsetsOf(withoutAborted(fetched, aborted).filter((m) => !m.isControlRecord))).toEqual([1, 5]);
  });

  it('reads legacy records without a batch context one offset at a time', () => {
    const legacy: FetchedMessage[] = [3, 4, 6].map((o) => ({ offset: String(o), key: null, value: Buffer.from('x'), timestamp: '0' }));
    expect(takeRange(legacy, [], 4n, 6n)).toEqual({ messages: [legacy[1]], next: 7n });
  });

  it('property: fetching batch by batch from any start yields exactly the records in [start, end), once, in order', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 12 }), fc.nat(), fc.nat(), (sizes, a, b) => {
        const batches: FetchedMessage[][] = [];
        let next = 0;
        for (const size of sizes) {
          batches.push(
            batch(
              next,
              Array.from({ length: size }, (_, i) => next + i),
            ),
          );
          next += size;
        }
        const total = next;
        const start = a % (total + 1);
        const end = start + (b % (total - start + 1));
        // A broker answers a fetch at p with the batches from the one holding p, one or two at a time.
        const seen: number[] = [];
        let position = BigInt(start);
        for (let guard = 0; position < BigInt(end); guard += 1) {
          expect(guard).toBeLessThan(100);
          const from = batches.findIndex((bt) => BigInt(bt[bt.length - 1]!.offset) >= position);
          const taken = takeRange(batches.slice(from, from + 1 + (guard % 2)).flat(), [], position, BigInt(end));
          expect(taken.next).toBeGreaterThan(position);
          seen.push(...offsetsOf(taken.messages));
          position = taken.next;
        }
        expect(seen).toEqual(Array.from({ length: end - start }, (_, i) => start + i));
      }),
    );
  });
});
