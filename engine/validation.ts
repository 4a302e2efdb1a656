/**
 * One way to check what comes from outside the code: API requests, state-machine events,
 * job specs, catalog parameters, the Kafka configuration, the Lambda environment and CDK
 * context are each described by a zod schema, and every problem reads the same way: the
 * field (its path), what it must be, and what came.
 *
 *   trigger.intervalMs must be an integer from 1 to 86400000, got -5
 *
 *   const Body = z.strictObject({ limit: expecting('an integer ≥ 1', z.number().int().min(1)) });
 *   const body = parse(Body, value, { name: 'body', error: JobSpecError });
 *
 * A schema says what a field must be with `expecting` (or its own zod `error` for a message
 * of its own); issues of schemas that say nothing get a plain default ("must be a string").
 *
 * Messages are bounded whatever the value: at most MAX_PROBLEMS problems are reported
 * ("and N more"), one per field, and a value is shown by at most 80 characters, rendered
 * without recursion (show). A value nested thousands of levels deep or with thousands of
 * unknown fields gives a short error, never a stack overflow or a megabyte of text. For the
 * same reason no schema here recurses into arbitrary JSON (no z.json()): JSON values are
 * taken as they are and measured by jsonObject.
 *
 * Validation runs on requests, events, specs and configuration, never per record.
 */
import { z } from 'zod';
import { InvalidArgumentError, type SluiceErrorOptions } from './errors.js';
import type { JsonValue } from './json.js';

/** The most problems one error reports; the rest are counted ("and 3 more"). */
export const MAX_PROBLEMS = 10;

/** One problem of a value: `field` is a path such as `trigger.intervalMs` or `kafka.brokers[1]`. */
export interface Problem {
  readonly field: string;
  readonly message: string;
}

/** How a kind of value is named in its problems. */
export interface Subject {
  /** The field of a problem with the whole value ('event', 'body', 'kafka'). */
  readonly name: string;
  /** Fields inside it are named from it ('kafka.brokers[0]'); by default they are not ('driver.epoch'). */
  readonly qualified?: boolean;
  /** How a value that is not there is shown after "got" (default 'undefined'). */
  readonly absent?: string;
  /** The whole message of a field that is required and not there (default: "must be ..., got <absent>"). */
  readonly missing?: string;
}

/** What `parse` throws: a SluiceError class (default InvalidArgumentError) or Error. */
export type ErrorClass = new (message: string, options: SluiceErrorOptions) => Error;

export interface ParseOptions extends Subject {
  /** Words before the problems ('bad event: '). */
  readonly prefix?: string;
  /** How one problem reads (default "<field> <message>"): "environment variable <field> <message>". */
  readonly describe?: (problem: Found) => string;
  readonly error?: ErrorClass;
}

export type Checked<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly problems: readonly Problem[]; readonly total: number };

/** The value as the schema parses it, or the error (`options.error`) whose message names each problem. */
export function parse<S extends z.ZodType>(schema: S, value: unknown, options: ParseOptions): z.output<S> {
  const result = safeParse(schema, value, options);
  if (result.success) return result.data;
  const { problems, total } = problemsOf(result.error.issues, options);
  throw new (options.error ?? InvalidArgumentError)(describeProblems(problems, total, options), {
    context: { field: problems[0]?.field ?? options.name },
  });
}

/** The parsed value, or its first MAX_PROBLEMS problems (unknown fields first, one per field) and how many there are. */
export function check<S extends z.ZodType>(schema: S, value: unknown, subject: Subject): Checked<z.output<S>> {
  const result = safeParse(schema, value, subject);
  if (result.success) return { ok: true, value: result.data };
  const { problems, total } = problemsOf(result.error.issues, subject);
  return { ok: false, problems: problems.map(({ field, message }) => ({ field, message })), total };
}

function safeParse<S extends z.ZodType>(schema: S, value: unknown, subject: Subject) {
  return schema.safeParse(value, { error: (issue) => messageOf(issue, subject) });
}

