/** The `sluice` command's API client: SigV4 signing, retries, and what counts as local. */
import { describe, expect, it } from 'vitest';
import { ApiClient, ApiRequestError, ApiUnreachableError, isLoopback, regionOfEndpoint } from '../../../cli/api-client.js';
import { signRequest } from '../../../cli/sigv4.js';

describe('signRequest', () => {
  it("signs as AWS's own SigV4 test suite says (get-vanilla)", async () => {
    const headers = await signRequest(
      { method: 'GET', url: new URL('https://example.amazonaws.com/'), headers: {} },
      {
        region: 'us-east-1',
        service: 'service',
        credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
        now: new Date('2015-08-30T12:36:00Z'),
      },
    );
    expect(headers.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, ' +
        'Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    );
    expect(headers['x-amz-date']).toBe('20150830T123600Z');
  });

  it('signs execute-api requests with the body, the query and the session token', async () => {
    const headers = await signRequest(
      {
        method: 'POST',
        url: new URL('https://abc.execute-api.eu-west-1.amazonaws.com/jobs?limit=2'),
        headers: { 'content-type': 'application/json' },
        body: '{}',
      },
      {
        region: 'eu-west-1',
        credentials: { accessKeyId: 'AKID', secretAccessKey: 'secret', sessionToken: 'token' },
        now: new Date('2026-01-01T00:00:00Z'),
      },
    );
    expect(headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKID\/20260101\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{64}$/,
    );
    expect(headers['x-amz-security-token']).toBe('token');
  });
});

/** A job as the API shows it (engine/api/views.ts JobSummary). */
const SUMMARY = {
  jobId: 'a b',
  jobName: 'page-views',
  state: 'STOPPING',
  reason: null,
  parameters: {},
  startingPosition: null,
  maxRecordsPerPartition: null,
  trigger: null,
  generation: 1,
  epoch: 1,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
  stopRequestedAt: null,
};

describe('ApiClient', () => {
  it('sends a request again after a 503 or a socket error, then gives up as unreachable', async () => {
    const seen: string[] = [];
    let calls = 0;
    const fetch = (async (url: URL, init: RequestInit) => {
      calls += 1;
      seen.push(`${init.method} ${url.pathname} ${String(init.body)}`);
      if (calls === 1)
        throw new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNRESET'), { code: 'ECONNRESET' }) });
      if (calls === 2) return new Response('Service Unavailable', { status: 503 });
      return new Response('{"ok":true}', { status: 201 });
    }) as unknown as typeof globalThis.fetch;
    const client = new ApiClient({ endpoint: 'http://127.0.0.1:1/', signing: null, fetch });
    expect(await client.request('POST', '/jobs', { idempotencyToken: 't' })).toEqual({ status: 201, body: { ok: true }, json: true });
    expect(seen).toEqual(Array(3).fill('POST /jobs {"idempotencyToken":"t"}'));

    const down = new ApiClient({
      endpoint: 'http://127.0.0.1:1',
      signing: null,
      attempts: 2,
      fetch: (async () => {
        throw new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
      }) as unknown as typeof globalThis.fetch,
    });
    await expect(down.request('GET', '/jobs')).rejects.toThrow(ApiUnreachableError);
    await expect(down.request('GET', '/jobs')).rejects.toThrow(
      'cannot reach the jobs API at http://127.0.0.1:1: ECONNREFUSED (connect ECONNREFUSED)',
    );
  });

  it('keeps a 4xx answer as it is, and wraps one that is not JSON', async () => {
    const client = new ApiClient({
      endpoint: 'http://localhost:1',
      signing: null,
      fetch: (async () => new Response('<html>Forbidden</html>', { status: 403 })) as unknown as typeof globalThis.fetch,
    });
    expect(await client.request('GET', '/jobs')).toEqual({
      status: 403,
      body: { error: 'HTTP 403', message: '<html>Forbidden</html>' },
      json: false,
    });
  });

  it('offers a typed method per route: its path and query, its answer, and ApiRequestError for a 4xx', async () => {
    const seen: string[] = [];
    const fetch = (async (url: URL, init: RequestInit) => {
      seen.push(`${init.method} ${url.pathname}${url.search}${init.body === undefined ? '' : ` ${String(init.body)}`}`);
      if (url.pathname === '/jobs/nobody') return new Response('{"error":"NotFound","message":"no job instance nobody"}', { status: 404 });
      if (url.pathname.endsWith('/dead-letters')) return new Response('{"jobId":"a b","deadLetters":[],"nextToken":null}', { status: 200 });
      if (url.pathname.endsWith('/stop')) return Response.json({ job: SUMMARY });
      if (init.method === 'POST') return Response.json({ job: SUMMARY, execution: 'a-1', alreadyStarted: false, sinksTakenOver: [] });
      return new Response('{"jobs":[]}', { status: 200 });
    }) as unknown as typeof globalThis.fetch;
    const client = new ApiClient({ endpoint: 'http://127.0.0.1:1', signing: null, fetch });
    expect(await client.listJobs({ state: 'RUNNING' })).toEqual({ jobs: [] });
    expect(await client.deadLetters('a b', { partition: 'p1', limit: 2, nextToken: 't' })).toEqual({
      jobId: 'a b',
      deadLetters: [],
      nextToken: null,
    });
    await client.stopJob('a b');
    await client.startJob({ jobName: 'page-views', idempotencyToken: 't' });
    const missing = await client.jobStatus('nobody').catch((error: unknown) => error);
    expect(missing).toBeInstanceOf(ApiRequestError);
    expect(missing).toMatchObject({ status: 404, message: 'no job instance nobody' });
    expect(seen).toEqual([
      'GET /jobs?state=RUNNING',
      'GET /jobs/a%20b/dead-letters?partition=p1&limit=2&nextToken=t',
      'POST /jobs/a%20b/stop',
      'POST /jobs {"jobName":"page-views","idempotencyToken":"t"}',
      'GET /jobs/nobody',
    ]);
  });

  it('knows a local endpoint and the region of an execute-api one', () => {
    expect(isLoopback('http://127.0.0.1:4810')).toBe(true);
    expect(isLoopback('http://[::1]:4810')).toBe(true);
    expect(isLoopback('http://localhost')).toBe(true);
    expect(isLoopback('https://abc.execute-api.eu-west-1.amazonaws.com')).toBe(false);
    expect(regionOfEndpoint('https://abc123.execute-api.eu-west-1.amazonaws.com/')).toBe('eu-west-1');
    expect(regionOfEndpoint('https://api.example.com')).toBeNull();
  });
});
