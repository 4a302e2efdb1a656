import { describe, expect, it } from 'vitest';
import { engineToRaw, type RawReadResult } from '../../../bench/raw-read.js';

const raw = (recordsPerSecond: number): RawReadResult => ({
  cap: 40_000,
  records: 640_000,
  reads: 20,
  seconds: 640_000 / recordsPerSecond,
  recordsPerSecond,
  requests: { 'Kinesis.GetRecords': 68 },
});

describe("npm run bench's engine/raw", () => {
  it('is taken against the fastest raw read of the run, so a raw read slowed by other work cannot raise it', () => {
    expect(engineToRaw(20_000, [raw(25_000), raw(19_000)])).toBe(0.8);
    expect(engineToRaw(20_000, [raw(19_000), raw(25_000)])).toBe(0.8);
    expect(engineToRaw(20_000, [raw(25_000)])).toBe(0.8);
  });

  it('refuses a run without a raw read that read records', () => {
    expect(() => engineToRaw(20_000, [])).toThrow(/at least one raw read/);
    expect(() => engineToRaw(20_000, [raw(0)])).toThrow(/at least one raw read/);
  });
});
