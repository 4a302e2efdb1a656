/**
 * What the jobs API answers when a request cannot be served: an HTTP status, a short
 * code, a message that says what to do, and for bad input the problem of every field.
 * The handlers (functions/api.ts) turn these into JSON bodies; anything else thrown is a
 * 500 with the request id. Not SluiceErrors: they never cross a state machine.
 */

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

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ApiErrorCode,
    message: string,
    readonly fields: readonly FieldProblem[] = [],
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** 400: the request is malformed; `fields` names every problem found (not only the first). */
export class BadRequestError extends ApiError {
  constructor(message: string, fields: readonly FieldProblem[] = []) {
    super(400, ApiErrorCodes.BadRequest, message, fields);
  }

  static of(fields: readonly FieldProblem[]): BadRequestError {
    const first = fields[0];
    const summary = first === undefined ? 'bad request' : `${first.field} ${first.message}`;
    return new BadRequestError(fields.length > 1 ? `${summary} (and ${fields.length - 1} more problem${fields.length > 2 ? 's' : ''})` : summary, fields);
  }
}

/** 404: no such job instance (or route). */
export class NotFoundError extends ApiError {
  constructor(message: string) {
    super(404, ApiErrorCodes.NotFound, message);
  }
}

/** 409: the request is valid but the job's state does not allow it (it runs, it exists, it was started with another token). */
export class ConflictError extends ApiError {
  constructor(message: string) {
    super(409, ApiErrorCodes.Conflict, message);
  }
}

/** 413: a body larger than the API accepts. */
export class PayloadTooLargeError extends ApiError {
  constructor(message: string) {
    super(413, ApiErrorCodes.PayloadTooLarge, message);
  }
}
