/** The input of `sluice produce` (cli/produce-input.ts): checked whole, keyed by a field or by line number. */
import { describe, expect, it } from 'vitest';
import { InputError, parseJsonLines } from '../../../cli/produce-input.js';

describe('sluice produce input', () => {
  it('takes each non-empty line as a record, as written, keyed by the field (a string or a number) or by line number', () => {
    const text = '{"customer":"c1","amount":5}\n\n  {"customer":7,"amount":1.50}  \n';
    expect(parseJsonLines(text, 'customer')).toEqual([
      { line: 1, key: 'c1', data: '{"customer":"c1","amount":5}' },
      { line: 3, key: '7', data: '{"customer":7,"amount":1.50}' },
    ]);
    expect(parseJsonLines(text, null).map((r) => r.key)).toEqual(['1', '3']);
    expect(parseJsonLines('', null)).toEqual([]);
  });

  it('refuses the whole input at the first bad line, naming it', () => {
    const text = '{"customer":"c1"}\n{"customer":"c2"}\n{"customer": "c3"\n{"customer":"c4"}\n';
    expect(() => parseJsonLines(text, 'customer')).toThrow(InputError);
    expect(() => parseJsonLines(text, 'customer')).toThrow(/^line 3: not JSON/);
  });

  it('refuses a record without a usable key when a key field is given', () => {
    expect(() => parseJsonLines('{"customer":"c1"}\n{"amount":2}', 'customer')).toThrow(/^line 2: has no field customer/);
    expect(() => parseJsonLines('[1,2]', 'customer')).toThrow(/^line 1: --key-field customer needs a JSON object, got an array/);
    expect(() => parseJsonLines('{"customer":null}', 'customer')).toThrow(/^line 1: field customer must be a string or a number/);
    expect(() => parseJsonLines('{"customer":""}', 'customer')).toThrow(/^line 1: field customer must be 1 to 256 characters/);
    expect(() => parseJsonLines(`{"customer":"${'x'.repeat(257)}"}`, 'customer')).toThrow(/must be 1 to 256 characters/);
  });
});
