/**
 * The latency benchmark's machinery, briefly and at a low rate, through the driver state
 * machines on the stand-ins: every record produced becomes visible in the sink exactly
 * once, the percentiles are computed from one observation per record, and the lag returns
 * to 0 once the producer stops. No time is asserted: the bench prints the figures.
 */
import { describe, expect, it } from 'vitest';
import { createAwsPorts } from '../../engine/adapters/deployed-ports.js';
import { silentLogger } from '../../engine/adapters/memory/index.js';
import { systemClock } from '../../engine/adapters/system-clock.js';
import { lagOf } from '../../bench/latency/latency-math.js';
import { runAtRate } from '../../bench/latency/run-at-rate.js';
import { createTestBucket, createTestDeadLetterTable, createTestWalTable, testAwsConfig, uniqueName } from '../support/aws.js';

describe('the latency benchmark at a low rate', { timeout: 240_000 }, () => {
  it('sees every record in the sink exactly once, one latency per record, and the lag back at 0', async () => {
    const [walTable, deadLetterTable, bucket] = await Promise.all([createTestWalTable(), createTestDeadLetterTable(), createTestBucket()]);
    const ports = createAwsPorts({ ...testAwsConfig(), walTable, deadLetterTable, bucket, clock: systemClock, logger: silentLogger });
    const result = await runAtRate({
      ports,
      registryTable: walTable,
      name: uniqueName('latency'),
      rate: 40,
      seconds: 4,
      triggerMs: 500,
      shards: 2,
      keys: 8,
      maxRecordsPerPartition: 1000,
      pollMs: 50,
      drain: true,
      drainTimeoutMs: 120_000,
      progress: () => {},
    });

    expect(result.problems).toEqual([]);
    expect(result.exact).toBe(true);
    expect(result.produced).toBe(160);
    expect(result.committed).toBe(160);
    expect(result.visible).toBe(160);
    // One observation per record, and the percentiles are ordered values of them.
    expect(result.latencyMs.count).toBe(160);
    expect(result.latencyMs.p50).toBeGreaterThan(0);
    expect(result.latencyMs.p50).toBeLessThanOrEqual(result.latencyMs.p95);
    expect(result.latencyMs.p95).toBeLessThanOrEqual(result.latencyMs.p99);
    expect(result.latencyMs.p99).toBeLessThanOrEqual(result.latencyMs.max);
    // The lag was sampled while records were in flight, and ended at 0.
    expect(result.lag.length).toBeGreaterThanOrEqual(4);
    expect(result.lag.some((s) => lagOf(s) > 0)).toBe(true);
    expect(lagOf(result.lag.at(-1)!)).toBe(0);
    expect(result.drainS).not.toBeNull();
    expect(result.batches).toBeGreaterThan(1);
    expect(result.batchMs.count).toBeGreaterThan(0);
  });
});
