import { runKeyGroups, type KeyGroupsInput } from '../executor/run-key-groups.js';
import { runPartition } from '../executor/run-partition.js';
import type { ReadBudget } from '../executor/read-range.js';
import { StateCache } from '../executor/state-cache.js';
import { JobSpecError } from '../errors.js';
import type { JobDefinition } from '../job/types.js';
import { withInstanceTrigger } from '../job/rate-limit.js';
import type { EnginePorts } from '../ports/index.js';
import type { GroupResult, PartitionResult } from '../protocol/batch-records.js';
import { stageTwoSlots } from '../protocol/stage-two.js';
import { retry } from '../retry.js';
import { commitBatch, type CommitBatchResult } from './commit-batch.js';
import { availableNowDone } from './next-step.js';
import { planOrSkip, type IdleTrigger, type PlanBatchResult } from './plan-batch.js';
import { startDriver } from './start-driver.js';

export interface BatchProgress {
  readonly plan: PlanBatchResult;
  readonly commit: CommitBatchResult;
}

export type ExecutorRunner = (input: { jobId: string; batchId: number; partition: string }) => Promise<PartitionResult>;
export type KeyGroupsRunner = (input: KeyGroupsInput) => Promise<GroupResult[]>;

export interface RunDriverOptions {
  /** The job instance's id in the WAL (default: the job's name). */
  readonly jobId?: string;
  /** Graceful stop: the batch in flight finishes and commits, then the driver returns. */
  readonly signal?: AbortSignal;
  readonly onBatch?: (progress: BatchProgress) => void;
  /** A trigger was skipped: the job was caught up with nothing due (engine/protocol/empty-trigger.ts). */
  readonly onIdle?: (idle: IdleTrigger) => void;
  /** Plan a batch on every trigger, even one that reads nothing (benchmarks: what an empty batch costs). */
  readonly forceEmptyBatches?: boolean;
  /** Stop after this many batches (tests, benchmarks). */
  readonly maxBatches?: number;
  /** Attempts per executor for retryable errors (the in-process stand-in for a Step Functions Retry). */
  readonly executorAttempts?: number;
  /** How executors run; default: in this process, with a warm state cache. */
  readonly runExecutor?: ExecutorRunner;
  /** How stage-2 executors run (two-stage batches); default: in this process, with a warm state cache. */
  readonly runKeyGroups?: KeyGroupsRunner;
  /**
   * A range's read budget (default RANGE_READ_BUDGET): the plans' byte bound of fixed
   * ranges (Kafka), and the default executors' budget (tests: a small one).
   */
  readonly readBudget?: ReadBudget;
}

export type StopReason = 'caught-up' | 'stopped' | 'max-batches';

/**
 * The in-process driver: the same steps the Step Functions state machine runs
 * (start → loop { plan or skip → executors per partition → commit → wait }), called directly.
 * A trigger of a caught-up job with nothing due plans nothing (planOrSkip): an interval
 * job waits for its next trigger, an available-now job is done.
 * Used by the local runtime and the harness; the state machine replaces the loop, not
 * the steps.
 */
