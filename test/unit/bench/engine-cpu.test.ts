import { describe, expect, it } from 'vitest';
import { measureEngineCpu } from '../../../bench/engine-cpu.js';
import { DEFAULT_CLICKSTREAM, generateClickstream } from '../../../jobs/clickstream/generate.js';
import { clickstreamJob } from '../../../jobs/clickstream/job.js';

describe("the bench's engine CPU section", () => {
  const events = generateClickstream({ ...DEFAULT_CLICKSTREAM, events: 2_000 });

  it("runs stage 1 on the first shard's records, up to the job's cap, and times each round", () => {
    const onFirstShard = events.filter((e) => e.partitionIndex === 0).length;
    const whole = measureEngineCpu({ job: clickstreamJob({ maxRecordsPerPartition: 10_000 }), events, rounds: 3 });
    expect(whole.records).toBe(onFirstShard);
    expect(whole.stageOneMs.count).toBe(3);
    expect(whole.decodeMs.count).toBe(3);
    expect(whole.stageOneMicrosPerRecord).toBeCloseTo((whole.stageOneMs.median * 1000) / onFirstShard, 6);
    expect(measureEngineCpu({ job: clickstreamJob({ maxRecordsPerPartition: 100 }), events, rounds: 1 }).records).toBe(100);
  });

  it('refuses a job that runs in one stage', () => {
    const fastPath = clickstreamJob({ groupBy: 'user', keyedBy: 'partitionKey' });
    expect(() => measureEngineCpu({ job: fastPath, events, rounds: 1 })).toThrow(/no exchange stages/);
  });
});
