import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashKeyOf, inHashKeyRange, inheritState, lineageOf, type HashKeyRange } from '../../../engine/protocol/lineage.js';
import type { JsonValue } from '../../../engine/json.js';

const FULL: HashKeyRange = { start: '0', end: (2n ** 128n - 1n).toString() };
const MIDDLE = 2n ** 127n;
const LOW: HashKeyRange = { start: '0', end: (MIDDLE - 1n).toString() };
const HIGH: HashKeyRange = { start: MIDDLE.toString(), end: FULL.end };

describe('lineageOf', () => {
  const listed = [
    { id: 'parent', parentIds: [], hashKeyRange: FULL },
    { id: 'c1', parentIds: ['parent'], hashKeyRange: LOW },
    { id: 'c2', parentIds: ['parent'], hashKeyRange: HIGH },
  ];

  it('holds children back until their parent is read to its end', () => {
    const open = lineageOf({ listed, previousFinished: {}, committed: { parent: { end: { closed: false }, stateVersion: 4 } } });
    expect(open.ready.map((p) => p.id)).toEqual(['parent']);
    expect(open.finished).toEqual({});
  });

  it('retires a parent read to its end and starts its children with its final state', () => {
    const done = lineageOf({ listed, previousFinished: {}, committed: { parent: { end: { closed: true }, stateVersion: 4 } } });
    expect(done.finished).toEqual({ parent: 4 });
    expect(done.ready).toEqual([
      { id: 'c1', inherits: [{ partition: 'parent', stateVersion: 4 }], hashKeyRange: LOW },
      { id: 'c2', inherits: [{ partition: 'parent', stateVersion: 4 }], hashKeyRange: HIGH },
    ]);
  });

  it('starts a merged child only when both parents are finished, inheriting from both', () => {
    const merge = [
      { id: 'a', parentIds: [] },
      { id: 'b', parentIds: [] },
      { id: 'ab', parentIds: ['b', 'a'] },
    ];
    const one = lineageOf({
      listed: merge,
      previousFinished: {},
      committed: { a: { end: { closed: true }, stateVersion: 3 }, b: { end: {}, stateVersion: 2 } },
    });
    expect(one.ready.map((p) => p.id)).toEqual(['b']);
    const two = lineageOf({ listed: merge, previousFinished: one.finished, committed: { b: { end: { closed: true }, stateVersion: 5 } } });
    expect(two.ready).toEqual([
      {
        id: 'ab',
        inherits: [
          { partition: 'a', stateVersion: 3 },
          { partition: 'b', stateVersion: 5 },
        ],
      },
    ]);
  });

  it('does not wait for a parent the source no longer lists, and forgets finished partitions nobody needs', () => {
    const result = lineageOf({
      listed: [{ id: 'c1', parentIds: ['gone'] }],
      previousFinished: { 'old-and-unrelated': 7 },
      committed: {},
    });
    expect(result.ready.map((p) => p.id)).toEqual(['c1']);
    expect(result.finished).toEqual({});
  });

  it('a parent without state passes nothing on', () => {
    const done = lineageOf({ listed, previousFinished: {}, committed: { parent: { end: { closed: true }, stateVersion: 0 } } });
    expect(done.ready.every((p) => p.inherits.length === 0)).toBe(true);
  });
});

describe('inheritState', () => {
  const groupKeyOf = (stateKey: string) => (JSON.parse(stateKey) as [string])[0];
  const stateOf = (keys: readonly string[]) => new Map<string, JsonValue>(keys.map((k, i) => [JSON.stringify([k, i]), i]));

  it('a split divides a parent’s entries between its children: each entry lands in exactly one', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 12 }), { maxLength: 60 }),
        fc.bigInt({ min: 1n, max: 2n ** 128n - 2n }),
        (keys, cut) => {
          const parent = stateOf(keys);
          const low = { start: '0', end: (cut - 1n).toString() };
          const high = { start: cut.toString(), end: FULL.end };
          const a = inheritState([{ partition: 'p', state: parent }], low, groupKeyOf);
          const b = inheritState([{ partition: 'p', state: parent }], high, groupKeyOf);
          expect(a.size + b.size).toBe(parent.size);
          for (const [k, v] of parent) {
            const owner = hashKeyOf(groupKeyOf(k)) < cut ? a : b;
            expect(owner.get(k)).toEqual(v);
          }
        },
      ),
    );
  });

  it('a split divides by the producers’ routing when the job gives it (ExplicitHashKey)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ minLength: 1, maxLength: 12 }), { maxLength: 60 }),
        fc.bigInt({ min: 1n, max: 2n ** 128n - 2n }),
        fc.bigInt({ min: 1n, max: 2n ** 100n }),
        (keys, cut, step) => {
          // A routing unrelated to MD5: the key's length times a step, wrapped into 128 bits.
          const routed = (key: string) => (BigInt(key.length) * step) % 2n ** 128n;
          const parent = stateOf(keys);
          const low = { start: '0', end: (cut - 1n).toString() };
          const high = { start: cut.toString(), end: FULL.end };
          const a = inheritState([{ partition: 'p', state: parent }], low, groupKeyOf, routed);
          const b = inheritState([{ partition: 'p', state: parent }], high, groupKeyOf, routed);
          expect(a.size + b.size).toBe(parent.size);
          for (const [k, v] of parent) expect((routed(groupKeyOf(k)) < cut ? a : b).get(k)).toEqual(v);
        },
      ),
    );
  });

  it('a merge unites its parents’ entries', () => {
    const a = stateOf(['x', 'y']);
    const b = new Map<string, JsonValue>([[JSON.stringify(['z', 9]), 9]]);
    const merged = inheritState(
      [
        { partition: 'b', state: b },
        { partition: 'a', state: a },
      ],
      FULL,
      groupKeyOf,
    );
    expect(new Map([...merged].sort())).toEqual(new Map([...a, ...b].sort()));
  });

  it('hashes keys as Kinesis routes them: MD5 of the partition key', () => {
    // MD5("") = d41d8cd98f00b204e9800998ecf8427e
    expect(hashKeyOf('')).toBe(0xd41d8cd98f00b204e9800998ecf8427en);
    expect(inHashKeyRange(HIGH, hashKeyOf(''))).toBe(true);
  });
});
