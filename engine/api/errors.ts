/**
 * What the jobs API answers when a request cannot be served: an HTTP status, a short
 * code, a message that says what to do, and for bad input the problem of every field.
 *
 * The API raises the engine's own error classes (engine/errors.ts): a job that does not
 * exist is a NotFoundError wherever it is found missing, a state that forbids the request
 * a ConflictError, a bad field an InvalidArgumentError. HTTP_ERRORS below is the one table
 * from error class to status: the handlers (functions/api.ts) answer with
 * `httpErrorOf(error)`; anything it does not know (a ConfigurationError, an
 * InvariantError, an SDK failure) is a 500 with the request id, because the caller cannot
 * fix it by changing the request.
 *
 * The classes below are those engine classes as the API throws them: the same classes
 * (an API NotFoundError is an engine NotFoundError), with the status the table gives them
 * readable on the error itself, and for a bad request the problem of every field.
 */
import {
  ConflictError as EngineConflictError,
  InvalidArgumentError,
  NotFoundError as EngineNotFoundError,
  type SluiceErrorOptions,
} from '../errors.js';

/** One problem of one field of a request: `field` is a path such as `trigger.intervalMs`. */
export interface FieldProblem {
  readonly field: string;
  readonly message: string;
}

export const ApiErrorCodes = {
  BadRequest: 'BadRequest',
  NotFound: 'NotFound',
  Conflict: 'Conflict',
  PayloadTooLarge: 'PayloadTooLarge',
  InternalError: 'InternalError',
} as const;
export type ApiErrorCode = (typeof ApiErrorCodes)[keyof typeof ApiErrorCodes];

/** 400: the request is malformed; `fields` names every problem found (not only the first). */
export class BadRequestError extends InvalidArgumentError {
  constructor(
    message: string,
    readonly fields: readonly FieldProblem[] = [],
    options: SluiceErrorOptions = {},
  ) {
    super(message, options);
  }

  static of(fields: readonly FieldProblem[]): BadRequestError {
    const first = fields[0];
    const summary = first === undefined ? 'bad request' : `${first.field} ${first.message}`;
    return new BadRequestError(
      fields.length > 1 ? `${summary} (and ${fields.length - 1} more problem${fields.length > 2 ? 's' : ''})` : summary,
      fields,
    );
  }

  /** The HTTP status the API answers it with (from HTTP_ERRORS). */
  get status(): number {
    return statusOf(this);
  }
}

/** 404: no such job instance (or route). */
export class NotFoundError extends EngineNotFoundError {
  /** The HTTP status the API answers it with (from HTTP_ERRORS). */
  get status(): number {
    return statusOf(this);
  }
}

/** 409: the request is valid but the job's state does not allow it (it runs, it exists, it was started with another token). */
export class ConflictError extends EngineConflictError {
  /** The HTTP status the API answers it with (from HTTP_ERRORS). */
  get status(): number {
    return statusOf(this);
  }
}

/** 413: a body larger than the API accepts. */
export class PayloadTooLargeError extends InvalidArgumentError {
  /** The HTTP status the API answers it with (from HTTP_ERRORS). */
  get status(): number {
    return statusOf(this);
  }
}

type ErrorClass = abstract new (...args: never[]) => Error;

/**
 * Error class to HTTP status and code. An error takes the first row whose class it is an
 * instance of, so a subclass comes before its parent (PayloadTooLargeError and
 * BadRequestError are InvalidArgumentErrors).
 */
export const HTTP_ERRORS: readonly { readonly error: ErrorClass; readonly status: number; readonly code: ApiErrorCode }[] = [
  { error: PayloadTooLargeError, status: 413, code: ApiErrorCodes.PayloadTooLarge },
  { error: EngineNotFoundError, status: 404, code: ApiErrorCodes.NotFound },
  { error: EngineConflictError, status: 409, code: ApiErrorCodes.Conflict },
  { error: InvalidArgumentError, status: 400, code: ApiErrorCodes.BadRequest },
];

/** What the API answers for `error`, or null when it is not the caller's to fix (a 500). */
export function httpErrorOf(
  error: unknown,
): { readonly status: number; readonly code: ApiErrorCode; readonly message: string; readonly fields: readonly FieldProblem[] } | null {
  const row = HTTP_ERRORS.find((r) => error instanceof r.error);
  if (row === undefined) return null;
  const { message } = error as Error;
  return { status: row.status, code: row.code, message, fields: error instanceof BadRequestError ? error.fields : [] };
}

function statusOf(error: Error): number {
  return httpErrorOf(error)?.status ?? 500;
}
