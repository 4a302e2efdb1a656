/**
 * Strict parsers of flag values, for commander options (`.option(flags, text, parser)`).
 * A value a parser refuses is a usage error naming the flag (cli/program.ts: exit 2).
 *
 * Integers are decimal digits and nothing else. Number() alone would take `1e3`, `0x10`,
 * `1.0`, ` 5` and `` (as 0): a typo would then run a benchmark of a thousand times the
 * events, or read a page of a different size, instead of being refused.
 */
import { InvalidArgumentError } from 'commander';
import type { JsonValue } from '../engine/json.js';

const DIGITS = /^\d+$/;

export interface IntegerBounds {
  readonly min: number;
  /** Default: none (Number.MAX_SAFE_INTEGER). */
  readonly max?: number;
}

/** A parser of an integer within the bounds. */
export function integer(bounds: IntegerBounds): (value: string) => number {
  return (value) => integerOf(value, bounds);
}

/** --limit, --events, --timeout...: 1 or more. */
export const positiveInteger = integer({ min: 1 });

/** A parser of a comma-separated list of integers within the bounds (spaces around the commas are allowed). */
export function integerList(bounds: IntegerBounds): (value: string) => number[] {
  return (value) => {
    try {
      return value.split(',').map((item) => integerOf(item.trim(), bounds));
    } catch {
      throw new InvalidArgumentError(`${expected(bounds, 'integers')} separated by commas.`);
    }
  };
}

/**
 * Names that would not be plain keys of the parameters object: `__proto__` would set its
 * prototype (and drop the parameter), `constructor` and `prototype` shadow what code
 * reading it may expect. No job parameter is called so.
 */
const RESERVED_NAMES = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * A repeatable `--param name=value`, gathered into catalog parameters: a value that is
 * JSON (a number, true, "quoted") is parsed, anything else is a string.
 */
export function parameter(pair: string, previous: Readonly<Record<string, JsonValue>> = {}): Record<string, JsonValue> {
  const at = pair.indexOf('=');
  if (at < 1) throw new InvalidArgumentError('Expected name=value.');
  const name = pair.slice(0, at);
  if (RESERVED_NAMES.has(name)) throw new InvalidArgumentError(`${name} cannot be a parameter name.`);
  const raw = pair.slice(at + 1);
  let value: JsonValue;
  try {
    value = JSON.parse(raw) as JsonValue;
  } catch {
    value = raw;
  }
  return { ...previous, [name]: value };
}

function integerOf(value: string, bounds: IntegerBounds): number {
  const n = Number(value);
  const max = bounds.max ?? Number.MAX_SAFE_INTEGER;
  if (!DIGITS.test(value) || !Number.isSafeInteger(n) || n < bounds.min || n > max) {
    throw new InvalidArgumentError(`${expected(bounds, 'integer')}.`);
  }
  return n;
}

function expected(bounds: IntegerBounds, noun: 'integer' | 'integers'): string {
  const plural = noun === 'integers';
  if (bounds.max !== undefined) return `Expected ${plural ? '' : 'an '}${noun} from ${bounds.min} to ${bounds.max}`;
  if (bounds.min === 1) return `Expected ${plural ? '' : 'a '}positive ${noun}`;
  return `Expected ${plural ? '' : 'an '}${noun} >= ${bounds.min}`;
}
