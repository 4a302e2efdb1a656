/**
 * The jobs API client's check of a 2xx answer (cli/api-responses.ts, cli/api-client.ts):
 * an answer that is not the jobs API's is an ApiAnswerError naming what is wrong, not a
 * TypeError when it is printed; credentials and the time limits of a dead endpoint.
 */
import { createServer, type Server } from 'node:net';
import { describe, expect, it } from 'vitest';
import { ApiAnswerError, ApiClient, ApiCredentialsError, ApiUnreachableError, tcpConnect } from '../../../cli/api-client.js';
import { jobStatusSchema, responseProblem } from '../../../cli/api-responses.js';

function answering(body: string, status = 200, contentType = 'application/json'): ApiClient {
  const fetch = (async () =>
    new Response(body, { status, headers: { 'content-type': contentType } })) as unknown as typeof globalThis.fetch;
  return new ApiClient({ endpoint: 'http://127.0.0.1:1', signing: null, fetch, attempts: 1 });
}

const SUMMARY = {
  jobId: 'pv',
  jobName: 'page-views',
  state: 'RUNNING',
  reason: null,
  parameters: {},
  startingPosition: { type: 'checkpoint', jobId: 'other', batchId: null },
  maxRecordsPerPartition: null,
  trigger: { type: 'interval', intervalMs: 500 },
  generation: 1,
  epoch: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  stopRequestedAt: null,
};

describe("a 2xx answer that is not the jobs API's", () => {
  it.each([
    ['an HTML page', '<html><body>Welcome</body></html>', 'text/html', /is not the jobs API .*GET \/jobs is wrong at not JSON/],
    ['an empty object', '{}', 'application/json', /GET \/jobs is wrong at jobs: /],
    ['a list', '[1,2]', 'application/json', /wrong at not JSON/],
    ['jobs of the wrong shape', '{"jobs":[{"jobId":5}]}', 'application/json', /wrong at jobs\.0\.jobId: /],
  ])('%s is refused in one line', async (_name, body, type, message) => {
    const error = await answering(body, 200, type)
      .listJobs()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiAnswerError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('\n');
  });

  it('a redirect fetch did not follow is not an answer either', async () => {
    await expect(answering('', 302).jobStatus('pv')).rejects.toThrow(
      'http://127.0.0.1:1 is not the jobs API: it answered GET /jobs/pv with HTTP 302',
    );
  });

  it("an error page's text is cut to one line, and an error body's odd fields are dropped", async () => {
    const page = await answering(`<html>\n${'<p>gateway</p>\n'.repeat(100)}</html>`, 404, 'text/html')
      .jobStatus('pv')
      .catch((e: unknown) => e);
    expect((page as Error).message).not.toContain('\n');
    expect((page as Error).message.length).toBeLessThanOrEqual(300);
    const odd = await answering('{"message":{"x":1},"fields":"all of them"}', 400)
      .jobStatus('pv')
      .catch((e: unknown) => e);
    expect(odd).toMatchObject({ status: 400, message: 'HTTP 400', body: {} });
  });

  it("takes the API's own answers, passing fields the command does not read through", async () => {
    expect(await answering(JSON.stringify({ jobs: [SUMMARY], extra: 1 })).listJobs()).toEqual({ jobs: [SUMMARY], extra: 1 });
    expect(responseProblem(jobStatusSchema, SUMMARY)).toMatch(/^driver: /);
  });
});

describe('signing without credentials', () => {
  it('is an ApiCredentialsError at once, not retried as unreachable', async () => {
    let calls = 0;
    const missing = Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });
    const client = new ApiClient({
      endpoint: 'https://abc.execute-api.eu-west-1.amazonaws.com',
      signing: {
        region: 'eu-west-1',
        credentials: async () => {
          calls += 1;
          throw missing;
        },
      },
      fetch: (async () => new Response('{}')) as unknown as typeof globalThis.fetch,
    });
    const error = await client.listJobs().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiCredentialsError);
    expect((error as Error).message).toBe(
      'no AWS credentials to sign requests to https://abc.execute-api.eu-west-1.amazonaws.com with: Could not load credentials from any providers',
    );
    expect(calls).toBe(1);
  });
});

describe('a dead endpoint', () => {
  it('fails at once when the connection is refused', async () => {
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const client = new ApiClient({ endpoint: `http://127.0.0.1:${port}`, signing: null });
    const started = Date.now();
    await expect(client.listJobs()).rejects.toThrow(new RegExp(`cannot reach the jobs API at http://127.0.0.1:${port}: ECONNREFUSED`));
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('gives up on a connection that does not open within the connect timeout', async () => {
    // 192.0.2.0/24 is TEST-NET-1 (RFC 5737): nothing answers there; it is dropped, or refused as unreachable.
    const started = Date.now();
    await expect(tcpConnect(new URL('http://192.0.2.1:4810'), 300)).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('gives up a request with its retries when the overall time is up', async () => {
    const client = new ApiClient({
      endpoint: 'http://127.0.0.1:1',
      signing: null,
      attempts: 10,
      requestTimeoutMs: 400,
      fetch: (async (_url: URL, init: RequestInit) =>
        new Promise((_resolve, reject) =>
          init.signal?.addEventListener('abort', () => reject(init.signal?.reason)),
        )) as unknown as typeof globalThis.fetch,
    });
    const started = Date.now();
    const error = await client.listJobs().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiUnreachableError);
    expect((error as Error).message).toBe('cannot reach the jobs API at http://127.0.0.1:1: no answer in time');
    expect(Date.now() - started).toBeLessThan(1_500);
  });
});
