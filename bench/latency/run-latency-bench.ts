/**
 * `npm run bench:latency`: latency under sustained load on the local runtime.
 *
 *   1. warm-up: a short run, untimed, so the JVM behind DynamoDB Local and the SDK clients are warm
 *   2. with --search: the step search for the sustainable rate (latency-math.ts nextRate),
 *      each step a fresh stream and job instance run at one rate for --seconds
 *   3. the measured run: at half the sustainable rate (or at --rate without --search), to
 *      the end of the drain: p50/p95/p99 of event arrival to sink row visible, lag every
 *      second, and p99 against one trigger interval plus one batch time
 */
import { loadavg } from 'node:os';
import { startEnvironment, type Progress } from '../environment.js';
import { LOCAL_RESOURCES } from '../../local/runtime.js';
import { machineInfo, type MachineInfo } from '../machine.js';
import { STAND_IN_NOTE } from '../run-bench.js';
import { nextRate, sustainableRate, type SearchStep } from './latency-math.js';
import { runAtRate, type RateRunOptions, type RateRunResult } from './run-at-rate.js';

export interface LatencyBenchOptions {
  /** The measured rate without search; the first rate tried with it. */
  readonly rate: number;
  readonly seconds: number;
  readonly triggerMs: number;
  readonly search: boolean;
  readonly keys: number;
  readonly shards: number;
  readonly pollMs: number;
  /** null: the default for the trigger (engine/job/rate-limit.ts). */
  readonly maxRecordsPerPartition: number | null;
  /** Highest rate the search tries (the producer's own ceiling on kinesalite is near 17,000 records/s). */
  readonly maxRate: number;
  readonly keep: boolean;
  readonly progress: Progress;
}

export interface LatencyBenchReport {
  readonly machine: MachineInfo;
  /** The 1-minute load average when the measured run ended. */
  readonly loadAverageAtEnd: number;
  readonly note: string;
  readonly options: Omit<LatencyBenchOptions, 'progress'>;
  readonly search: {
    readonly steps: readonly SearchStep[];
    readonly runs: readonly RateRunResult[];
    readonly sustainableRate: number | null;
  } | null;
  readonly measured: RateRunResult;
  /**
   * The goal: p99 within one trigger interval plus one batch time. `boundMs` takes the
   * measured run's median batch (as if every batch took as long); `tailBoundMs` its p99
   * batch, the same percentile as the latency it bounds: a record waits at most one
   * interval for the next batch, then that batch, whichever it is.
   */
  readonly goal: {
    readonly p99Ms: number;
    readonly boundMs: number;
    readonly met: boolean;
    readonly tailBoundMs: number;
    readonly metAtTail: boolean;
  };
  readonly totalSeconds: number;
}

export async function runLatencyBench(options: LatencyBenchOptions): Promise<LatencyBenchReport> {
  const { progress } = options;
  const started = performance.now();
  const machine = machineInfo();
  const env = await startEnvironment(progress);
  try {
    let n = 0;
    const run = (rate: number, extra: Partial<RateRunOptions>) =>
      runAtRate({
        ports: env.runtime.ports,
        registryTable: LOCAL_RESOURCES.walTable,
        name: `latency-${(n += 1)}-${rate}`,
        rate,
        seconds: options.seconds,
        triggerMs: options.triggerMs,
        shards: options.shards,
        keys: options.keys,
        maxRecordsPerPartition: options.maxRecordsPerPartition,
        pollMs: options.pollMs,
        drain: false,
        progress,
        ...extra,
      });
    progress('warm-up (untimed)');
    await run(Math.min(200, options.rate), { seconds: 3, drain: true, warmUp: true });

    let search: LatencyBenchReport['search'] = null;
    let measuredRate = options.rate;
    if (options.search) {
      progress(
        `step search for the sustainable rate, from ${options.rate.toLocaleString('en-US')} records/s, ${options.seconds} s per step`,
      );
      const steps: SearchStep[] = [];
      const runs: RateRunResult[] = [];
      const limits = { resolution: 1.15, minRate: 10, maxRate: options.maxRate, maxSteps: 8 };
      for (let rate: number | null = options.rate; rate !== null; rate = nextRate(steps, limits)) {
        const result = await run(rate, {});
        runs.push(result);
        steps.push({ rate, sustainable: result.verdict.sustainable });
      }
      const found = sustainableRate(steps);
      search = { steps, runs, sustainableRate: found };
      if (found === null) throw new Error(`no rate down to ${limits.minRate} records/s was sustainable`);
      measuredRate = Math.max(1, Math.floor(found / 2));
      progress(`sustainable: ${found.toLocaleString('en-US')} records/s; measuring at half of it`);
    }
    progress(`measured run at ${measuredRate.toLocaleString('en-US')} records/s`);
    const measured = await run(measuredRate, { drain: true });
    const loadAverageAtEnd = Math.round(loadavg()[0]! * 100) / 100;
    const boundMs = options.triggerMs + measured.batchMs.p50;
    const tailBoundMs = options.triggerMs + measured.batchMs.p99;
    return {
      machine,
      loadAverageAtEnd,
      note: STAND_IN_NOTE,
      options: settingsOf(options),
      search,
      measured,
      goal: {
        p99Ms: measured.latencyMs.p99,
        boundMs,
        met: measured.latencyMs.p99 <= boundMs,
        tailBoundMs,
        metAtTail: measured.latencyMs.p99 <= tailBoundMs,
      },
      totalSeconds: (performance.now() - started) / 1000,
    };
  } finally {
    progress('stopping the local runtime');
    await env.close(options.keep);
  }
}

function settingsOf({ progress: _, ...settings }: LatencyBenchOptions): LatencyBenchReport['options'] {
  return settings;
}
