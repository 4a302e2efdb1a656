import type { AwsPorts } from '../engine/adapters/deployed-ports.js';
import { commitBatch } from '../engine/driver/commit-batch.js';
import { planBatch } from '../engine/driver/plan-batch.js';
import { runDriver } from '../engine/driver/run-driver.js';
import { startDriver } from '../engine/driver/start-driver.js';
import { runPartition } from '../engine/executor/run-partition.js';
import { StateCache } from '../engine/executor/state-cache.js';
import type { JobDefinition } from '../engine/job/types.js';
import type { Progress } from './environment.js';
import type { RequestCounter } from './request-counter.js';
import { distribution, now, type Distribution } from './stats.js';

export interface EmptyBatchResult {
  /**
   * The caught-up job's trigger that finds nothing (engine/protocol/empty-trigger.ts): it
   * plans no batch. Wall clock from one skipped trigger to the next through runDriver, and
   * the AWS requests of each, per operation.
   */
  readonly idleTrigger: {
    readonly triggers: number;
    readonly ms: Distribution;
    readonly requestsPerTrigger: Record<string, number>;
  };
  readonly batches: number;
  /** Batches that found records after all (should be 0: the job had caught up). */
  readonly nonEmpty: number;
  /** Wall clock per forced empty batch through runDriver (forceEmptyBatches; interval trigger of 1 ms, so no waiting). */
  readonly driverMs: Distribution;
  /** The same batches run step by step: each step's wall clock. */
  readonly steps: {
    readonly plan: Distribution;
    readonly executors: Distribution;
    readonly commit: Distribution;
    readonly total: Distribution;
  };
  /** AWS requests per empty batch (of the step-by-step run), per operation. */
  readonly requestsPerBatch: Record<string, number>;
}

/**
 * The fixed cost of a trigger that finds nothing: the job, caught up, run again with an
 * interval trigger of 1 ms through runDriver, which skips every trigger (plans nothing).
 * Then what such a trigger cost before it was skipped, a batch that reads nothing, forced
 * (forceEmptyBatches): through runDriver, then by calling the driver and executor steps
 * directly to time plan, executors and commit separately.
 */
export async function measureEmptyBatches(args: {
  readonly ports: AwsPorts;
  /** The job that has caught up; its variant with an interval trigger continues its WAL. */
  readonly job: JobDefinition;
  readonly batches: number;
  readonly requests: RequestCounter;
  readonly progress: Progress;
}): Promise<EmptyBatchResult> {
  const { ports, batches, progress } = args;
  // The same job (same name, pipeline, sink and WAL) with an interval trigger that never waits.
  const job: JobDefinition = Object.freeze({ ...args.job, trigger: Object.freeze({ type: 'interval', intervalMs: 1 }) });
  let nonEmpty = 0;

  // 0. The skipped trigger: runDriver as a caught-up job runs it; one extra trigger first.
  const idleStamps: number[] = [];
  let idleFrom = args.requests.snapshot();
  const stopIdle = new AbortController();
  const idleRun = await runDriver(job, ports, {
    signal: stopIdle.signal,
    onIdle: () => {
      idleStamps.push(now());
      if (idleStamps.length === 1) idleFrom = args.requests.snapshot();
      if (idleStamps.length === batches + 1) stopIdle.abort();
    },
  });
  const idleCounted = args.requests.since(idleFrom);
  nonEmpty += idleRun.batches;
  const idleMs = idleStamps.slice(1).map((t, i) => t - idleStamps[i]!);
  const requestsPerTrigger: Record<string, number> = {};
  for (const [name, n] of Object.entries(idleCounted)) requestsPerTrigger[name] = n / Math.max(1, idleMs.length);
  progress(`  runDriver: ${idleMs.length} skipped triggers, median ${Math.round(distribution(idleMs).median)} ms`);

  // 1. runDriver, forced: one extra batch first, so every measured interval runs from one commit to the next.
  const stamps: number[] = [];
  await runDriver(job, ports, {
    maxBatches: batches + 1,
    forceEmptyBatches: true,
    onBatch: ({ commit }) => {
      stamps.push(now());
      if (commit.metrics.records > 0) nonEmpty += 1;
    },
  });
  const driverMs = stamps.slice(1).map((t, i) => t - stamps[i]!);
  progress(`  runDriver, forced: ${driverMs.length} empty batches, median ${Math.round(distribution(driverMs).median)} ms`);

  // 2. The steps one by one, as runDriver calls them (executors in parallel, a warm state cache).
  //    Requests are counted here only.
  const ctx = { ports, job };
  const jobId = job.name;
  const cache = new StateCache();
  const { epoch } = await startDriver({ jobId }, ctx);
  const plan: number[] = [];
  const executors: number[] = [];
  const commit: number[] = [];
  const total: number[] = [];
  let before = args.requests.snapshot();
  // One batch more than measured: the first warms the new cache (it loads each partition's state).
  for (let i = -1; i < batches; i += 1) {
    const t0 = now();
    const planned = await planBatch({ jobId, epoch }, ctx);
    const t1 = now();
    const results = await Promise.all(
      planned.partitions.map((partition) => runPartition({ jobId, batchId: planned.batchId, partition }, { ports, job, cache })),
    );
    const t2 = now();
    const committed = await commitBatch({ jobId, epoch, batchId: planned.batchId, results }, ctx);
    const t3 = now();
    if (committed.metrics.records > 0) nonEmpty += 1;
    if (i < 0) {
      before = args.requests.snapshot();
      continue;
    }
    plan.push(t1 - t0);
    executors.push(t2 - t1);
    commit.push(t3 - t2);
    total.push(t3 - t0);
  }
  const counted = args.requests.since(before);
  const requestsPerBatch: Record<string, number> = {};
  for (const [name, n] of Object.entries(counted)) requestsPerBatch[name] = n / batches;
  progress(`  step by step: ${batches} empty batches, median ${Math.round(distribution(total).median)} ms`);
  return {
    idleTrigger: { triggers: idleMs.length, ms: distribution(idleMs), requestsPerTrigger },
    batches,
    nonEmpty,
    driverMs: distribution(driverMs),
    steps: { plan: distribution(plan), executors: distribution(executors), commit: distribution(commit), total: distribution(total) },
    requestsPerBatch,
  };
}
