/**
 * A user sink's function (userSink) that POSTs each batch to an HTTP endpoint, made safe to
 * repeat with the Idempotency-Key header (IETF draft "The Idempotency-Key HTTP Header
 * Field", draft-ietf-httpapi-idempotency-key-header): the key is derived from (jobId,
 * generation, batchId, partition), so a retry, a zombie or a replay of the same write
 * sends the same key with the same body, and a server that keeps the draft answers it with
 * the first request's result instead of applying it twice.
 *
 *   POST <url>
 *   Content-Type: application/json
 *   Idempotency-Key: "<key>"          (an sf-string, RFC 8941, as the draft asks)
 *   { "jobId", "generation", "batchId", "partition", "rows": [{ "key", "value" }] }
 *
 * The key has the form of a UUID (version 8, RFC 9562: its bits are a SHA-256 of the four
 * fields), so servers that expect UUID keys take it. The draft asks that a key never be
 * reused with another payload: the rows of a (generation, batch, partition) are the same on
 * every run (engine/job/synchronous.ts), so the body is too.
 *
 * Responses:
 *   2xx                     written
 *   408, 429, 5xx           transient: tried again here with backoff (a few attempts), then
 *                           the batch fails and is retried later, with the same key
 *   409                     transient: the draft's answer to a request whose key is still
 *                           being processed (a zombie's, or an attempt that timed out)
 *   other 4xx (and 3xx)     permanent: SinkRejectedError, the rows become dead letters
 *                           (400 a request the server will not take, 422 the draft's key
 *                           reused with another payload, 401/403 credentials: fix and replay)
 *   a network error         transient, as 5xx
 */
import { createHash } from 'node:crypto';
import { TransientError } from '../errors.js';
import type { UserSinkBatch } from '../ports/sink.js';
import { retry } from '../retry.js';
import { SinkRejectedError } from './sink-rejected-error.js';

export interface IdempotentHttpSinkOptions {
  readonly url: string | URL;
  /** More request headers (authorization...). Content-Type and Idempotency-Key are set by the sink. */
  readonly headers?: Readonly<Record<string, string>>;
  /** The fetch to use (default: the global fetch of Node 18+). */
  readonly fetch?: typeof fetch;
  /** Attempts per call, the first included, for transient answers (default 3). */
  readonly attempts?: number;
  /** First wait between attempts, doubled each time (default 200 ms, at most 5 s). */
  readonly baseDelayMs?: number;
  /** Where waits are spent (default setTimeout): tests pass their own. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** The Idempotency-Key of a batch's partition: the same for every run of it, a UUID-shaped hash of (jobId, generation, batchId, partition). */
export function idempotencyKeyOf(batch: Pick<UserSinkBatch, 'jobId' | 'generation' | 'batchId' | 'partition'>): string {
  const bytes = createHash('sha256')
    .update(JSON.stringify(['sluice-user-sink', batch.jobId, batch.generation, batch.batchId, batch.partition]))
    .digest()
    .subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x80; // version 8: custom
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // variant 10
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Whether a status is worth another attempt: a timeout, a conflict on the key, throttling, a server error. */
export function isTransientStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/** A user sink's `write` that POSTs each batch as JSON with an Idempotency-Key (see the file's comment). */
export function idempotentHttpSink(options: IdempotentHttpSinkOptions): (batch: UserSinkBatch) => Promise<void> {
  const url = String(options.url);
  const send = options.fetch ?? globalThis.fetch;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const attempts = options.attempts ?? 3;
  return async (batch) => {
    const key = idempotencyKeyOf(batch);
    const body = JSON.stringify({
      jobId: batch.jobId,
      generation: batch.generation,
      batchId: batch.batchId,
      partition: batch.partition,
      rows: batch.rows.map((row) => ({ key: row.key, value: row.value })),
    });
    await retry(
      async (attempt, bail) => {
        let response: Response;
        try {
          response = await send(url, {
            method: 'POST',
            headers: { ...options.headers, 'content-type': 'application/json', 'idempotency-key': `"${key}"` },
            body,
          });
        } catch (error) {
          throw new TransientError(`POST ${url} failed (attempt ${attempt}): ${error instanceof Error ? error.message : String(error)}`, {
            cause: error,
          });
        }
        if (response.ok) {
          await response.body?.cancel().catch(() => {});
          return;
        }
        const text = (await response.text().catch(() => '')).slice(0, 300);
        const what = `POST ${url} answered ${response.status}${text === '' ? '' : `: ${text}`} (Idempotency-Key ${key})`;
        if (isTransientStatus(response.status)) throw new TransientError(what);
        bail(new SinkRejectedError(what));
      },
      { attempts, baseDelayMs: options.baseDelayMs ?? 200, maxDelayMs: 5_000, clock: { sleep } },
    );
  };
}
