/**
 * Every error the engine raises on purpose is a SluiceError. Its `name` is the class
 * name and is exported in `ErrorNames`, because Step Functions Retry/Catch clauses
 * match on the error name: the ASL refers to these constants, never to string copies.
 *
 * `retryable` says whether running the same step again may succeed (a throttle, a
 * network blip) or cannot (a fenced driver, a bad job spec). Callers check
 * `instanceof` or `isRetryable()`, never compare names by hand.
 */
export const ErrorNames = {
  SluiceError: 'SluiceError',
  ConcurrentDriverError: 'ConcurrentDriverError',
  JobSpecError: 'JobSpecError',
  DataLossError: 'DataLossError',
  RangeMismatchError: 'RangeMismatchError',
  StateCorruptionError: 'StateCorruptionError',
  TransientError: 'TransientError',
  InvalidArgumentError: 'InvalidArgumentError',
} as const;
export type ErrorName = (typeof ErrorNames)[keyof typeof ErrorNames];

export interface SluiceErrorOptions {
  readonly retryable?: boolean;
  readonly cause?: unknown;
  /** Where it happened: job, batch, partition, offset... Serialisable values only. */
  readonly context?: Readonly<Record<string, string | number | boolean | null>>;
}

export class SluiceError extends Error {
  readonly retryable: boolean;
  readonly context: Readonly<Record<string, string | number | boolean | null>>;

  constructor(message: string, options: SluiceErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.retryable = options.retryable ?? false;
    this.context = options.context ?? {};
  }

  /** A small serialisable form: what crosses a Step Functions state or an API response. */
  toJSON(): { name: string; message: string; retryable: boolean; context: Record<string, unknown> } {
    return { name: this.name, message: this.message, retryable: this.retryable, context: { ...this.context } };
  }
}

/**
 * Another driver holds a newer epoch for this job, or wrote the batch first.
 * Spark's equivalent: "Concurrent update to the log. Multiple streaming jobs detected".
 * Not retryable: the driver that gets it must stop; its successor owns the job.
 */
export class ConcurrentDriverError extends SluiceError {
  constructor(message: string, options: SluiceErrorOptions = {}) {
    super(message, { ...options, retryable: false });
  }
}

/** The job definition or its parameters are invalid. The message says which field and why. */
export class JobSpecError extends SluiceError {
  constructor(message: string, options: SluiceErrorOptions = {}) {
    super(message, { ...options, retryable: false });
  }
}

/** Records that a recorded range needs are gone from the source (trimmed by retention). */
export class DataLossError extends SluiceError {
  constructor(message: string, options: SluiceErrorOptions = {}) {
    super(message, { ...options, retryable: false });
  }
}

/** A recorded range could not be read back exactly: the source returned something else. */
export class RangeMismatchError extends SluiceError {
  constructor(message: string, options: SluiceErrorOptions = {}) {
    super(message, { ...options, retryable: true });
  }
}

/** A state version in the store is missing or unreadable. */
export class StateCorruptionError extends SluiceError {
  constructor(message: string, options: SluiceErrorOptions = {}) {
    super(message, { ...options, retryable: false });
  }
}

/** A dependency failed in a way that a later attempt may not (throttling, timeouts). */
export class TransientError extends SluiceError {
  constructor(message: string, options: SluiceErrorOptions = {}) {
    super(message, { ...options, retryable: true });
  }
}

/** A caller passed a bad argument (API request, CLI flag, function input). */
export class InvalidArgumentError extends SluiceError {
  constructor(message: string, options: SluiceErrorOptions = {}) {
    super(message, { ...options, retryable: false });
  }
}

/** True for SluiceErrors marked retryable; unknown errors are treated as retryable (a crash, a socket reset). */
export function isRetryable(error: unknown): boolean {
  if (error instanceof SluiceError) return error.retryable;
  return true;
}

/** A one-line message for any thrown value, for logs and dead letters. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
