/** compareRows (bench/nexmark/compare.ts): rows as multisets, whatever the order of rows or of their fields. */
import { describe, expect, it } from 'vitest';
import { canonicalJson, compareRows } from '../../../bench/nexmark/compare.js';

describe('compareRows', () => {
  it('is exact for the same rows in another order, with fields in another order', () => {
    const c = compareRows([{ a: 1, b: [2, { c: 3, d: 4 }] }, { a: 2 }], [{ a: 2 }, { b: [2, { d: 4, c: 3 }], a: 1 }]);
    expect(c).toEqual({ expected: 2, actual: 2, exact: true, missing: [], unexpected: [] });
  });

  it('counts duplicates: a row written twice, or once where two are expected, differs', () => {
    expect(compareRows([{ a: 1 }], [{ a: 1 }, { a: 1 }])).toMatchObject({ exact: false, missing: [], unexpected: ['{"a":1}'] });
    expect(compareRows([{ a: 1 }, { a: 1 }], [{ a: 1 }])).toMatchObject({ exact: false, missing: ['{"a":1}'], unexpected: [] });
  });

  it('tells a changed value apart, and a number from its string', () => {
    expect(compareRows([{ key: 1001, value: 3 }], [{ key: '1001', value: 3 }])).toMatchObject({
      exact: false,
      missing: ['{"key":1001,"value":3}'],
      unexpected: ['{"key":"1001","value":3}'],
    });
    expect(canonicalJson({ z: null, a: [1, 'x'] })).toBe('{"a":[1,"x"],"z":null}');
  });
});
