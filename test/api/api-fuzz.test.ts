/**
 * Malformed, deep, huge and hostile requests to every route of the local API (the routes
 * of functions/api-routes.ts, served by local/api-server.ts): none gets a 5xx, every
 * answer is a JSON error body of bounded size, and nothing is stored. The server runs on
 * the memory ports with one stopped instance (its source does not exist, so no request
 * can start anything); fast-check runs with a fixed seed and a bounded number of runs.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryPorts } from '../../engine/adapters/memory/index.js';
import { MemoryJobRegistry } from '../../engine/adapters/memory/memory-job-registry.js';
import { markStopped, startJob } from '../../engine/driver/job-control.js';
import type { JobInstance } from '../../engine/ports/job-registry.js';
import { API_ROUTES } from '../../functions/api-routes.js';
import { catalog } from '../../jobs/catalog.js';
import { startLocalApi, type LocalApi } from '../../local/api-runtime.js';
import { rawRequest, type RawResponse } from '../support/raw-http.js';

/** No error answer is larger than this (a 59 KB body with thousands of unknown fields once got 935 KB). */
const MAX_ERROR_BYTES = 16 * 1024;
const JSON_TYPE = { 'content-type': 'application/json' };

let api: LocalApi;
let registry: MemoryJobRegistry;
let before: JobInstance[];

beforeAll(async () => {
  const ports = createMemoryPorts();
  registry = new MemoryJobRegistry();
  await startJob({ jobId: 'held', jobName: 'page-views', token: 'held-token' }, { registry, clock: ports.clock });
  await markStopped('held', 0, 'stopped', { registry, clock: ports.clock });
  api = await startLocalApi({ ports, registry, catalog, port: 0, driver: { retryDelayMs: 20 } });
  before = await registry.list();
});

afterAll(async () => {
  await api?.close();
});

/** Every route's path with `{jobId}` filled in, and the method it answers. */
function routes(jobId: string): { method: string; path: string }[] {
  return Object.keys(API_ROUTES)
    .filter((key) => key !== '$default')
    .map((key) => {
      const [method, path] = key.split(' ') as [string, string];
      return { method, path: path.replace('{jobId}', encodeURIComponent(jobId)) };
    });
}

