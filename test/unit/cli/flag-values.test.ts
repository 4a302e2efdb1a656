/** Strict flag values (cli/flag-values.ts): integers are decimal digits only, --param refuses names that are not plain keys. */
import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { integer, integerList, parameter, positiveInteger } from '../../../cli/flag-values.js';

describe('integer flags', () => {
  it('take decimal digits within the bounds', () => {
    expect(positiveInteger('1')).toBe(1);
    expect(positiveInteger('60000')).toBe(60_000);
    expect(integer({ min: 0 })('0')).toBe(0);
    expect(integer({ min: 0, max: 65_535 })('65535')).toBe(65_535);
  });

  it.each(['1e3', '0x10', '', '1.5', '1.0', ' 5', '5 ', '+5', '-1', 'Infinity', 'NaN', '9007199254740993', 'five'])(
    'refuse %j',
    (value) => {
      expect(() => positiveInteger(value)).toThrow(InvalidArgumentError);
      expect(() => integer({ min: 0 })(value)).toThrow(InvalidArgumentError);
    },
  );

  it('refuse a value out of bounds, saying which bounds', () => {
    expect(() => positiveInteger('0')).toThrow('Expected a positive integer.');
    expect(() => integer({ min: 1 })('0')).toThrow('Expected a positive integer.');
    expect(() => integer({ min: 0 })('-0')).toThrow('Expected an integer >= 0.');
    expect(() => integer({ min: 0, max: 65_535 })('65536')).toThrow('Expected an integer from 0 to 65535.');
  });

  it('take a comma-separated list, every item as strictly', () => {
    expect(integerList({ min: 1 })('1000, 3000,5000')).toEqual([1000, 3000, 5000]);
    for (const value of ['1000,x', '1000,,3000', '1000,', '1e3,2000', '0,1']) {
      expect(() => integerList({ min: 1 })(value), value).toThrow('Expected positive integers separated by commas.');
    }
  });
});

describe('--param', () => {
  it('gathers name=value pairs, parsing JSON values', () => {
    const one = parameter('sinkTable=pv');
    const two = parameter('limit=5', one);
    expect(parameter('flags={"a":[1,true]}', two)).toEqual({ sinkTable: 'pv', limit: 5, flags: { a: [1, true] } });
    expect(parameter('quoted="5"')).toEqual({ quoted: '5' });
    expect(parameter('empty=')).toEqual({ empty: '' });
    expect(parameter('eq=a=b')).toEqual({ eq: 'a=b' });
    // The earlier object is left as it was: commander passes the previous value back in.
    expect(one).toEqual({ sinkTable: 'pv' });
  });

  it.each(['__proto__=1', '__proto__={"polluted":true}', 'constructor=1', 'prototype=x'])('refuses %s', (pair) => {
    expect(() => parameter(pair)).toThrow(InvalidArgumentError);
    expect(() => parameter(pair)).toThrow(/cannot be a parameter name/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it.each(['noequals', '=value', ''])('refuses %j, which is not name=value', (pair) => {
    expect(() => parameter(pair)).toThrow('Expected name=value.');
  });
});
