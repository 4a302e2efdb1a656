import { JobSpecError } from '../errors.js';

/**
 * Small checks shared by the job API's validation. Every failure is a JobSpecError whose
 * message starts with the field it is about ("trigger.intervalMs must be ...") and says
 * what was wrong with the value it got.
 */

export function specError(field: string, problem: string): JobSpecError {
  return new JobSpecError(`${field} ${problem}`, { context: { field } });
}

/** A short, safe rendering of any value for an error message. */
export function show(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'symbol') return value.toString();
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  try {
    const text = JSON.stringify(value);
    if (text === undefined) return String(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return Object.prototype.toString.call(value);
  }
}

export function requirePositiveInteger(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw specError(field, `must be a positive integer, got ${show(value)}`);
  }
  return value;
}

export function requireNonNegativeNumber(field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw specError(field, `must be a finite number >= 0, got ${show(value)}`);
  }
  return value;
}

export function requireFunction<F>(field: string, value: F): F {
  if (typeof value !== 'function') throw specError(field, `must be a function, got ${show(value)}`);
  return value;
}

export function requireObject(field: string, value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw specError(field, `must be an object, got ${show(value)}`);
  }
  return value as Record<string, unknown>;
}

/** "60s", "1m", "1500ms": durations in descriptions. */
export function formatMs(ms: number): string {
  if (ms !== 0 && ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms !== 0 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms !== 0 && ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
