/**
 * The one middleware every handler uses. Step Functions matches Retry and Catch on the
 * error's name, so what a handler throws must carry an engine error name
 * (engine/errors.ts ErrorNames): a SluiceError keeps its own; anything else (an SDK
 * throttle, a socket reset) becomes a TransientError when isRetryable says a retry may
 * help. The error is logged once, with its context.
 */
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { SluiceError, TransientError, describeError, isRetryable } from '../engine/errors.js';
import type { Logger } from '../engine/ports/index.js';

export function toTaskError(error: unknown): Error {
  if (error instanceof SluiceError) return error;
  if (isRetryable(error)) return new TransientError(describeError(error), { cause: error });
  return error instanceof Error ? error : new Error(String(error));
}

/** A handler: validate the event, call one engine function, return its (small) result. */
export function taskHandler<E, R>(name: string, logger: () => Logger, run: (event: unknown) => Promise<R>) {
  return middy<E, R, Error, Context>(async (event: E) => run(event)).use({
    name: 'sluiceTaskErrors',
    onError: (request) => {
      const mapped = toTaskError(request.error);
      const log = mapped instanceof SluiceError && !mapped.retryable ? 'error' : 'warn';
      logger()[log](`${name} failed`, {
        error: describeError(mapped),
        ...(mapped instanceof SluiceError ? { retryable: mapped.retryable, context: mapped.context } : {}),
      });
      request.error = mapped;
    },
  });
}
