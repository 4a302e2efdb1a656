/**
 * Time, injected. Nothing in the engine reads `Date.now()` or calls `setTimeout` itself,
 * so tests and the harness control time exactly.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  sleep(ms: number): Promise<void>;
}
