import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvariantError } from '../../../engine/errors.js';
import type { JsonValue } from '../../../engine/json.js';
import {
  decodeExchangeSlice,
  encodeExchange,
  exchangeObjectKey,
  exchangesInline,
  groupsOf,
  INLINE_EXCHANGE_TOTAL_BYTES,
  sliceOf,
  type ExchangeRow,
} from '../../../engine/protocol/exchange-format.js';

const json: fc.Arbitrary<JsonValue> = fc.jsonValue() as fc.Arbitrary<JsonValue>;
const rows = fc.array(fc.record({ group: fc.integer({ min: 0, max: 15 }), row: json }), { maxLength: 60 });

/** What JSON round-tripping makes of a value (-0 becomes 0). */
const normal = (v: JsonValue): JsonValue => JSON.parse(JSON.stringify(v)) as JsonValue;

describe('encodeExchange', () => {
  it('gives each group the slice holding exactly its rows, in the order they came', () => {
    fc.assert(
      fc.property(rows, (input) => {
        const { body, index } = encodeExchange(input);
        for (const group of new Set(input.map((r) => r.group))) {
          const expected = input.filter((r) => r.group === group).map((r) => normal(r.row));
          expect(decodeExchangeSlice(sliceOf(body, index, group))).toEqual(expected);
        }
        expect(decodeExchangeSlice(sliceOf(body, index, 99))).toEqual([]);
      }),
    );
  });

  it('lays the groups out in ascending order, their ranges adjacent and covering the body', () => {
    fc.assert(
      fc.property(rows, (input) => {
        const { body, index } = encodeExchange(input);
        const groups = groupsOf(index);
        expect(groups).toEqual([...new Set(input.map((r) => r.group))].sort((a, b) => a - b));
        let at = 0;
        for (const g of groups) {
          const [start, end] = index[g]!;
          expect(start).toBe(at);
          expect(end).toBeGreaterThan(start);
          at = end;
        }
        expect(at).toBe(body.length);
      }),
    );
  });

  it('is deterministic: the same rows give the same bytes and index, whatever attempt encodes them', () => {
    fc.assert(
      fc.property(rows, (input) => {
        const a = encodeExchange(input);
        const b = encodeExchange(structuredClone(input) as ExchangeRow[]);
        expect(a.body.equals(b.body)).toBe(true);
        expect(JSON.stringify(a.index)).toBe(JSON.stringify(b.index));
      }),
    );
  });

  it('counts bytes, not characters, in the index', () => {
    const { body, index } = encodeExchange([
      { group: 1, row: 'é' },
      { group: 2, row: '😀' },
    ]);
    expect(index).toEqual({ 1: [0, 5], 2: [5, 12] });
    expect(decodeExchangeSlice(sliceOf(body, index, 2))).toEqual(['😀']);
  });

  it('refuses a row without a valid key group, and a slice cut short', () => {
    expect(() => encodeExchange([{ group: -1, row: 1 }])).toThrow(InvariantError);
    expect(() => encodeExchange([{ group: 1.5, row: 1 }])).toThrow(InvariantError);
    expect(() => decodeExchangeSlice('{"a":1}\n{"b"')).toThrow(InvariantError);
  });
});

describe('exchangesInline', () => {
  it('keeps a partition inline up to its share of the inline budget, never beyond', () => {
    expect(exchangesInline(INLINE_EXCHANGE_TOTAL_BYTES, 1)).toBe(true);
    expect(exchangesInline(INLINE_EXCHANGE_TOTAL_BYTES + 1, 1)).toBe(false);
    expect(exchangesInline(Math.floor(INLINE_EXCHANGE_TOTAL_BYTES / 4), 4)).toBe(true);
    expect(exchangesInline(Math.floor(INLINE_EXCHANGE_TOTAL_BYTES / 4) + 1, 4)).toBe(false);
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 500 }),
        fc.array(fc.nat({ max: 300_000 }), { minLength: 1, maxLength: 500 }),
        (partitions, sizes) => {
          const inline = sizes.slice(0, partitions).filter((b) => exchangesInline(b, partitions));
          expect(inline.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(INLINE_EXCHANGE_TOTAL_BYTES);
        },
      ),
    );
    expect(() => exchangesInline(1, 0)).toThrow(InvariantError);
  });
});

describe('exchangeObjectKey', () => {
  it('names the job, the replay generation, the batch and the partition, escaped', () => {
    expect(
      exchangeObjectKey({ prefix: 'exchange/', jobId: 'page-views', generation: 0, batchId: 7, partition: 'shardId-000000000001' }),
    ).toBe('exchange/page-views/g0/7/shardId-000000000001');
    expect(exchangeObjectKey({ prefix: 'p/', jobId: 'a/b', generation: 2, batchId: 1, partition: '0' })).toBe('p/a%2Fb/g2/1/0');
  });
});
