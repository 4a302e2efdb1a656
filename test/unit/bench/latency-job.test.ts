/**
 * The latency bench's job (bench/latency/latency-job.ts) with or without a cap of its own:
 * `npm run bench:latency -- --max-records default` measures the default that follows the
 * trigger (engine/job/rate-limit.ts).
 */
import { describe, expect, it } from 'vitest';
import { resolveJob } from '../../../engine/driver/catalog.js';
import { LATENCY_JOB_NAME, latencyCatalog, latencyJob } from '../../../bench/latency/latency-job.js';

const base = { streamName: 'latency-in', sinkTable: 'latency-out', intervalMs: 10_000 };

describe('the latency bench job', () => {
  it('keeps a cap it is given', () => {
    expect(latencyJob({ ...base, maxRecordsPerPartition: 10_000 })).toMatchObject({ maxRecordsPerPartition: 10_000 });
    expect(resolveJob(latencyCatalog, LATENCY_JOB_NAME, { ...base, maxRecordsPerPartition: 500 }).maxRecordsPerPartition).toBe(500);
  });

  it('without one, gets the default of its trigger', () => {
    expect(latencyJob({ ...base, maxRecordsPerPartition: null })).toMatchObject({
      maxRecordsPerPartition: 20_000,
      rateLimitFromTrigger: true,
    });
    expect(resolveJob(latencyCatalog, LATENCY_JOB_NAME, base)).toMatchObject({
      maxRecordsPerPartition: 20_000,
      rateLimitFromTrigger: true,
    });
  });
});
