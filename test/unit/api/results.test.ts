/** GET /jobs/{jobId}/results (engine/api/results.ts) on the memory ports: pages of the job's sink rows, and what it refuses. */
import { beforeEach, describe, expect, it } from 'vitest';
import { createMemoryPorts, type MemoryPorts } from '../../../engine/adapters/memory/index.js';
import { MemoryJobRegistry } from '../../../engine/adapters/memory/memory-job-registry.js';
import type { ListResultsContext } from '../../../engine/api/context.js';
import { BadRequestError, ConflictError, NotFoundError } from '../../../engine/api/errors.js';
import { parseListResults } from '../../../engine/api/requests.js';
import { listJobResults } from '../../../engine/api/results.js';
import { startJob } from '../../../engine/driver/job-control.js';
import { catalog } from '../../../jobs/catalog.js';

let ports: MemoryPorts;
let ctx: ListResultsContext;

beforeEach(async () => {
  ports = createMemoryPorts();
  const registry = new MemoryJobRegistry();
  ctx = { registry, catalog, sinks: ports.sinks };
  await startJob({ jobId: 'views', jobName: 'page-views', parameters: { sinkTable: 'views-table' } }, { registry, clock: ports.clock });
  await startJob({ jobId: 'streamed', jobName: 'page-views', parameters: { sinkStream: 'views-out' } }, { registry, clock: ports.clock });
  const rows = Array.from({ length: 7 }, (_, i) => ({ key: `/page-${i}`, value: { views: i } }));
  await ports
    .sinks({ type: 'dynamodb', tableName: 'views-table' })
    .write({ jobId: 'views', batchId: 3, generation: 1, partition: 'p0', rows });
});

describe('GET /jobs/{jobId}/results', () => {
  it("pages through every row of the job's sink with the (generation, batch) that wrote it, each row once", async () => {
    const seen: string[] = [];
    let token: string | null = null;
    let pages = 0;
    do {
      const { status, body } = await listJobResults('views', { limit: 3, nextToken: token }, ctx);
      expect(status).toBe(200);
      expect(body.sink).toEqual({ type: 'dynamodb', name: 'views-table' });
      expect(body.rows.length).toBeLessThanOrEqual(3);
      seen.push(...body.rows.map((r) => r.key));
      if (pages === 0) expect(body.rows[0]).toEqual({ key: '/page-0', value: { views: 0 }, batchId: 3, generation: 1 });
      token = body.nextToken;
      pages += 1;
    } while (token !== null);
    expect(pages).toBe(3);
    expect(seen).toEqual(Array.from({ length: 7 }, (_, i) => `/page-${i}`));
  });

  it('takes limit 1 to 1000 (default 100) and refuses a token that is not one of its own or is of another job', async () => {
    expect(parseListResults({})).toEqual({ limit: 100, nextToken: null });
    expect(() => parseListResults({ limit: '1001' })).toThrow(BadRequestError);
    const first = await listJobResults('views', { limit: 2, nextToken: null }, ctx);
    await expect(listJobResults('views', { limit: 2, nextToken: 'garbage' }, ctx)).rejects.toThrow(
      /nextToken is not a token this API returned/,
    );
    await expect(listJobResults('streamed', { limit: 2, nextToken: first.body.nextToken }, ctx)).rejects.toThrow(
      /nextToken is a token of job views's results, not of job streamed's/,
    );
  });

  it('answers 404 for an unknown job and 400 for a stream sink, saying how to read the stream', async () => {
    await expect(listJobResults('nobody', { limit: 2, nextToken: null }, ctx)).rejects.toThrow(NotFoundError);
    const streamed = listJobResults('streamed', { limit: 2, nextToken: null }, ctx);
    await expect(streamed).rejects.toThrow(BadRequestError);
    await expect(streamed).rejects.toThrow(/Kinesis stream views-out .*read the stream/);
  });

  it("answers 409 when the instance's job no longer resolves in the catalog", async () => {
    await startJob({ jobId: 'gone', jobName: 'no-such-job', parameters: {} }, { registry: ctx.registry, clock: ports.clock });
    await expect(listJobResults('gone', { limit: 2, nextToken: null }, ctx)).rejects.toThrow(ConflictError);
  });
});
