/**
 * The jobs API over HTTP on the local runtime, for the tests that send it real requests:
 * the Lambda handlers behind the local server (local/api-server.ts), the project's catalog,
 * jobs run by the local driver (the driver state machines in-process) on the AWS adapters
 * of a job world (test/support/job-world-aws.ts) over the stand-ins.
 */
import { expect } from 'vitest';
import { catalog } from '../../jobs/catalog.js';
import { type LocalApi, startLocalApi } from '../../local/api-runtime.js';
import type { AwsJobWorld } from './job-world-aws.js';

export type Json = Record<string, any>;

/** The pages the tests' clicks are on, and the time of the first click. */
export const PAGES = ['/home', '/cart', '/docs', '/blog', '/about', '/faq'];
export const BASE_TS = Date.UTC(2026, 0, 1, 12);

export interface JobsApiOverHttp {
  /** Serves the API on a free port, on the world's ports and job registry. */
  start(world: Pick<AwsJobWorld, 'ports' | 'registry'>): Promise<void>;
  /** Closes it, if it was started: its drivers stop. */
  close(): Promise<void>;
  /** Sends a request, `body` as JSON or `raw` as written; every answer must be JSON. */
  call(method: string, path: string, body?: unknown, raw?: string): Promise<{ status: number; body: Json }>;
}

/** One API for a test file: started in its beforeAll, closed in its afterAll. */
export function jobsApiOverHttp(): JobsApiOverHttp {
  let api: LocalApi | undefined;
  return {
    async start(world) {
      api = await startLocalApi({ ports: world.ports, registry: world.registry, catalog, port: 0, driver: { retryDelayMs: 20 } });
    },
    async close() {
      await api?.close();
    },
    async call(method, path, body, raw) {
      if (api === undefined) throw new Error('the jobs API is not started: start it in beforeAll');
      const response = await fetch(`${api.url}${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        ...(raw !== undefined ? { body: raw } : body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      expect(response.headers.get('content-type')).toBe('application/json');
      return { status: response.status, body: (await response.json()) as Json };
    },
  };
}

/** Polls `check` every 100 ms until it holds; a test that waits longer than `timeoutMs` fails naming `what`. */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
