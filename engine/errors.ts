/**
 * Every error the engine raises on purpose is a SluiceError. Its `name` is the class
 * name and is exported in `ErrorNames`, because Step Functions Retry/Catch clauses
 * match on the error name: the ASL refers to these constants, never to string copies.
 *
 * `retryable` says whether running the same step again may succeed (a throttle, a
 * network blip) or cannot (a fenced driver, a bad job spec). Callers check
 * `instanceof` or `isRetryable()`, never compare names by hand.
 *
 * What a caller did wrong, or what stands in its way, has one class per meaning, so the
 * API's status (engine/api/errors.ts), the command-line exit codes and the state machines'
 * Catch clauses can tell them apart:
 *   InvalidArgumentError  a bad request, flag, argument or event field       (HTTP 400)
 *   NotFoundError         the thing named does not exist                     (HTTP 404)
 *   ConflictError         it exists, but its state does not allow the request (HTTP 409)
 *   ConfigurationError    the deployment or environment is missing a setting or has a bad one
 *   InvariantError        a bug or an impossible state: never retried
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
  NotFoundError: 'NotFoundError',
  ConflictError: 'ConflictError',
  ConfigurationError: 'ConfigurationError',
  InvariantError: 'InvariantError',
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

/**
 * A caller passed a bad argument (API request, CLI flag, function input, event field):
 * the request can never be served as it is, whatever the state of the job.
 */
export class InvalidArgumentError extends SluiceError {
  constructor(message: string, options: SluiceErrorOptions = {}) {
    super(message, { ...options, retryable: false });
  }
}

/** The thing a request names does not exist: no such job instance, batch, replay, stream or topic. */
export class NotFoundError extends SluiceError {
  constructor(message: string, options: SluiceErrorOptions = {}) {
    super(message, { ...options, retryable: false });
  }
}

/**
 * The request is well formed and its target exists, but the target's state does not allow
 * it: the job runs, it exists already, a replay is unfinished, it was started with another token.
 */
export class ConflictError extends SluiceError {
  constructor(message: string, options: SluiceErrorOptions = {}) {
    super(message, { ...options, retryable: false });
  }
}

/**
 * A setting the deployment or environment must provide is missing or bad (an environment
 * variable, a connection the ports were built without). Not retryable: the same process
 * fails the same way until someone fixes the setting.
 */
export class ConfigurationError extends SluiceError {
  constructor(message: string, options: SluiceErrorOptions = {}) {
    super(message, { ...options, retryable: false });
  }
}

/**
 * A rule the engine's own code keeps was broken: a bug, or a state the protocol makes
 * impossible. Never retryable, whatever the caller asks: running the same code on the same
 * state breaks the same rule, and a retry would only hide the bug (an unknown error, by
 * contrast, is retried, because most are crashes and network failures).
 */
export class InvariantError extends SluiceError {
  constructor(message: string, options: Omit<SluiceErrorOptions, 'retryable'> = {}) {
    super(message, { ...options, retryable: false });
  }
}

/** True for SluiceErrors marked retryable; unknown errors are treated as retryable (a crash, a socket reset). */
export function isRetryable(error: unknown): boolean {
  if (error instanceof InvariantError) return false;
  if (error instanceof SluiceError) return error.retryable;
  return true;
}

/**
 * True for the errors that refuse a request as it was made: a bad argument, a target that
 * does not exist or whose state forbids it, a missing setting. Their message says what to
 * change, so command-line tools print it as it is and exit with their "refused" code;
 * anything else (an InvariantError, an SDK failure) is a failure, printed with its name.
 */
export function isRefusal(error: unknown): error is InvalidArgumentError | NotFoundError | ConflictError | ConfigurationError {
  return (
    error instanceof InvalidArgumentError ||
    error instanceof NotFoundError ||
    error instanceof ConflictError ||
    error instanceof ConfigurationError
  );
}

/** A one-line message for any thrown value, for logs and dead letters. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
