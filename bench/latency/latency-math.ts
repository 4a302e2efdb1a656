/**
 * The arithmetic of the latency benchmark, without I/O: latency percentiles, lag over
 * time, whether lag grows, and the step search for the sustainable rate.
 *
 * Sustainable throughput follows Karimov et al., "Benchmarking Distributed Stream Data
 * Processing Systems" (ICDE 2018): the highest input rate a system handles without an
 * ever-growing backlog. A run at a fixed rate is sustainable when the lag (records due
 * on the producer's schedule minus records committed) does not grow over the run: the
 * least-squares slope
 * of the lag samples, after the first trigger period, is at most `tolerance` of the rate.
 * A micro-batch job's lag is a sawtooth (it grows between batches and drops at each
 * commit), so the slope, not any single sample, tells growth from the sawtooth.
 */
import { percentile } from '../stats.js';

export interface Percentiles {
  readonly count: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

/** Nearest-rank p50/p95/p99 and the maximum of the observations (NaN for none). */
export function percentiles(values: readonly number[]): Percentiles {
  return {
    count: values.length,
    p50: percentile(values, 50),
    p95: percentile(values, 95),
    p99: percentile(values, 99),
    max: values.length === 0 ? Number.NaN : values.reduce((a, b) => Math.max(a, b), -Infinity),
  };
}

export interface LagSample {
  /** Seconds since the producer started. */
  readonly atS: number;
  /**
   * Records due by then on the producer's schedule, sent or not (FixedRateProducer.dueAt):
   * a producer the stream cannot keep up with leaves a backlog on its side, and that is
   * lag as much as records the job has not committed.
   */
  readonly produced: number;
  readonly committed: number;
}

/** Records due (produced or not yet sent) but not yet committed at a sample. */
export function lagOf(sample: LagSample): number {
  return sample.produced - sample.committed;
}

/** Least-squares slope of y over x; 0 for fewer than two distinct x. */
export function slope(points: readonly { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.x - mx) * (p.y - my);
    den += (p.x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

export interface LagVerdict {
  /** Lag growth in records per second over the samples judged. */
  readonly growthPerS: number;
  /** The growth allowed at this rate: tolerance × rate. */
  readonly allowedPerS: number;
  readonly samplesJudged: number;
  readonly sustainable: boolean;
}

/**
 * Judges the samples taken while the producer ran at `rate` records/s, leaving out those
 * before `settleS` (the first trigger period and batch, when the lag rises from 0 to its
 * sawtooth). Fewer than 3 samples left: not sustainable (nothing shows it is).
 */
export function judgeLag(samples: readonly LagSample[], rate: number, settleS: number, tolerance = 0.05): LagVerdict {
  const judged = samples.filter((s) => s.atS >= settleS);
  const growthPerS = slope(judged.map((s) => ({ x: s.atS, y: lagOf(s) })));
  const allowedPerS = tolerance * rate;
  return { growthPerS, allowedPerS, samplesJudged: judged.length, sustainable: judged.length >= 3 && growthPerS <= allowedPerS };
}

export interface SearchStep {
  readonly rate: number;
  readonly sustainable: boolean;
}

export interface SearchLimits {
  /** Stop bisecting once the unsustainable rate is within this factor of the sustainable one (e.g. 1.15). */
  readonly resolution: number;
  readonly minRate: number;
  readonly maxRate: number;
  readonly maxSteps: number;
}

/**
 * The next rate to try, or null when the search is done. From the first rate: double while
 * sustainable (up to maxRate), halve while not (down to minRate); once one rate of each
 * kind is known, bisect between the highest sustainable and the lowest unsustainable rate
 * until they are within `resolution` of each other.
 */
export function nextRate(steps: readonly SearchStep[], limits: SearchLimits): number | null {
  if (steps.length === 0 || steps.length >= limits.maxSteps) return null;
  const ok = steps.filter((s) => s.sustainable).map((s) => s.rate);
  const bad = steps.filter((s) => !s.sustainable).map((s) => s.rate);
  const lo = ok.length === 0 ? null : Math.max(...ok);
  const hi = bad.length === 0 ? null : Math.min(...bad);
  if (hi === null) {
    const up = Math.min(lo! * 2, limits.maxRate);
    return up > lo! ? up : null;
  }
  if (lo === null) {
    const down = Math.max(Math.floor(hi / 2), limits.minRate);
    return down < hi ? down : null;
  }
  if (hi <= lo * limits.resolution) return null;
  const mid = Math.round(Math.sqrt(lo * hi));
  return mid > lo && mid < hi ? mid : null;
}

/** The highest sustainable rate the steps found, or null when none was. */
export function sustainableRate(steps: readonly SearchStep[]): number | null {
  const ok = steps.filter((s) => s.sustainable).map((s) => s.rate);
  return ok.length === 0 ? null : Math.max(...ok);
}
