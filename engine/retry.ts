import { isRetryable } from './errors.js';
import type { Clock } from './ports/clock.js';

export interface RetryOptions {
  /** Attempts in all, the first included. */
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs?: number;
  readonly clock: Clock;
  /** Called before each new attempt. */
  readonly onRetry?: (error: unknown, attempt: number) => void;
}

/**
 * Runs `fn` until it succeeds, an error is not retryable (`isRetryable`), or the attempts
 * run out; waits base·2^(n-1) between attempts (capped), like a Step Functions Retry with
 * BackoffRate 2. Deterministic: no jitter here, the clock is injected.
 */
export async function retry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (attempt >= options.attempts || !isRetryable(error)) throw error;
      options.onRetry?.(error, attempt);
      const delay = Math.min(options.baseDelayMs * 2 ** (attempt - 1), options.maxDelayMs ?? 30_000);
      await options.clock.sleep(delay);
    }
  }
}
