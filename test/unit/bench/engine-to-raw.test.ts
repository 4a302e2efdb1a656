import { describe, expect, it } from 'vitest';
import { engineToRaw, type RawReadResult } from '../../../bench/raw-read.js';

const raw = (recordsPerSecond: number): RawReadResult => ({
  cap: 40_000,
  records: 640_000,
  reads: 20,
  seconds: recordsPerSecond > 0 ? 640_000 / recordsPerSecond : 0,
  recordsPerSecond,
  requests: { 'Kinesis.GetRecords': 68 },
});

const engine = { records: 640_000, recordsPerSecond: 20_000 };

describe("npm run bench's engine/raw", () => {
  it('is taken against the fastest raw read of the run, so a raw read slowed by other work cannot raise it', () => {
    expect(engineToRaw(engine, [raw(25_000), raw(19_000)])).toBe(0.8);
    expect(engineToRaw(engine, [raw(19_000), raw(25_000)])).toBe(0.8);
    expect(engineToRaw(engine, [raw(25_000)])).toBe(0.8);
  });

  it('refuses a run without a raw read that read records, or a raw read of other records than the engine read', () => {
    expect(() => engineToRaw(engine, [])).toThrow(/at least one raw read/);
    expect(() => engineToRaw(engine, [raw(0)])).toThrow(/at least one raw read/);
    expect(() => engineToRaw(engine, [raw(25_000), { ...raw(30_000), records: 320_000 }])).toThrow(/not the same records/);
  });
});