/** JSON nested `depth` levels deep: arrays or objects. */
function deep(depth: number, kind: 'array' | 'object'): string {
  return kind === 'array' ? `${'['.repeat(depth)}1${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

/** A body with `count` unknown fields (about 60 KB for 3,000). */
function unknownFields(count: number, base: Record<string, unknown> = {}): string {
  const fields = Object.fromEntries(Array.from({ length: count }, (_, i) => [`unknown${i}`, i]));
  return JSON.stringify({ ...base, ...fields });
}

async function expectBoundedError(response: RawResponse, what: string): Promise<void> {
  expect(response.status, `${what}: ${response.text.slice(0, 300)}`).toBeLessThan(500);
  expect(response.headers['content-type'], what).toBe('application/json');
  expect(Buffer.byteLength(response.text), what).toBeLessThanOrEqual(MAX_ERROR_BYTES);
  const body = JSON.parse(response.text) as unknown;
  if (response.status >= 400) expect(body, what).toMatchObject({ error: expect.any(String), message: expect.any(String) });
}

describe('the local API under bad input', () => {
  it('answers JSON nested 4,100 levels deep in any field of a start or resume with a bounded 400', async () => {
    const fields = ['jobName', 'jobId', 'parameters', 'trigger', 'maxRecordsPerPartition', 'startingPosition', 'idempotencyToken', 'force'];
    for (const kind of ['array', 'object'] as const) {
      for (const field of fields) {
        const body = `{"jobName":"page-views",${JSON.stringify(field)}:${deep(4_100, kind)}}`;
        for (const path of ['/jobs', '/jobs/held/resume']) {
          const r = await rawRequest(api.url, 'POST', path, { headers: JSON_TYPE, body });
          await expectBoundedError(r, `${path} ${field} ${kind}`);
          expect(r.status, `${path} ${field} ${kind}`).toBe(400);
        }
      }
      const whole = await rawRequest(api.url, 'POST', '/jobs', { headers: JSON_TYPE, body: deep(4_100, kind) });
      await expectBoundedError(whole, `whole body ${kind}`);
      expect(whole.status).toBe(400);
    }
  });

  it('answers a body with thousands of unknown fields with a bounded 400', async () => {
    for (const path of ['/jobs', '/jobs/held/resume']) {
      const body = unknownFields(3_000, { jobName: 'page-views' });
      expect(Buffer.byteLength(body)).toBeGreaterThan(40_000);
      const r = await rawRequest(api.url, 'POST', path, { headers: JSON_TYPE, body });
      await expectBoundedError(r, path);
      expect(r.status).toBe(400);
    }
  });

  it('gives no 5xx, only bounded JSON errors, and stores nothing, for generated requests to every route', async () => {
    const jobId = fc.oneof(
      fc.constant('held'),
      fc.constant('nope'),
      fc.string({ maxLength: 80 }),
      fc.string({ unit: 'binary', maxLength: 20 }),
    );
    const hostileValue = fc.oneof(
      fc.jsonValue({ maxDepth: 4 }),
      fc.constantFrom<unknown>(null, '', -1, 0, 1e308, 1.5, '1e3', '0x10', true, [], {}, '__proto__', 'x'.repeat(5_000)),
      fc.constant({ ['__proto__']: { polluted: true } }),
    );
    const field = fc.constantFrom(
      'jobName',
      'jobId',
      'parameters',
      'trigger',
      'maxRecordsPerPartition',
      'startingPosition',
      'idempotencyToken',
      'force',
      '__proto__',
      'constructor',
    );
    const body = fc.oneof(
      fc.constant<string | undefined>(undefined),
      fc.constantFrom('null', '', '{', '[]', '"x"', '{"jobName":', '\u0000', '{"a":1,"a":2}'),
      fc.dictionary(field, hostileValue, { maxKeys: 6 }).map((b) => JSON.stringify({ jobName: 'page-views', ...b })),
      fc
        .tuple(field, fc.integer({ min: 100, max: 5_000 }), fc.constantFrom('array' as const, 'object' as const))
        .map(([f, depth, kind]) => `{${JSON.stringify(f)}:${deep(depth, kind)}}`),
      fc.integer({ min: 100, max: 3_000 }).map((n) => unknownFields(n)),
      fc.string({ unit: 'binary', maxLength: 200 }),
    );
    const query = fc.oneof(
      fc.constant(''),
      fc
        .dictionary(fc.constantFrom('limit', 'nextToken', 'partition', 'state', 'x', '__proto__'), fc.string({ maxLength: 40 }), {
          maxKeys: 4,
        })
        .map((q) => `?${new URLSearchParams(q as Record<string, string>).toString()}`),
      fc.constantFrom(
        '?limit=1e3',
        '?limit=0x10',
        '?limit=-1',
        '?limit=99999999999999999999',
        '?nextToken=%ZZ',
        '?limit=1&limit=2',
        `?nextToken=${'A'.repeat(3_000)}`,
      ),
    );
    const headers = fc.constantFrom<Record<string, string>>(
      JSON_TYPE,
      JSON_TYPE,
      JSON_TYPE,
      { 'content-type': 'application/json; charset=utf-8' },
      { 'content-type': 'text/plain' },
      { ...JSON_TYPE, origin: 'https://evil.example' },
      { ...JSON_TYPE, host: 'evil.example' },
      {},
    );
    const method = fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS');
    const request = fc.record({
      route: fc.tuple(jobId, fc.nat()).map(([id, i]) => routes(id)[i % routes(id).length]!),
      otherMethod: fc.option(method, { freq: 4 }),
      query,
      body,
      headers,
    });

    await fc.assert(
      fc.asyncProperty(request, async ({ route, otherMethod, query: q, body: b, headers: h }) => {
        const methodSent = otherMethod ?? route.method;
        const what = `${methodSent} ${route.path}${q.slice(0, 60)}`;
        const r = await rawRequest(api.url, methodSent, `${route.path}${q}`, { headers: h, ...(b === undefined ? {} : { body: b }) });
        await expectBoundedError(r, what);
      }),
      { seed: 13_2026, numRuns: 400 },
    );
    expect(await registry.list()).toEqual(before);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
