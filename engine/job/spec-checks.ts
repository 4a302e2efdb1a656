import { z } from 'zod';
import { JobSpecError } from '../errors.js';
import { expecting, isPlainObject, parse, show as showValue } from '../validation.js';
import { asyncFunctionProblem, isAsyncFunction } from './synchronous.js';

/**
 * Small checks shared by the job API's validation, on zod schemas (engine/validation.ts).
 * Every failure is a JobSpecError whose message starts with the field it is about
 * ("trigger.intervalMs must be ...") and says what was wrong with the value it got.
 * They run when a job is defined, never per record.
 */

export function specError(field: string, problem: string): JobSpecError {
  return new JobSpecError(`${field} ${problem}`, { context: { field } });
}

/** A short, safe rendering of any value for an error message (bounded: see engine/validation.ts). */
export function show(value: unknown): string {
  return showValue(value);
}

const positiveInteger = expecting('a positive integer', z.number().int().min(1));
const nonNegativeNumber = expecting('a finite number >= 0', z.number().min(0));
const aFunction = expecting(
  'a function',
  z.custom<(...args: never[]) => unknown>((value) => typeof value === 'function'),
);
const anObject = expecting('an object', z.custom<Record<string, unknown>>(isPlainObject));

/** The value, or a JobSpecError naming `field`. */
function check<S extends z.ZodType>(schema: S, field: string, value: unknown): z.output<S> {
  return parse(schema, value, { name: field, error: JobSpecError });
}

export function requirePositiveInteger(field: string, value: unknown): number {
  return check(positiveInteger, field, value);
}

export function requireNonNegativeNumber(field: string, value: unknown): number {
  return check(nonNegativeNumber, field, value);
}

/** A function of the user's; an async one is refused (pipelines are synchronous: synchronous.ts). */
export function requireFunction<F>(field: string, value: F): F {
  check(aFunction, field, value);
  if (isAsyncFunction(value)) throw specError(field, asyncFunctionProblem());
  return value;
}

export function requireObject(field: string, value: unknown): Record<string, unknown> {
  return check(anObject, field, value);
}

/** "60s", "1m", "1500ms": durations in descriptions. */
export function formatMs(ms: number): string {
  if (ms !== 0 && ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms !== 0 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms !== 0 && ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
