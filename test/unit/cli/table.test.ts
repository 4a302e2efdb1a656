/** The one text-table printer (cli/format/table.ts). */
import { describe, expect, it } from 'vitest';
import { table } from '../../../cli/format/table.js';

describe('table', () => {
  it('pads columns to their widest cell, left by default, with no trailing spaces', () => {
    expect(
      table([
        ['JOB', 'STATE'],
        ['page-views', 'RUNNING'],
        ['x', ''],
      ]),
    ).toEqual(['JOB         STATE', 'page-views  RUNNING', 'x']);
  });

  it('aligns a column per letter, the last letter standing for the columns after it', () => {
    expect(
      table(
        [
          ['name', 'n', 'm'],
          ['a', '10', '200'],
        ],
        { align: 'lr' },
      ),
    ).toEqual(['name   n    m', 'a     10  200']);
    expect(
      table(
        [
          ['n', 'name'],
          ['100', 'a'],
        ],
        { align: 'rl' },
      ),
    ).toEqual(['  n  name', '100  a']);
  });

  it('takes another gap, and rows of fewer cells', () => {
    expect(table([['a', 'bb', 'c'], ['aaa']], { gap: '   ' })).toEqual(['a     bb   c', 'aaa']);
  });
});
