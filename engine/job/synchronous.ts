/**
 * Pipelines are synchronous. A batch's output must be a pure function of its input (the
 * records of its recorded ranges, the state version it builds on, the watermark in its
 * plan), so that a retry, a zombie or a replay writes the same state and rows. A Promise
 * is work that finishes outside the batch, on data the batch did not record: its result
 * could differ on every run, and the batch cannot wait for it anyway. I/O belongs in the
 * lookup join, which records what it read so that a re-run reads the same.
 *
 * Two checks: defineJob refuses an `async` function wherever it takes user code
 * (requireFunction, spec-checks.ts), and at run time a function that returns a Promise or
 * another thenable (a plain function returning one) fails its record at its own stage
 * (attempt, record-stages.ts), instead of the next stage tripping over a Promise.
 *
 * (Flink's AsyncDataStream and Spark's mapPartitions both allow I/O inside an operator;
 * Sluice does not, because its exactly-once rests on re-running batches deterministically.)
 *
 * The one user function that may be async is a user sink's `write` (userSink,
 * connectors.ts; engine/sinks/user-sink.ts), as Spark's foreachBatch function may do I/O:
 * it is not a pipeline function but the write at the batch's end, given rows the batch
 * already computed, and it must be idempotent on (generation, batchId, partition), because
 * a retry, a zombie or a replay calls it again with the same rows.
 */

const WHY =
  "a batch's output must be a pure function of its input (records, state, watermark), so that a retry or a replay writes the same; " +
  'do I/O with the lookup join, which records what it read';

/** True for `async function`, `async () => ...` and async generators. */
export function isAsyncFunction(value: unknown): boolean {
  if (typeof value !== 'function') return false;
  const tag = (value as { [Symbol.toStringTag]?: unknown })[Symbol.toStringTag];
  return tag === 'AsyncFunction' || tag === 'AsyncGeneratorFunction';
}

/** The problem with an async function given as `field` (defineJob's message after the field's name). */
export function asyncFunctionProblem(): string {
  return `is an async function: async functions are not supported, because ${WHY}`;
}

/** True for a Promise or any object or function with a `then` method. */
export function isThenable(value: unknown): boolean {
  if ((typeof value !== 'object' || value === null) && typeof value !== 'function') return false;
  try {
    return typeof (value as { then?: unknown }).then === 'function';
  } catch {
    return false;
  }
}

/**
 * The reason a record fails when user code returned a thenable ("returned a Promise: ...").
 * A rejection of the abandoned Promise is handled here, so that it cannot crash the
 * executor as an unhandled rejection.
 */
export function thenableReason(value: unknown): string {
  if (value instanceof Promise) {
    value.catch(() => {});
    return `returned a Promise: async results are not supported, because ${WHY}`;
  }
  return `returned a Promise-like object (it has a then method): async results are not supported, because ${WHY}`;
}

/** Thrown by library code that calls a user function (an aggregate's) which returned a thenable; attempt() reports its message as is. */
export class ThenableResult extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'ThenableResult';
  }
}

/** The user function's result; a ThenableResult when it is a Promise or another thenable. */
export function synchronousResult<R>(value: R, what: string): R {
  if (isThenable(value)) throw new ThenableResult(`${what} ${thenableReason(value)}`);
  return value;
}
