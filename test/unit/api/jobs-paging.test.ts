/**
 * The pages of a job instance's batches and dead letters (engine/api/jobs.ts
 * listJobBatches, listDeadLetters) on the memory adapters: newest batches first, letters
 * in partition then offset order, and the page tokens each refuses.
 */
import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../../../engine/api/errors.js';
import { listDeadLetters, listJobBatches, startJobInstance } from '../../../engine/api/jobs.js';
import { parseListDeadLetters } from '../../../engine/api/requests.js';
import type { DeadLetter } from '../../../engine/ports/dead-letter-queue.js';
import { type Fixture, fixture, request, writeBatches } from '../../support/jobs-api-memory.js';

describe('listJobBatches', () => {
  it('pages newest first down to the oldest batch retention kept, and checks its tokens', async () => {
    const f = fixture();
    await startJobInstance(request(), f.ctx);
    await writeBatches(f.ports, 'j', 10);
    await f.ports.wal.deleteBatchesBelow('j', 4);
    const pages: number[][] = [];
    let token: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof listJobBatches>> = await listJobBatches('j', { limit: 3, nextToken: token }, f.ctx);
      pages.push(page.body.batches.map((b) => b.batchId));
      token = page.body.nextToken;
    } while (token !== null);
    expect(pages).toEqual([[10, 9, 8], [7, 6, 5], [4]]);

    const first = await listJobBatches('j', { limit: 3, nextToken: null }, f.ctx);
    expect(first.body.batches[0]).toMatchObject({
      batchId: 10,
      status: 'COMMITTED',
      records: 100,
      partitions: [{ partition: 'p0', start: 'earliest', records: 100, stateVersion: 0 }],
    });
    await writeBatches(f.ports, 'other', 1);
    await expect(listJobBatches('other', { limit: 3, nextToken: first.body.nextToken }, f.ctx)).rejects.toMatchObject({
      fields: [{ field: 'nextToken', message: "is a token of job j's batches, not of job other's" }],
    });
    await expect(listJobBatches('j', { limit: 3, nextToken: 'garbage' }, f.ctx)).rejects.toMatchObject({ status: 400 });
    await expect(listJobBatches('nobody', { limit: 3, nextToken: null }, f.ctx)).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('listDeadLetters', () => {
  const letter = (partition: string, offset: number, over: Partial<DeadLetter> = {}): DeadLetter => ({
    jobId: 'j',
    partition,
    offset: String(100 + offset),
    batchId: 1 + Math.floor(offset / 4),
    stage: 'decode',
    reason: `SyntaxError: Unexpected end of JSON input (record ${offset})`,
    payloadBase64: Buffer.from(`{"page": ${offset}`).toString('base64'),
    recordedAt: Date.UTC(2026, 0, 1) + offset,
    ...over,
  });

  async function withLetters() {
    const f = fixture();
    await startJobInstance(request(), f.ctx);
    const letters = [
      ...Array.from({ length: 7 }, (_, i) => letter('shard-1', i)),
      ...Array.from({ length: 3 }, (_, i) => letter('shard-10', i)),
    ];
    await f.ports.deadLetters.put([...letters, letter('shard-1', 0, { jobId: 'other' })]);
    return { f, letters };
  }

  async function readAll(f: Fixture, query: Record<string, string>) {
    const pages: string[][] = [];
    let token: string | null = null;
    do {
      const page: Awaited<ReturnType<typeof listDeadLetters>> = await listDeadLetters(
        'j',
        parseListDeadLetters({ ...query, ...(token === null ? {} : { nextToken: token }) }),
        f.ctx,
      );
      expect(page.body.jobId).toBe('j');
      pages.push(page.body.deadLetters.map((l) => `${l.partition}#${l.offset}`));
      token = page.body.nextToken;
    } while (token !== null);
    return pages;
  }

  it('pages every letter once in partition, then offset order; one partition with ?partition=', async () => {
    const { f } = await withLetters();
    expect(await readAll(f, { limit: '4' })).toEqual([
      ['shard-1#100', 'shard-1#101', 'shard-1#102', 'shard-1#103'],
      ['shard-1#104', 'shard-1#105', 'shard-1#106', 'shard-10#100'],
      ['shard-10#101', 'shard-10#102'],
    ]);
    expect(await readAll(f, { limit: '4', partition: 'shard-1' })).toEqual([
      ['shard-1#100', 'shard-1#101', 'shard-1#102', 'shard-1#103'],
      ['shard-1#104', 'shard-1#105', 'shard-1#106'],
    ]);
    expect(await readAll(f, { partition: 'shard-10' })).toEqual([['shard-10#100', 'shard-10#101', 'shard-10#102']]);
    expect(await readAll(f, { partition: 'shard-' })).toEqual([[]]);
    const first = await listDeadLetters('j', parseListDeadLetters({ limit: '1' }), f.ctx);
    expect(first.body.deadLetters).toEqual([
      {
        partition: 'shard-1',
        offset: '100',
        batchId: 1,
        stage: 'decode',
        reason: 'SyntaxError: Unexpected end of JSON input (record 0)',
        recordedAt: '2026-01-01T00:00:00.000Z',
        payloadBase64: Buffer.from('{"page": 0').toString('base64'),
        payloadText: '{"page": 0',
      },
    ]);
  });

  it('refuses a token of another job, of another partition filter, or not of this API; 404 for an unknown job', async () => {
    const { f } = await withLetters();
    await startJobInstance(request({ jobId: 'other', parameters: { sinkTable: 'other' } }), f.ctx);
    const page = async (jobId: string, query: Record<string, string>) => listDeadLetters(jobId, parseListDeadLetters(query), f.ctx);
    const all = (await page('j', { limit: '2' })).body.nextToken!;
    const one = (await page('j', { limit: '2', partition: 'shard-1' })).body.nextToken!;
    const problem = (message: unknown) => ({ status: 400, fields: [{ field: 'nextToken', message }] });

    await expect(page('other', { nextToken: all })).rejects.toMatchObject(
      problem("is a token of job j's dead letters, not of job other's"),
    );
    await expect(page('j', { nextToken: all, partition: 'shard-1' })).rejects.toMatchObject(
      problem('is a token of the dead letters of every partition, not of partition shard-1 (ask with the partition of the previous page)'),
    );
    await expect(page('j', { nextToken: one })).rejects.toMatchObject(
      problem(expect.stringContaining('is a token of the dead letters of partition shard-1, not of every partition')),
    );
    const batches = (await listJobBatches('j', { limit: 1, nextToken: null }, f.ctx)).body.nextToken;
    const notOurs = problem('is not a token this API returned (pass the nextToken of the previous page as it is)');
    const forged = Buffer.from(JSON.stringify({ j: 'j', p: 'shard-10', a: 'shard-1#105' })).toString('base64url');
    // Ids no sort key can be (empty, over 1,024 bytes): refused here, not by the table with a 500.
    const empty = Buffer.from(JSON.stringify({ j: 'j', p: null, a: '' })).toString('base64url');
    const huge = Buffer.from(JSON.stringify({ j: 'j', p: null, a: `shard-1#${'9'.repeat(1_100)}` })).toString('base64url');
    for (const token of ['garbage', 'WzFd', empty, huge, forged, ...(batches === null ? [] : [batches])]) {
      await expect(page('j', { nextToken: token, ...(token === forged ? { partition: 'shard-10' } : {}) }), token).rejects.toMatchObject(
        notOurs,
      );
    }
    expect((await page('j', { nextToken: one, partition: 'shard-1' })).body.deadLetters.map((l) => l.offset)).toEqual([
      '102',
      '103',
      '104',
      '105',
      '106',
    ]);
    await expect(page('nobody', {})).rejects.toBeInstanceOf(NotFoundError);
  });

  it('answers an empty page for a known job without letters', async () => {
    const f = fixture();
    await startJobInstance(request(), f.ctx);
    expect((await listDeadLetters('j', parseListDeadLetters({}), f.ctx)).body).toEqual({ jobId: 'j', deadLetters: [], nextToken: null });
  });
});
