/**
 * What the local API server refuses before routing (local/api-request-guard.ts): other
 * Host headers (DNS rebinding), cross-origin requests, dot segments in any spelling,
 * bodies that are not declared JSON, and a JSON `null` where a body object is expected.
 * The server runs on the memory ports: every refusal happens before any port is used.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryPorts } from '../../engine/adapters/memory/index.js';
import { MemoryJobRegistry } from '../../engine/adapters/memory/memory-job-registry.js';
import { markStopped, startJob } from '../../engine/driver/job-control.js';
import { catalog } from '../../jobs/catalog.js';
import { startLocalApi, type LocalApi } from '../../local/api-runtime.js';
import { rawRequest } from '../support/raw-http.js';

let api: LocalApi;
let registry: MemoryJobRegistry;
let port: string;

beforeAll(async () => {
  const ports = createMemoryPorts();
  registry = new MemoryJobRegistry();
  // A stopped instance (its source does not exist): a resume that got through would change it or answer 404.
  await startJob({ jobId: 'held', jobName: 'page-views' }, { registry, clock: ports.clock });
  await markStopped('held', 0, 'stopped', { registry, clock: ports.clock });
  api = await startLocalApi({ ports, registry, catalog, port: 0, driver: { retryDelayMs: 20 } });
  port = new URL(api.url).port;
});

afterAll(async () => {
  await api?.close();
});

const send = (method: string, path: string, options: Parameters<typeof rawRequest>[3] = {}) => rawRequest(api.url, method, path, options);

async function refused(response: Promise<Awaited<ReturnType<typeof rawRequest>>>, status: number, message: RegExp): Promise<void> {
  const r = await response;
  expect(r.status, r.text).toBe(status);
  expect(r.headers['content-type']).toBe('application/json');
  expect(JSON.parse(r.text)).toMatchObject({ message: expect.stringMatching(message) });
}

describe('the local API server', () => {
  it('answers its own host:port in its loopback spellings, and refuses any other Host (421)', async () => {
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`, `[::1]:${port}`]) {
      expect((await send('GET', '/jobs', { headers: { host } })).status, host).toBe(200);
    }
    for (const host of [`evil.example:${port}`, 'localhost', `127.0.0.1:${Number(port) + 1}`, `rebind.example.com:${port}`]) {
      await refused(send('GET', '/jobs', { headers: { host } }), 421, /answers requests to .*127\.0\.0\.1:\d+/);
    }
  });

  it('refuses a cross-origin request (403), before reading or acting on its body', async () => {
    const body = JSON.stringify({});
    for (const origin of ['https://evil.example', 'null', `http://localhost:${Number(port) + 1}`, `https://127.0.0.1:${port}`]) {
      await refused(
        send('POST', '/jobs/held/resume', { headers: { origin, 'content-type': 'application/json' }, body }),
        403,
        /no cross-origin request/,
      );
    }
    expect((await registry.get('held'))?.state).toBe('STOPPED');
    expect((await send('GET', '/jobs', { headers: { origin: `http://localhost:${port}` } })).status).toBe(200);
  });

  it('requires application/json for a body (415), as a text/plain form post from a web page would not send', async () => {
    const body = JSON.stringify({ jobName: 'page-views', jobId: 'x' });
    for (const type of [
      undefined,
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/json; charset=latin1',
    ]) {
      await refused(
        send('POST', '/jobs', { headers: type === undefined ? {} : { 'content-type': type }, body }),
        415,
        /Content-Type: application\/json/,
      );
    }
    // Declared JSON, the request reaches the API (which answers on its content).
    const declared = await send('POST', '/jobs', { headers: { 'content-type': 'Application/JSON; charset=utf-8' }, body });
    expect(declared.status).toBe(404);
    // No body needs no type: the resume reaches the API (which finds the job's stream missing).
    await refused(send('POST', '/jobs/held/resume'), 404, /clickstream/);
    expect(await registry.get('x')).toBeNull();
  });

  it('routes no dot segment, in any spelling, to another route (400)', async () => {
    for (const path of [
      '/jobs/%2E',
      '/jobs/%2e%2e/jobs',
      '/jobs/.',
      '/jobs/../jobs',
      '/x/%2E%2E/jobs',
      '/jobs/held/%2e%2e/%2e%2e/jobs',
      '/jobs\\..\\jobs',
    ]) {
      await refused(send('GET', path), 400, /no "\." or "\.\." segment/);
    }
    await refused(send('GET', 'http://evil.example/jobs'), 400, /must be absolute/);
    // An encoded character that is not a dot segment is a job id like any other.
    await refused(send('GET', '/jobs/%2Ejob'), 400, /jobId/);
  });

  it('takes a JSON null body as a body, not as none: 400 where an object is expected', async () => {
    const headers = { 'content-type': 'application/json' };
    await refused(send('POST', '/jobs', { headers, body: 'null' }), 400, /.+/);
    await refused(send('POST', '/jobs/held/resume', { headers, body: 'null' }), 400, /.+/);
  });
});
