/**
 * A small schema checker for API requests: a schema is a function that checks a value,
 * records every problem with its field path, and returns the typed value. No dependency:
 * the checks the jobs API needs are a handful (strings, integers, enums, objects with
 * unknown fields rejected, JSON maps), they bundle into the Lambda at no cost, and the
 * messages read like the rest of the engine's ("trigger.intervalMs must be an integer ≥ 1,
 * got -5"). Every problem is collected, not only the first, so a 400 lists them all.
 *
 *   const Body = object({ jobName: string({ min: 1 }), limit: optional(integer({ min: 1 })) });
 *   const body = parse(Body, JSON.parse(text));   // throws BadRequestError with every problem
 */
import type { JsonValue } from '../json.js';
import { BadRequestError, type FieldProblem } from './errors.js';

/** Checks `value` at `field`; pushes problems and returns undefined when it is bad. */
export type Schema<T> = (value: unknown, field: string, problems: FieldProblem[]) => T | undefined;

export type Infer<S> = S extends Schema<infer T> ? T : never;

/** The typed value, or a BadRequestError listing every problem. */
export function parse<T>(schema: Schema<T>, value: unknown, field = 'body'): T {
  const problems: FieldProblem[] = [];
  const out = schema(value, field, problems);
  if (problems.length > 0 || out === undefined) throw BadRequestError.of(problems.length > 0 ? problems : [{ field, message: 'is invalid' }]);
  return out;
}

export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const json = JSON.stringify(value);
  if (json === undefined) return String(value);
  return json.length > 80 ? `${json.slice(0, 77)}...` : json;
}

function problem(problems: FieldProblem[], field: string, message: string): undefined {
  problems.push({ field, message });
  return undefined;
}

export function string(options: { min?: number; max?: number; pattern?: RegExp; hint?: string } = {}): Schema<string> {
  const { min = 0, max = 1_000, pattern, hint } = options;
  return (value, field, problems) => {
    if (typeof value !== 'string') return problem(problems, field, `must be a string, got ${show(value)}`);
    if (value.length < min || value.length > max) {
      return problem(problems, field, min === max ? `must be ${min} characters, got ${value.length}` : `must be ${min} to ${max} characters, got ${value.length}`);
    }
    if (pattern !== undefined && !pattern.test(value)) return problem(problems, field, `must be ${hint ?? `a string matching ${pattern}`}, got ${show(value)}`);
    return value;
  };
}

export function integer(options: { min?: number; max?: number } = {}): Schema<number> {
  const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = options;
  const range = max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer from ${min} to ${max}`;
  return (value, field, problems) => {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) return problem(problems, field, `must be ${range}, got ${show(value)}`);
    return value;
  };
}

/** An integer given as a decimal string (a query string parameter). */
export function integerString(options: { min?: number; max?: number } = {}): Schema<number> {
  const check = integer(options);
  return (value, field, problems) => {
    if (typeof value !== 'string' || !/^-?\d{1,16}$/.test(value)) return check(value, field, problems);
    return check(Number(value), field, problems);
  };
}

export function oneOf<const T extends string>(...values: T[]): Schema<T> {
  return (value, field, problems) => {
    if (typeof value !== 'string' || !(values as string[]).includes(value)) {
      return problem(problems, field, `must be one of ${values.map((v) => JSON.stringify(v)).join(', ')}, got ${show(value)}`);
    }
    return value as T;
  };
}

/** Absent (undefined) is fine; null is not, unless the schema allows it. */
export function optional<T>(schema: Schema<T>): Schema<T | undefined> {
  const check: Schema<T | undefined> = (value, field, problems) => (value === undefined ? undefined : schema(value, field, problems));
  return Object.assign(check, { optional: true as const });
}

type Shape = Readonly<Record<string, Schema<unknown>>>;
type Output<S extends Shape> = { -readonly [K in keyof S]: Infer<S[K]> };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A JSON object with these fields and no others (a typo is a problem, as middy's options
 * are checked: `maxRecordsPerPartiton` fails instead of being ignored).
 */
export function object<S extends Shape>(shape: S): Schema<Output<S>> {
  return (value, field, problems) => {
    if (!isObject(value)) return problem(problems, field, `must be a JSON object, got ${show(value)}`);
    const before = problems.length;
    for (const key of Object.keys(value)) {
      if (!Object.hasOwn(shape, key)) problem(problems, path(field, key), `is not a known field (known: ${Object.keys(shape).join(', ')})`);
    }
    const out: Record<string, unknown> = {};
    for (const [key, schema] of Object.entries(shape)) {
      const raw = value[key];
      if (raw === undefined && !(schema as { optional?: true }).optional) {
        problem(problems, path(field, key), 'is required');
        continue;
      }
      const checked = schema(raw, path(field, key), problems);
      if (checked !== undefined) out[key] = checked;
    }
    return problems.length > before ? undefined : (out as Output<S>);
  };
}

/** A JSON object of JSON values, with checked keys (catalog parameters). */
export function jsonMap(options: { keys?: Schema<string>; maxBytes?: number } = {}): Schema<Record<string, JsonValue>> {
  return (value, field, problems) => {
    if (!isObject(value)) return problem(problems, field, `must be a JSON object, got ${show(value)}`);
    const before = problems.length;
    for (const key of Object.keys(value)) options.keys?.(key, path(field, key), problems);
    const json = JSON.stringify(value);
    if (options.maxBytes !== undefined && Buffer.byteLength(json) > options.maxBytes) {
      problem(problems, field, `must be at most ${options.maxBytes} bytes as JSON, got ${Buffer.byteLength(json)}`);
    }
    return problems.length > before ? undefined : (JSON.parse(json) as Record<string, JsonValue>);
  };
}

/** The schema for a value, chosen by looking at it (a string or an object of some `type`). */
export function select<T>(choose: (value: unknown) => Schema<T> | string): Schema<T> {
  return (value, field, problems) => {
    const schema = choose(value);
    return typeof schema === 'string' ? problem(problems, field, schema) : schema(value, field, problems);
  };
}

/** Adds a check of the whole value after its schema passed (`message` null: fine). */
export function refine<T>(schema: Schema<T>, check: (value: T) => { field?: string; message: string } | null): Schema<T> {
  return (value, field, problems) => {
    const out = schema(value, field, problems);
    if (out === undefined) return undefined;
    const bad = check(out);
    return bad === null ? out : problem(problems, bad.field === undefined ? field : path(field, bad.field), bad.message);
  };
}

function path(field: string, key: string): string {
  return field === 'body' || field === 'query' ? key : `${field}.${key}`;
}