export async function runDriver(
  given: JobDefinition,
  ports: EnginePorts,
  options: RunDriverOptions = {},
): Promise<{ batches: number; skipped: number; stoppedBy: StopReason; epoch: number }> {
  // A default rate limit follows the trigger this loop runs (a caller may have changed it).
  const job = withInstanceTrigger(given, given.trigger);
  const readBudget = options.readBudget === undefined ? {} : { readBudget: options.readBudget };
  const ctx = { ports, job, ...readBudget };
  const jobId = options.jobId ?? job.name;
  const cache = new StateCache();
  const execute: ExecutorRunner = options.runExecutor ?? ((input) => runPartition(input, { ports, job, cache, ...readBudget }));
  const executeGroups: KeyGroupsRunner = options.runKeyGroups ?? ((input) => runKeyGroups(input, { ports, job, cache }));
  const attempts = options.executorAttempts ?? 4;
  const { epoch } = await startDriver({ jobId }, ctx);
  let batches = 0;
  let skipped = 0;
  for (;;) {
    if (options.signal?.aborted) return { batches, skipped, stoppedBy: 'stopped', epoch };
    if (options.maxBatches !== undefined && batches >= options.maxBatches) {
      return { batches, skipped, stoppedBy: 'max-batches', epoch };
    }
    const startedAt = ports.clock.now();
    const planned = await planOrSkip({ jobId, epoch }, ctx, { skipEmpty: options.forceEmptyBatches !== true });
    if (planned.idle) {
      skipped += 1;
      options.onIdle?.(planned);
      if (job.trigger.type === 'availableNow') return { batches, skipped, stoppedBy: 'caught-up', epoch };
      await waitForTrigger(ports, startedAt + job.trigger.intervalMs - ports.clock.now(), options.signal);
      continue;
    }
    const plan: PlanBatchResult = planned;
    const retried = <R>(run: () => Promise<R>, where: Record<string, unknown>): Promise<R> =>
      retry(run, {
        attempts,
        baseDelayMs: 200,
        clock: ports.clock,
        onRetry: (error, attempt) =>
          ports.logger.warn('executor failed, retrying', { jobId, batchId: plan.batchId, ...where, attempt, error: String(error) }),
      });
    const results = await Promise.all(
      plan.partitions.map((partition) => retried(() => execute({ jobId, batchId: plan.batchId, partition }), { partition })),
    );
    const groupResults = await runStageTwo(plan, results, (groups) =>
      retried(() => executeGroups({ jobId, batchId: plan.batchId, groups, stageOne: results }), { groups: groups.join(',') }),
    );
    const commit = await commitBatch({ jobId, epoch, batchId: plan.batchId, results, ...groupResults }, ctx);
    batches += 1;
    options.onBatch?.({ plan, commit });
    // The batch is committed; its dead letters passed the job's limit (dead-letter-limit.ts).
    if (commit.deadLetterLimit !== null)
      throw new JobSpecError(`job ${jobId}: ${commit.deadLetterLimit}`, { context: { jobId, batchId: plan.batchId } });
    if (job.trigger.type === 'availableNow') {
      // As the state machine's Finish task decides (nextStep): caught up, and no extra batch due.
      if (availableNowDone({ ...commit, resumed: plan.resumed })) return { batches, skipped, stoppedBy: 'caught-up', epoch };
      continue;
    }
    await waitForTrigger(ports, startedAt + job.trigger.intervalMs - ports.clock.now(), options.signal);
  }
}

async function waitForTrigger(ports: EnginePorts, ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (ms > 0) await sleepUnlessStopped(ports, ms, signal);
}

/**
 * Stage 2 of a two-stage batch (engine/protocol/stage-two.ts): one call per slot of its
 * active key groups, all at once. Nothing for a one-stage batch.
 */
export async function runStageTwo(
  plan: PlanBatchResult,
  results: readonly PartitionResult[],
  runSlot: (groups: number[]) => Promise<GroupResult[]>,
): Promise<{ groupResults?: GroupResult[] }> {
  if (!plan.twoStage) return {};
  const slots = stageTwoSlots({
    keyGroups: plan.keyGroups!,
    dueGroups: plan.dueGroups ?? [],
    results,
    batchId: plan.batchId,
    groupRows: plan.groupRows ?? {},
  });
  return { groupResults: (await Promise.all(slots.map(runSlot))).flat() };
}

async function sleepUnlessStopped(ports: EnginePorts, ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal === undefined) return ports.clock.sleep(ms);
  if (signal.aborted) return;
  let onAbort: () => void = () => {};
  const aborted = new Promise<void>((resolve) => {
    onAbort = resolve;
    signal.addEventListener('abort', onAbort, { once: true });
  });
  await Promise.race([ports.clock.sleep(ms), aborted]);
  signal.removeEventListener('abort', onAbort);
}