/** "<prefix>a must be x, got 1; b is not a known field; and 2 more". */
function describeProblems(problems: readonly Found[], total: number, options: ParseOptions): string {
  const { prefix = '', describe = (p: Found) => `${p.field} ${p.message}` } = options;
  const listed = problems.map(describe).join('; ');
  const more = total - problems.length;
  return `${prefix}${listed}${more > 0 ? `; and ${more} more` : ''}`;
}

interface Expectation {
  /** What a valid value is: "an integer ≥ 1", "1 to 60 letters, digits, '-' or '_'". */
  readonly expected: string;
}

const expectations = z.registry<Expectation>();

/**
 * The schema, with what its value must be: any problem of it reads "must be <expected>,
 * got <the value>" (or the subject's `missing` when the value is not there). Schemas made
 * from it (.optional(), .min(), .refine()) keep the expectation, as zod passes registry
 * metadata on; a copy is registered, so the schema given is never relabelled. Give it the
 * schema that sees the value: inside z.preprocess(), not around it.
 */
export function expecting<S extends z.ZodType>(expected: string, schema: S): S {
  const copy: z.ZodType = schema.clone();
  return copy.register(expectations, { expected }) as S;
}

/**
 * A JSON object of at most `maxBytes` bytes as JSON, returned as a copy of plain JSON.
 * `why` ends the size message ("(they cross every state)"); `nameProblem` says what is wrong
 * with a key, if anything. Measured without recursion: a deeply nested value is refused
 * for its size, not by a stack overflow.
 */
export function jsonObject(
  maxBytes: number,
  options: { readonly why?: string; readonly nameProblem?: (name: string) => string | null } = {},
): z.ZodType<Record<string, JsonValue>> {
  const object = expecting('a JSON object', z.custom<Record<string, unknown>>(isPlainObject));
  return object
    .superRefine((value, ctx) => {
      if (options.nameProblem !== undefined) {
        for (const name of Object.keys(value)) {
          const problem = options.nameProblem(name);
          if (problem !== null) ctx.addIssue({ code: 'custom', path: [name], message: problem, input: name });
        }
      }
      const bytes = Buffer.byteLength(jsonText(value));
      if (bytes > maxBytes)
        ctx.addIssue({
          code: 'custom',
          message: `must be at most ${maxBytes} bytes as JSON${options.why ?? ''}, got ${bytes}`,
          input: value,
        });
    })
    .transform((value) => JSON.parse(jsonText(value)) as Record<string, JsonValue>); // JSON.parse does not recurse on the stack
}

