import { describe, expect, it } from 'vitest';
import { BENCH_DEFAULTS } from '../../../bench/defaults.js';
import { benchSpacingMs } from '../../../bench/run-bench.js';
import { defaultRecordsPerPartition } from '../../../engine/job/rate-limit.js';
import { assertUnambiguous, DEFAULT_CLICKSTREAM } from '../../../jobs/clickstream/generate.js';
import { clickstreamJob } from '../../../jobs/clickstream/job.js';
import { CLICKSTREAM_JOB } from '../../../jobs/clickstream/settings.js';

describe("npm run bench's defaults", () => {
  it("measure the job at the cap the engine gives its trigger when it sets none, and at the demo job's own", () => {
    const demo = clickstreamJob();
    expect(demo.trigger).toEqual({ type: 'availableNow' });
    expect(BENCH_DEFAULTS.recordsPerPartition).toBe(defaultRecordsPerPartition(demo.trigger));
    expect(BENCH_DEFAULTS.recordsPerPartition).toBe(40_000);
    expect(BENCH_DEFAULTS.demoRecordsPerPartition).toBe(CLICKSTREAM_JOB.maxRecordsPerPartition);
  });

  it("space the stream's events so that every batch size the bench may run keeps the generator's margins", () => {
    expect(benchSpacingMs(CLICKSTREAM_JOB.maxRecordsPerPartition)).toBe(DEFAULT_CLICKSTREAM.spacingMs);
    for (const cap of [1, 1_000, 2_500, 10_000, BENCH_DEFAULTS.recordsPerPartition, 100_000]) {
      const settings = { ...DEFAULT_CLICKSTREAM, spacingMs: benchSpacingMs(cap) };
      expect(() => assertUnambiguous(settings, { ...CLICKSTREAM_JOB, maxRecordsPerPartition: cap })).not.toThrow();
      // Three times the cap would not fit at this spacing: the spacing is no smaller than it must be.
      if (cap >= 10_000)
        expect(() => assertUnambiguous(settings, { ...CLICKSTREAM_JOB, maxRecordsPerPartition: 3 * cap })).toThrow(
          /lower maxRecordsPerPartition/,
        );
    }
  });
});
