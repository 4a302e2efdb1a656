import type { JsonValue } from '../json.js';

/**
 * Checks that a value is JSON (what state and sink rows may hold) and returns a copy of
 * it that no user code holds a reference to. State values are shared with the executor's
 * cache of the base version, so user functions only ever see copies, and what goes into
 * state is never reachable from user code.
 *
 * JSON here is strict: finite numbers, strings, booleans, null, arrays and plain objects.
 * `undefined`, NaN, Infinity, functions, Dates, Maps and class instances are rejected
 * rather than silently changed the way JSON.stringify would change them.
 */
export function toJson(value: unknown, path = 'value'): JsonValue {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`${path} is ${value}, which is not JSON`);
    return value;
  }
  if (Array.isArray(value)) return value.map((item, i) => toJson(item, `${path}[${i}]`));
  if (typeof value === 'object') {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      const kind = (value as { constructor?: { name?: string } }).constructor?.name ?? 'object';
      throw new TypeError(`${path} is a ${kind}, which is not JSON (use a plain object)`);
    }
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, toJson(item, `${path}.${key}`)] as const));
  }
  throw new TypeError(`${path} is ${value === undefined ? 'undefined' : `a ${typeof value}`}, which is not JSON`);
}

/** A copy of a JSON value (state values are never handed out or mutated in place). */
export function cloneJson(value: JsonValue): JsonValue {
  if (value === null || typeof value !== 'object') return value;
  return toJson(value);
}
