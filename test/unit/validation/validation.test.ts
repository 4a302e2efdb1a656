/** engine/validation.ts: zod issues as bounded messages (field, expected, got), whatever the value. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { InvalidArgumentError, JobSpecError } from '../../../engine/errors.js';
import { check, expecting, jsonObject, MAX_PROBLEMS, parse, show } from '../../../engine/validation.js';

/** What the hand-written checkers printed: JSON, cut at 80 characters. */
function truncatedJson(value: unknown): string {
  const json = JSON.stringify(value);
  return json.length > 80 ? `${json.slice(0, 77)}...` : json;
}

function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i += 1) value = [value];
  return value;
}

function errorOf(f: () => unknown): Error {
  try {
    f();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

describe('show', () => {
  it('writes JSON as JSON.stringify does, cut at 80 characters', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(show(value)).toBe(truncatedJson(value));
      }),
    );
  });

  it('names what JSON cannot hold', () => {
    expect([undefined, () => 1, 5n, Infinity, Number.NaN].map((v) => show(v))).toEqual([
      'undefined',
      'a function',
      '5n',
      'Infinity',
      'NaN',
    ]);
    expect(show(undefined, { absent: 'nothing' })).toBe('nothing');
    expect(show({ a: undefined, b: () => 1, c: [undefined], d: new Date(0) })).toBe('{"c":[null],"d":"1970-01-01T00:00:00.000Z"}');
  });

  it('stays short for a value nested 100,000 levels deep, with 100,000 fields, or containing itself', () => {
    expect(show(nested(100_000))).toBe(`${'['.repeat(77)}...`);
    expect(show(Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`k${i}`, i]))).length).toBe(80);
    const loop: Record<string, unknown> = { a: 1 };
    loop.self = loop;
    expect(show(loop)).toBe('{"a":1,"self":"[Circular]"}');
  });
});

describe('parse', () => {
  const Body = z.strictObject({
    limit: expecting('an integer from 1 to 100', z.number().int().min(1).max(100)),
    name: z.string().optional(),
    inner: z.strictObject({ flag: z.boolean() }).optional(),
  });

  it('names the field, what it must be and what came, unknown fields first', () => {
    const error = errorOf(() => parse(Body, { name: 5, limit: 0, limt: 1 }, { name: 'body' }));
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error.message).toBe(
      'limt is not a known field (known: limit, name, inner); limit must be an integer from 1 to 100, got 0; name must be a string, got 5',
    );
    expect((error as InvalidArgumentError).context).toEqual({ field: 'limt' });
  });

  it('throws the class it is given, with its prefix, and qualified paths', () => {
    const error = errorOf(() =>
      parse(Body, { limit: 1, inner: { flag: 'yes' } }, { name: 'spec', qualified: true, prefix: 'bad spec: ', error: JobSpecError }),
    );
    expect(error).toBeInstanceOf(JobSpecError);
    expect(error.message).toBe('bad spec: spec.inner.flag must be a boolean, got "yes"');
  });

  it('says a missing field as the subject words it', () => {
    expect(errorOf(() => parse(Body, {}, { name: 'body', missing: 'is required' })).message).toBe('limit is required');
    expect(errorOf(() => parse(Body, {}, { name: 'body', absent: 'nothing' })).message).toBe(
      'limit must be an integer from 1 to 100, got nothing',
    );
  });

  it(`reports at most ${MAX_PROBLEMS} problems, and counts the rest`, () => {
    const unknown = Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`f${i}`, i]));
    const checked = check(Body, { limit: 1, ...unknown }, { name: 'body' });
    expect(checked).toMatchObject({ ok: false, total: 5_000 });
    expect(checked.ok ? [] : checked.problems).toHaveLength(MAX_PROBLEMS);
    const message = errorOf(() => parse(Body, { limit: 1, ...unknown }, { name: 'body' })).message;
    expect(message).toMatch(/^f0 is not a known field .*; f9 is not a known field .*; and 4990 more$/);
    expect(message.length).toBeLessThan(2_000);
  });

  it('cuts a long unknown key in the field it names', () => {
    const message = errorOf(() => parse(Body, { limit: 1, ['k'.repeat(10_000)]: 1 }, { name: 'body' })).message;
    expect(message).toBe(`${'k'.repeat(97)}... is not a known field (known: limit, name, inner)`);
  });

  it('gives a short error for a field nested thousands of levels deep', () => {
    const message = errorOf(() => parse(Body, { limit: nested(10_000) }, { name: 'body' })).message;
    expect(message).toBe(`limit must be an integer from 1 to 100, got ${'['.repeat(77)}...`);
  });

  it('reports the problems of the union form the value was meant for', () => {
    const Position = expecting('"earliest" or { "timestamp": ... }', z.union([z.literal('earliest'), z.object({ timestamp: z.number() })]));
    expect(errorOf(() => parse(Position, { timestamp: 'noon' }, { name: 'position' })).message).toBe(
      'timestamp must be a number, got "noon"',
    );
    expect(errorOf(() => parse(Position, 'latest', { name: 'position' })).message).toBe(
      'position must be "earliest" or { "timestamp": ... }, got "latest"',
    );
  });
});

describe('jsonObject', () => {
  it('measures a JSON object as JSON.stringify writes it, and returns a copy', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (value) => {
        const bytes = Buffer.byteLength(JSON.stringify(value));
        const checked = check(jsonObject(bytes), value, { name: 'parameters' });
        expect(checked).toEqual({ ok: true, value: JSON.parse(JSON.stringify(value)) });
        if (bytes > 2) expect(check(jsonObject(bytes - 1), value, { name: 'parameters' }).ok).toBe(false);
      }),
    );
  });

  it('refuses a value nested 100,000 levels deep for its size, without a stack overflow', () => {
    expect(
      errorOf(() => parse(jsonObject(4_096, { why: ' (they cross every state)' }), { a: nested(100_000) }, { name: 'parameters' })).message,
    ).toBe('parameters must be at most 4096 bytes as JSON (they cross every state), got 200007');
  });
});
