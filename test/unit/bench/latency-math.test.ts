import { describe, expect, it } from 'vitest';
import {
  judgeLag,
  lagOf,
  nextRate,
  percentiles,
  slope,
  sustainableRate,
  type LagSample,
  type SearchStep,
} from '../../../bench/latency/latency-math.js';

describe('percentiles', () => {
  it('takes the nearest rank of the observations', () => {
    const values = Array.from({ length: 200 }, (_, i) => 200 - i); // 1..200, unsorted
    expect(percentiles(values)).toEqual({ count: 200, p50: 100, p95: 190, p99: 198, max: 200 });
  });

  it('is the one value for one observation and NaN for none', () => {
    expect(percentiles([7])).toEqual({ count: 1, p50: 7, p95: 7, p99: 7, max: 7 });
    const none = percentiles([]);
    expect(none.count).toBe(0);
    expect([none.p50, none.p99, none.max].every(Number.isNaN)).toBe(true);
  });
});

describe('lag', () => {
  it('is records produced minus records committed', () => {
    expect(lagOf({ atS: 3, produced: 1500, committed: 1200 })).toBe(300);
  });

  it('has the least-squares slope of a line, and 0 without two points', () => {
    expect(slope([0, 1, 2, 3].map((x) => ({ x, y: 5 + 2.5 * x })))).toBeCloseTo(2.5, 10);
    expect(slope([{ x: 1, y: 9 }])).toBe(0);
    expect(
      slope([
        { x: 1, y: 1 },
        { x: 1, y: 5 },
      ]),
    ).toBe(0);
  });
});

/** Samples of a run at `rate`/s for `seconds` whose job commits `perS`/s in batches every `periodS`. */
function run(rate: number, perS: number, seconds: number, periodS = 1): LagSample[] {
  return Array.from({ length: seconds }, (_, i) => {
    const atS = i + 1;
    const committedUpTo = Math.floor((atS - 0.5) / periodS) * periodS; // commits land at whole periods
    return { atS, produced: rate * atS, committed: Math.min(rate * atS, perS * committedUpTo) };
  });
}

describe('judgeLag', () => {
  it('calls a run sustainable when the job keeps up: the lag is a sawtooth that does not grow', () => {
    const verdict = judgeLag(run(1000, 5000, 20, 2), 1000, 2);
    expect(verdict.sustainable).toBe(true);
    expect(verdict.growthPerS).toBeLessThanOrEqual(verdict.allowedPerS);
    expect(verdict.samplesJudged).toBe(19);
  });

  it('calls a run unsustainable when the job commits less than the rate: the lag grows by the difference', () => {
    const verdict = judgeLag(run(1000, 800, 20), 1000, 2);
    expect(verdict.sustainable).toBe(false);
    expect(verdict.growthPerS).toBeCloseTo(200, 0);
    expect(verdict.allowedPerS).toBe(50);
  });

  it('leaves out the samples before the settling time, and needs three samples to call it sustainable', () => {
    // The first batch commits everything of the first 3 s, then the lag settles at one period's records.
    const settling = Array.from({ length: 12 }, (_, i) => ({
      atS: i + 1,
      produced: 1000 * (i + 1),
      committed: 1000 * (i < 3 ? i + 1 : i),
    }));
    expect(judgeLag(settling, 1000, 0).sustainable).toBe(false);
    expect(judgeLag(settling, 1000, 4).sustainable).toBe(true);
    expect(judgeLag(run(1000, 5000, 2), 1000, 0).sustainable).toBe(false);
  });
});

describe('the step search', () => {
  const limits = { resolution: 1.15, minRate: 10, maxRate: 16_000, maxSteps: 10 };
  /** Runs the search against a job that sustains rates up to `capacity`. */
  function search(first: number, capacity: number): SearchStep[] {
    const steps: SearchStep[] = [];
    for (let rate: number | null = first; rate !== null; rate = nextRate(steps, limits))
      steps.push({ rate, sustainable: rate <= capacity });
    return steps;
  }

  it('doubles while sustainable, then bisects until the bracket is within the resolution', () => {
    const steps = search(500, 3000);
    expect(steps.slice(0, 4).map((s) => s.rate)).toEqual([500, 1000, 2000, 4000]);
    const found = sustainableRate(steps)!;
    const lowestBad = Math.min(...steps.filter((s) => !s.sustainable).map((s) => s.rate));
    expect(found).toBeLessThanOrEqual(3000);
    expect(lowestBad / found).toBeLessThanOrEqual(1.15);
  });

  it('halves while unsustainable', () => {
    const steps = search(4000, 300);
    expect(steps.slice(0, 5).map((s) => s.rate)).toEqual([4000, 2000, 1000, 500, 250]);
    expect(sustainableRate(steps)).toBeLessThanOrEqual(300);
  });

  it('stops at the highest rate it may try, and after the most steps', () => {
    const steps = search(5000, 1_000_000);
    expect(steps.map((s) => s.rate)).toEqual([5000, 10_000, 16_000]);
    expect(nextRate(steps, { ...limits, maxSteps: 2 })).toBeNull();
  });

  it('finds nothing when no rate down to the lowest is sustainable', () => {
    const steps = search(40, 0);
    expect(steps.map((s) => s.rate)).toEqual([40, 20, 10]);
    expect(sustainableRate(steps)).toBeNull();
  });
});
