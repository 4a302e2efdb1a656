/**
 * A stage-2 executor may read an exchange object while a twin of its stage 1 (a retry, a
 * zombie, a duplicated Express child) writes it again. S3 never shows half an object, but
 * a store whose writes are not atomic (s3rver truncates the file, then writes it) does:
 * the reader retries, and the batch is exact.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryPorts, MemoryBlobStore } from '../../../engine/adapters/memory/index.js';
import { runDriver } from '../../../engine/driver/run-driver.js';
import { defineJob, memorySink, memorySource, reduce } from '../../../engine/job/index.js';
import { BlobExchangeStore } from '../../../engine/state/exchange-store.js';

/** A blob store whose first ranged read of an exchange object sees only its first bytes, as during a rewrite. */
class RewrittenOnce extends MemoryBlobStore {
  cut = 0;
  override async getRange(key: string, start: number, end: number): Promise<Uint8Array | null> {
    const bytes = await super.getRange(key, start, end);
    if (this.cut > 0 || bytes === null || !key.startsWith('exchange/')) return bytes;
    this.cut += 1;
    return bytes.subarray(0, Math.floor(bytes.length / 2));
  }
}

describe('an exchange object read while it is written again', () => {
  it('is read again, and the batch is exact', async () => {
    const blobs = new RewrittenOnce();
    const ports = { ...createMemoryPorts(), exchange: new BlobExchangeStore(blobs) };
    const job = defineJob<{ user: string; country: string }>({
      name: 'users-per-country',
      version: 1,
      source: memorySource({ streamName: 'views' }),
      sink: memorySink({ name: 'users' }),
      // Values travel one by one, each large: every partition's output goes through the store.
      pipeline: (views) =>
        views
          .map((v) => ({ ...v, padding: 'x'.repeat(40_000) }))
          .keyBy((v) => v.country)
          .aggregate(reduce({ initial: 0, add: (n: number) => n + 1 })),
      trigger: { type: 'availableNow' },
      keyGroups: 2,
    });
    ports.source.createStream('views', ['p0', 'p1']);
    const encoder = new TextEncoder();
    for (const partition of ['p0', 'p1']) {
      ports.source.append(
        'views',
        partition,
        ['fr', 'de', 'fr'].map((country, i) => ({ key: `u${i}`, data: encoder.encode(JSON.stringify({ user: `u${i}`, country })) })),
      );
    }
    await expect(runDriver(job, ports, { jobId: 'users' })).resolves.toMatchObject({ stoppedBy: 'caught-up' });
    expect(blobs.cut).toBe(1);
    const rows = await ports.sink(job.sink).scan();
    expect(Object.fromEntries(rows.map((r) => [r.key, r.value.value]))).toEqual({ fr: 4, de: 2 });
  });
});
