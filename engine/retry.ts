/**
 * The one retrier of the code base: attempts, exponential backoff with a cap, optional
 * jitter, and a rule for which errors are worth another attempt. Every loop that sends
 * something again after a failure goes through it, so each has the same semantics and the
 * same tests: what is retried, how often, how long it waits.
 *
 * Time and randomness are injected (a clock's sleep, a random source), so tests see the
 * exact waits.
 */
import { InvariantError, isRetryable } from './errors.js';
import type { Clock } from './ports/clock.js';

/**
 * How a wait is spread (AWS's "Exponential Backoff and Jitter"), from the capped
 * exponential wait e = min(base·2^(n-1), cap):
 *   none   exactly e (the default: deterministic, like a Step Functions Retry without jitter)
 *   full   uniform in [0, e): spreads retries of many callers the most
 *   equal  e/2 plus uniform in [0, e/2): spreads them, and never waits less than half
 */
export type Jitter = 'none' | 'full' | 'equal';

export interface BackoffOptions {
  readonly baseDelayMs: number;
  /** Cap of one wait (default 30 s). */
  readonly maxDelayMs?: number;
  /** Default 'none'. */
  readonly jitter?: Jitter;
  /** A number in [0, 1), for jitter (default Math.random). */
  readonly random?: () => number;
}

export interface RetryOptions extends BackoffOptions {
  /** Attempts in all, the first included (Infinity: until `shouldRetry` or a bail says stop). */
  readonly attempts: number;
  /** Where the waits are spent: the engine's clock, or any sleep. */
  readonly clock: Pick<Clock, 'sleep'>;
  /**
   * Whether a failed attempt is worth another (default: `isRetryable`, which retries
   * unknown errors and the SluiceErrors marked retryable). An InvariantError is never
   * retried, whatever this says: the same code on the same state breaks the same rule.
   */
  readonly shouldRetry?: (error: unknown, attempt: number) => boolean;
  /** Called before each new attempt, with the error of the attempt that failed. */
  readonly onRetry?: (error: unknown, attempt: number) => void;
  /** What to throw when the last attempt fails with an error worth retrying (default: that error), e.g. one that says how many attempts failed. */
  readonly onExhausted?: (error: unknown, attempts: number) => unknown;
}

/** Ends the retries at once: `retry` throws `error` as it is, without asking `shouldRetry` or `onExhausted`. */
export type Bail = (error: unknown) => never;

/** The capped exponential wait before attempt `attempt + 1`, with the jitter asked for. */
export function backoffDelayMs(attempt: number, options: BackoffOptions): number {
  const exponential = Math.min(options.baseDelayMs * 2 ** (attempt - 1), options.maxDelayMs ?? 30_000);
  const random = options.random ?? Math.random;
  switch (options.jitter ?? 'none') {
    case 'none':
      return exponential;
    case 'full':
      return Math.floor(random() * exponential);
    case 'equal':
      return Math.floor(exponential / 2 + (random() * exponential) / 2);
  }
}

/**
 * Runs `fn` until it succeeds, it bails, an error is not worth retrying (`shouldRetry`),
 * or the attempts run out; waits `backoffDelayMs` between attempts (a wait of 0 retries at
 * once). With the defaults it waits base·2^(n-1), capped, like a Step Functions Retry with
 * BackoffRate 2.
 */
export async function retry<T>(fn: (attempt: number, bail: Bail) => Promise<T>, options: RetryOptions): Promise<T> {
  const shouldRetry = options.shouldRetry ?? isRetryable;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await fn(attempt, bail);
    } catch (error) {
      if (error instanceof Bailed) throw error.error;
      if (error instanceof InvariantError || !shouldRetry(error, attempt)) throw error;
      if (attempt >= options.attempts) throw options.onExhausted === undefined ? error : options.onExhausted(error, attempt);
      options.onRetry?.(error, attempt);
      const delay = backoffDelayMs(attempt, options);
      if (delay > 0) await options.clock.sleep(delay);
    }
  }
}

/** What `bail` throws through `fn`; `retry` unwraps it. */
class Bailed {
  constructor(readonly error: unknown) {}
}

function bail(error: unknown): never {
  throw new Bailed(error);
}
