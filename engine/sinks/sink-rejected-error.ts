import { SluiceError } from '../errors.js';

/**
 * Thrown by a user sink's function (userSink) when the destination refuses rows for good:
 * retrying the batch would be refused again. The rows become dead letters (stage 'sink',
 * with this message as the reason) and the batch goes on; every other error a user sink
 * throws is a transient failure of the batch, which is retried with the same rows.
 *
 * `keys`: the row keys refused; the other rows of the batch count as written. Without it,
 * every row of the call is refused.
 */
export class SinkRejectedError extends SluiceError {
  readonly keys: readonly string[] | undefined;

  constructor(message: string, options: { readonly keys?: readonly string[]; readonly cause?: unknown } = {}) {
    super(message, { retryable: false, ...(options.cause === undefined ? {} : { cause: options.cause }) });
    this.keys = options.keys === undefined ? undefined : [...options.keys];
  }
}

/** True for a SinkRejectedError (also one from another copy of the module: by its name and shape). */
export function isSinkRejected(error: unknown): error is SinkRejectedError {
  if (error instanceof SinkRejectedError) return true;
  return error instanceof Error && error.name === 'SinkRejectedError';
}
