import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { TransientError } from '../../../engine/errors.js';
import { SinkRejectedError, idempotencyKeyOf, idempotentHttpSink } from '../../../engine/job/index.js';
import type { UserSinkBatch } from '../../../engine/ports/sink.js';
import { UserSink } from '../../../engine/sinks/user-sink.js';

const batch: UserSinkBatch = {
  jobId: 'orders',
  generation: 0,
  batchId: 12,
  partition: 'shardId-000000000001',
  rows: [{ key: 'o-1', value: { total: 30 } }],
};

interface Received {
  readonly method: string;
  readonly key: string | undefined;
  readonly auth: string | undefined;
  readonly contentType: string | undefined;
  readonly body: unknown;
}

let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
  server = undefined;
});

/** A local server answering each request with the next status of `statuses` (then 200), recording what it got. */
async function serve(statuses: number[]): Promise<{ url: string; received: Received[] }> {
  const received: Received[] = [];
  server = createServer(async (req: IncomingMessage, res) => {
    let text = '';
    for await (const chunk of req) text += chunk;
    received.push({
      method: req.method ?? '',
      key: req.headers['idempotency-key'] as string | undefined,
      auth: req.headers.authorization,
      contentType: req.headers['content-type'],
      body: JSON.parse(text),
    });
    const status = statuses.shift() ?? 200;
    res.writeHead(status, { 'content-type': 'text/plain' }).end(status >= 400 ? `status ${status}` : 'ok');
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}/ingest`, received };
}

const noWait = async () => {};

describe('idempotentHttpSink (IETF draft "The Idempotency-Key HTTP Header Field")', () => {
  it('POSTs the batch as JSON with a quoted Idempotency-Key (an sf-string) and the given headers', async () => {
    const { url, received } = await serve([]);
    await idempotentHttpSink({ url, headers: { authorization: 'Bearer t' }, sleep: noWait })(batch);
    expect(received).toEqual([
      {
        method: 'POST',
        key: `"${idempotencyKeyOf(batch)}"`,
        auth: 'Bearer t',
        contentType: 'application/json',
        body: {
          jobId: 'orders',
          generation: 0,
          batchId: 12,
          partition: 'shardId-000000000001',
          rows: [{ key: 'o-1', value: { total: 30 } }],
        },
      },
    ]);
  });

  it('derives the key from (jobId, generation, batchId, partition): UUID-shaped, the same on a retry, another for any other write', () => {
    const key = idempotencyKeyOf(batch);
    expect(key).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(idempotencyKeyOf({ ...batch })).toBe(key);
    const others = [
      { ...batch, jobId: 'other' },
      { ...batch, generation: 1 },
      { ...batch, batchId: 13 },
      { ...batch, partition: 'shardId-000000000002' },
    ].map(idempotencyKeyOf);
    expect(new Set([key, ...others]).size).toBe(5);
  });

  it('retries 5xx and 429 with backoff, sending the same key and body each time', async () => {
    const { url, received } = await serve([503, 429]);
    const waits: number[] = [];
    await idempotentHttpSink({ url, sleep: async (ms) => void waits.push(ms) })(batch);
    expect(received).toHaveLength(3);
    expect(new Set(received.map((r) => r.key)).size).toBe(1);
    expect(new Set(received.map((r) => JSON.stringify(r.body))).size).toBe(1);
    expect(waits).toEqual([200, 400]);
  });

  it('treats 409 (the draft: a request with this key is still being processed) as transient', async () => {
    const { url, received } = await serve([409]);
    await idempotentHttpSink({ url, sleep: noWait })(batch);
    expect(received).toHaveLength(2);
  });

  it('fails with TransientError when 5xx persists: the batch is retried later with the same key', async () => {
    const { url, received } = await serve([500, 502, 504]);
    await expect(idempotentHttpSink({ url, sleep: noWait })(batch)).rejects.toBeInstanceOf(TransientError);
    expect(received).toHaveLength(3);
    // Through the user sink, the batch's retry sends the same key again.
    const sink = new UserSink({ type: 'user', name: 'api', write: idempotentHttpSink({ url, sleep: noWait }) });
    await sink.write({ ...batch, rows: batch.rows });
    expect(received.at(-1)!.key).toBe(received[0]!.key);
  });

  it.each([400, 401, 404, 413, 422])('treats %i as permanent: SinkRejectedError at once, no retry', async (status) => {
    const { url, received } = await serve([status]);
    const error = await idempotentHttpSink({ url, sleep: noWait })(batch).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SinkRejectedError);
    expect((error as Error).message).toContain(`answered ${status}: status ${status}`);
    expect(received).toHaveLength(1);
  });

  it('through the user sink, a permanent answer makes the rows dead letters instead of failing the batch', async () => {
    const { url } = await serve([422]);
    const sink = new UserSink({ type: 'user', name: 'api', write: idempotentHttpSink({ url, sleep: noWait }) });
    const result = await sink.write(batch);
    expect(result.written).toBe(0);
    expect(result.rejected?.map((r) => r.key)).toEqual(['o-1']);
  });

  it('treats a network error as transient (an injected fetch)', async () => {
    let calls = 0;
    const fetch = (async () => {
      calls += 1;
      if (calls < 3) throw new TypeError('fetch failed');
      return new Response('ok', { status: 201 });
    }) as typeof globalThis.fetch;
    await idempotentHttpSink({ url: 'http://sink.invalid/x', fetch, sleep: noWait })(batch);
    expect(calls).toBe(3);
  });
});
