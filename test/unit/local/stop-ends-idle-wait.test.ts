/**
 * A stop request ends the local driver's idle wait: a job on a 60-second interval trigger,
 * waiting for its next batch, is STOPPED within a couple of seconds of POST /jobs/{id}/stop
 * instead of at the end of its wait (local/step-functions.ts interruptWaits).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryPorts } from '../../../engine/adapters/memory/index.js';
import { MemoryJobRegistry } from '../../../engine/adapters/memory/memory-job-registry.js';
import { systemClock } from '../../../engine/adapters/system-clock.js';
import { catalog } from '../../../jobs/catalog.js';
import { startLocalApi, type LocalApi } from '../../../local/api-runtime.js';

let api: LocalApi;

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, any> }> {
  const response = await fetch(`${api.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return Date.now() - started;
}

beforeAll(async () => {
  const ports = { ...createMemoryPorts(), clock: systemClock };
  ports.source.createStream('idle-clicks', ['p0']);
  ports.source.append('idle-clicks', 'p0', [{ key: '/a', data: new TextEncoder().encode(JSON.stringify({ page: '/a', ts: 1_000 })) }]);
  api = await startLocalApi({ ports, registry: new MemoryJobRegistry(), catalog, port: 0, driver: { retryDelayMs: 10 } });
});

afterAll(async () => {
  await api?.close();
});

describe('stopping a job locally', () => {
  it('ends its idle wait: the job is STOPPED within seconds, not at the end of its 60-second interval', async () => {
    const started = await call('POST', '/jobs', {
      jobName: 'page-views',
      jobId: 'idle',
      parameters: { streamName: 'idle-clicks' },
      trigger: { type: 'interval', intervalMs: 60_000 },
      idempotencyToken: 'idle-1',
    });
    expect(started.status).toBe(201);
    await waitFor('the first batch committed', async () => (await call('GET', '/jobs/idle')).body.lastCommittedBatch !== null, 30_000);
    // The driver is now in its 60-second wait for the next batch.
    await new Promise((resolve) => setTimeout(resolve, 300));

    const stop = await call('POST', '/jobs/idle/stop');
    expect(stop.status).toBe(202);
    const tookMs = await waitFor('the job STOPPED', async () => (await call('GET', '/jobs/idle')).body.state === 'STOPPED', 10_000);
    expect(tookMs).toBeLessThan(3_000);
    expect((await call('GET', '/jobs/idle')).body).toMatchObject({ state: 'STOPPED', driver: { status: 'SUCCEEDED' } });
  });
});