/** JSON.stringify's text, written without recursion. */
function jsonText(value: unknown): string {
  let json = '';
  for (const chunk of jsonChunks(value)) json += chunk;
  return json;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A short rendering of any value for a message: its JSON, cut at `max` characters (with
 * "..."), written piece by piece so that only what is shown is ever walked. `absent`
 * stands for undefined.
 */
export function show(value: unknown, options: { readonly absent?: string; readonly max?: number } = {}): string {
  const { absent = 'undefined', max = 80 } = options;
  if (value === undefined) return absent;
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'symbol') return value.toString();
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  try {
    let text = '';
    for (const chunk of jsonChunks(value)) {
      text += chunk;
      if (text.length > max) return `${text.slice(0, max - 3)}...`;
    }
    return text === '' ? String(value) : text;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/**
 * The JSON of a value, as JSON.stringify writes it, in pieces and with an explicit stack
 * instead of recursion. A value that contains itself is written "[Circular]" there.
 */
function* jsonChunks(root: unknown): Generator<string> {
  interface Open {
    readonly holder: object;
    readonly keys: readonly string[] | null;
    readonly length: number;
    index: number;
    wrote: boolean;
  }
  const open: Open[] = [];
  const ancestors = new Set<object>();
  let pending: { value: unknown } | null = { value: root };
  for (;;) {
    if (pending !== null) {
      const value = pending.value;
      pending = null;
      if (typeof value === 'object' && value !== null) {
        if (ancestors.has(value)) {
          yield '"[Circular]"';
          continue;
        }
        ancestors.add(value);
        const keys = Array.isArray(value) ? null : Object.keys(value);
        open.push({ holder: value, keys, length: keys === null ? (value as unknown[]).length : keys.length, index: 0, wrote: false });
        yield keys === null ? '[' : '{';
      } else {
        yield JSON.stringify(value) ?? 'null';
      }
      continue;
    }
    const top = open.at(-1);
    if (top === undefined) return;
    if (top.index >= top.length) {
      open.pop();
      ancestors.delete(top.holder);
      yield top.keys === null ? ']' : '}';
      continue;
    }
    const key = top.keys === null ? String(top.index) : (top.keys[top.index] as string);
    top.index += 1;
    const value = jsonable((top.holder as Record<string, unknown>)[key], key);
    // Objects leave out what JSON cannot hold; arrays write null in its place.
    if (value === undefined && top.keys !== null) continue;
    yield `${top.wrote ? ',' : ''}${top.keys === null ? '' : `${JSON.stringify(key)}:`}`;
    top.wrote = true;
    pending = { value: value === undefined ? null : value };
  }
}

/** What JSON.stringify writes for a value: its toJSON, and undefined for what it leaves out. */
function jsonable(value: unknown, key: string): unknown {
  const own = typeof value === 'object' && value !== null && typeof (value as { toJSON?: unknown }).toJSON === 'function';
  const v = own ? (value as { toJSON(key: string): unknown }).toJSON(key) : value;
  return typeof v === 'function' || typeof v === 'symbol' ? undefined : v;
}

// ── From zod issues to problems ─────────────────────────────────────────────────────

type RawIssue = z.core.$ZodRawIssue;

/** The message of an issue whose schema has no `error` of its own. */
function messageOf(issue: RawIssue, subject: Subject): string {
  const value = issueValueOf(issue);
  const got = (shown: string) => `, got ${shown}`;
  const shownValue = (v: unknown) => show(v, subject.absent === undefined ? {} : { absent: subject.absent });
  if (issue.code === 'unrecognized_keys') {
    const shape = (issue.inst as { shape?: object } | undefined)?.shape;
    return shape === undefined ? 'is not a known field' : `is not a known field (known: ${Object.keys(shape).join(', ')})`;
  }
  if (value === undefined && (issue.path?.length ?? 0) > 0 && subject.missing !== undefined) return subject.missing;
  if (issue.code === 'invalid_union' && 'discriminator' in issue && Array.isArray(issue.options)) {
    return `must be ${alternatives(issue.options as unknown[])}${got(shownValue(value))}`;
  }
  const owner = (issue as { schema?: z.core.$ZodType }).schema ?? issue.inst;
  const expectation = owner === undefined ? undefined : expectations.get(owner as z.ZodType);
  if (expectation !== undefined) return `must be ${expectation.expected}${got(shownValue(value))}`;
  switch (issue.code) {
    case 'invalid_type':
      return `must be ${TYPES[issue.expected] ?? issue.expected}${got(shownValue(value))}`;
    case 'invalid_value':
      return `must be ${alternatives(issue.values)}${got(shownValue(value))}`;
    case 'too_small':
      return `must be ${bound(issue.origin, issue.inclusive ? '≥' : '>', issue.minimum)}${got(shownValue(value))}`;
    case 'too_big':
      return `must be ${bound(issue.origin, issue.inclusive ? '≤' : '<', issue.maximum)}${got(shownValue(value))}`;
    case 'invalid_format':
      return `must be ${issue.format === 'regex' && issue.pattern ? `a string matching ${issue.pattern}` : `a valid ${issue.format}`}${got(shownValue(value))}`;
    default:
      return `is not valid${got(shownValue(value))}`;
  }
}

const TYPES: Readonly<Record<string, string>> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'a boolean',
  object: 'an object',
  array: 'an array',
  bigint: 'a bigint',
  function: 'a function',
};

function bound(origin: string, comparison: string, limit: number | bigint): string {
  if (origin === 'string') return `${comparison} ${limit} characters long`;
  if (origin === 'array' || origin === 'set') return `${comparison} ${limit} items long`;
  return `${comparison} ${limit}`;
}

/** '"a"', '"a" or "b"', '"a", "b" or "c"'. */
function alternatives(values: readonly unknown[]): string {
  const shown = values.map((v) => show(v));
  return shown.length <= 1 ? (shown[0] ?? 'nothing') : `${shown.slice(0, -1).join(', ')} or ${shown.at(-1)}`;
}

/** The value an issue is about; a discriminated union reports the whole object at its discriminator's path. */
function issueValueOf(issue: RawIssue): unknown {
  const input = issue.input;
  if (issue.code === 'invalid_union' && 'discriminator' in issue && isPlainObject(input)) return input[issue.discriminator as string];
  return input;
}

/**
 * Unknown fields first (a misspelt field often explains a missing one), one problem per
 * field, at most MAX_PROBLEMS. A union none of whose forms fit reports the problems of the
 * one form the value has the kind of, if there is exactly one (an object with a bad field,
 * among "a name or an object"); otherwise its own message.
 */
function problemsOf(issues: readonly z.core.$ZodIssue[], subject: Subject): { problems: Found[]; total: number } {
  const flat = issues.flatMap((issue) => intended(issue));
  const ordered = [...flat.filter((i) => i.code === 'unrecognized_keys'), ...flat.filter((i) => i.code !== 'unrecognized_keys')];
  const problems: Found[] = [];
  const seen = new Set<string>();
  let total = 0;
  const add = (path: readonly PropertyKey[], message: string, unknown: boolean) => {
    const field = fieldOf(path, subject);
    if (seen.has(field)) return;
    seen.add(field);
    total += 1;
    if (problems.length < MAX_PROBLEMS) problems.push({ field, message, unknown });
  };
  for (const issue of ordered) {
    if (issue.code === 'unrecognized_keys') {
      // One issue names every unknown key: thousands of them are counted, not listed.
      for (const key of issue.keys.slice(0, MAX_PROBLEMS)) add([...issue.path, key], issue.message, true);
      total += Math.max(0, issue.keys.length - MAX_PROBLEMS);
    } else {
      add(issue.path, issue.message, false);
    }
  }
  return { problems, total };
}

/** A problem, and whether its field is one the schema does not know (a typo, or a field it does not take). */
export interface Found extends Problem {
  readonly unknown: boolean;
}

/** The issues of the union form the value was meant for (see problemsOf), at their full paths; or the issue itself. */
function intended(issue: z.core.$ZodIssue, depth = 0): z.core.$ZodIssue[] {
  if (issue.code !== 'invalid_union' || depth > 8) return [issue];
  const fitting = issue.errors.filter((form) =>
    form.some((i) => i.path.length > 0 || (i.code !== 'invalid_type' && i.code !== 'invalid_value')),
  );
  if (fitting.length !== 1) return [issue];
  return (fitting[0] ?? []).flatMap((i) => intended({ ...i, path: [...issue.path, ...i.path] }, depth + 1));
}

/** The longest key a field shows: an unknown key may be as long as the value it came in. */
const MAX_KEY = 100;

/** `name` for the whole value; `a.b[2].c` inside it (after `name.` when qualified). */
function fieldOf(path: readonly PropertyKey[], subject: Subject): string {
  let field = subject.qualified || path.length === 0 ? subject.name : '';
  for (const segment of path) {
    const key = String(segment);
    const shown = key.length > MAX_KEY ? `${key.slice(0, MAX_KEY - 3)}...` : key;
    if (typeof segment === 'number') field += `[${segment}]`;
    else field += field === '' ? shown : `.${shown}`;
  }
  return field;
}
