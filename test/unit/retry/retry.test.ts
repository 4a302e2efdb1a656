/** The one retrier (engine/retry.ts): attempts, backoff and its cap, jitter, shouldRetry and bail. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvariantError, JobSpecError, TransientError } from '../../../engine/errors.js';
import { backoffDelayMs, retry, type Jitter, type RetryOptions } from '../../../engine/retry.js';

/** Options with a sleep that records its waits instead of spending them. */
function recording(options: Partial<RetryOptions> = {}): { options: RetryOptions; sleeps: number[] } {
  const sleeps: number[] = [];
  return { sleeps, options: { attempts: 5, baseDelayMs: 100, clock: { sleep: async (ms) => void sleeps.push(ms) }, ...options } };
}

/** A function that fails `failures` times with `error`, then returns its attempt number. */
function failing(failures: number, error: () => unknown = () => new Error('boom')) {
  const attempts: number[] = [];
  const fn = async (attempt: number) => {
    attempts.push(attempt);
    if (attempt <= failures) throw error();
    return attempt;
  };
  return { fn, attempts };
}

describe('retry', () => {
  it('waits base·2^(n-1) between attempts, capped, by default (no jitter)', async () => {
    const { options, sleeps } = recording({ attempts: 6, baseDelayMs: 100, maxDelayMs: 1_000 });
    expect(await retry(failing(5).fn, options)).toBe(6);
    expect(sleeps).toEqual([100, 200, 400, 800, 1_000]);
  });

  it('caps every wait at 30 s unless told otherwise', async () => {
    const { options, sleeps } = recording({ attempts: 4, baseDelayMs: 20_000 });
    await retry(failing(3).fn, options);
    expect(sleeps).toEqual([20_000, 30_000, 30_000]);
  });

  it('throws the last error when the attempts run out, or what onExhausted makes of it', async () => {
    const { options, sleeps } = recording({ attempts: 3 });
    const plain = failing(10);
    await expect(retry(plain.fn, options)).rejects.toThrow('boom');
    expect(plain.attempts).toEqual([1, 2, 3]);
    expect(sleeps).toHaveLength(2);
    const wrapped = await retry(failing(10).fn, {
      ...options,
      onExhausted: (error, n) => new TransientError(`gave up after ${n}: ${String(error)}`),
    }).catch((e: unknown) => e);
    expect(wrapped).toBeInstanceOf(TransientError);
    expect((wrapped as Error).message).toBe('gave up after 3: Error: boom');
  });

  it('retries what isRetryable says by default: unknown and retryable errors, not the others', async () => {
    const { options } = recording();
    expect(await retry(failing(2, () => new TransientError('throttled')).fn, options)).toBe(3);
    const spec = failing(5, () => new JobSpecError('bad'));
    await expect(retry(spec.fn, options)).rejects.toBeInstanceOf(JobSpecError);
    expect(spec.attempts).toEqual([1]);
  });

  it('asks shouldRetry, with the error and the attempt, and stops at its first no', async () => {
    const { options } = recording({ attempts: 10 });
    const asked: number[] = [];
    const run = failing(10);
    await expect(retry(run.fn, { ...options, shouldRetry: (_error, attempt) => (asked.push(attempt), attempt < 3) })).rejects.toThrow(
      'boom',
    );
    expect(asked).toEqual([1, 2, 3]);
    expect(run.attempts).toEqual([1, 2, 3]);
  });

  it('never retries an InvariantError, whatever shouldRetry says', async () => {
    const { options, sleeps } = recording();
    const run = failing(5, () => new InvariantError('impossible'));
    await expect(retry(run.fn, { ...options, shouldRetry: () => true })).rejects.toBeInstanceOf(InvariantError);
    expect(run.attempts).toEqual([1]);
    expect(sleeps).toEqual([]);
  });

  it('stops at once on bail, with the error given, without onExhausted', async () => {
    const { options, sleeps } = recording({ attempts: 5, onExhausted: () => new Error('not this') });
    const seen: number[] = [];
    const reason = new Error('stop here');
    const error = await retry(
      async (attempt, bail) => {
        seen.push(attempt);
        if (attempt === 2) bail(reason);
        throw new Error('again');
      },
      { ...options, shouldRetry: () => true },
    ).catch((e: unknown) => e);
    expect(error).toBe(reason);
    expect(seen).toEqual([1, 2]);
    expect(sleeps).toEqual([100]);
  });

  it('retries at once when the wait is 0, and tells onRetry about every failed attempt', async () => {
    const { options, sleeps } = recording({ baseDelayMs: 0 });
    const retried: number[] = [];
    expect(await retry(failing(3).fn, { ...options, onRetry: (_error, attempt) => retried.push(attempt) })).toBe(4);
    expect(sleeps).toEqual([]);
    expect(retried).toEqual([1, 2, 3]);
  });

  it('uses the injected random source for jitter', async () => {
    const { options, sleeps } = recording({ attempts: 3, jitter: 'full', random: () => 0.5 });
    await retry(failing(2).fn, options);
    expect(sleeps).toEqual([50, 100]);
  });
});

describe('backoffDelayMs', () => {
  const jitters: Jitter[] = ['none', 'full', 'equal'];
  const arbitrary = fc.record({
    attempt: fc.integer({ min: 1, max: 60 }),
    baseDelayMs: fc.integer({ min: 0, max: 10_000 }),
    maxDelayMs: fc.integer({ min: 0, max: 120_000 }),
    jitter: fc.constantFrom(...jitters),
    r: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
  });

  it('stays within [0, the capped exponential wait], at least half of it with equal jitter, exactly it without jitter', () => {
    fc.assert(
      fc.property(arbitrary, ({ attempt, baseDelayMs, maxDelayMs, jitter, r }) => {
        const exponential = Math.min(baseDelayMs * 2 ** (attempt - 1), maxDelayMs);
        const delay = backoffDelayMs(attempt, { baseDelayMs, maxDelayMs, jitter, random: () => r });
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThanOrEqual(maxDelayMs);
        expect(delay).toBeLessThanOrEqual(exponential);
        if (jitter === 'none') expect(delay).toBe(exponential);
        if (jitter === 'equal') expect(delay).toBeGreaterThanOrEqual(Math.floor(exponential / 2));
        if (jitter === 'full' && exponential > 0) expect(delay).toBeLessThan(exponential);
      }),
    );
  });

  it('never decreases from one attempt to the next without jitter, and reaches the cap', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5_000 }), fc.integer({ min: 1, max: 60_000 }), (baseDelayMs, maxDelayMs) => {
        const delays = Array.from({ length: 40 }, (_, i) => backoffDelayMs(i + 1, { baseDelayMs, maxDelayMs }));
        for (let i = 1; i < delays.length; i += 1) expect(delays[i]!).toBeGreaterThanOrEqual(delays[i - 1]!);
        expect(delays.at(-1)).toBe(maxDelayMs);
      }),
    );
  });
});
