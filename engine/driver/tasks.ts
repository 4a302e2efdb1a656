/**
 * The tasks of the Step Functions driver (infra/state-machines/definitions.ts), one function
 * each: (small serialisable input, context) -> small serialisable result. The Lambda
 * handlers in functions/ validate an event and call one of these; the local runtime calls
 * the same handlers in-process. The protocol steps themselves are startDriver, planBatch,
 * runPartition, runKeyGroups and commitBatch; these add the job registry, the catalog and
 * the loop.
 *
 *   Standard parent:  StartGeneration ─► [RunBatches (Express child) ─► wait?]* ─► EndGeneration (stopped, failed or parked)
 *   Express child:    Plan ─► Execute (Map, one per partition) ─┬──────────────────────────────────────┬─► Finish ─► wait? ─► Plan ...
 *                     a two-stage batch's stage 2 (key groups): └─► Route ─► ExecuteGroups (Map, slots) ─┘
 *                     a skipped trigger (nothing to read, nothing due): Plan ─► Idle ─────────────────────────► wait? ─► Plan ...
 */
import { InvalidArgumentError, InvariantError, NotFoundError } from '../errors.js';
import { runKeyGroups } from '../executor/run-key-groups.js';
import { runPartition } from '../executor/run-partition.js';
import type { EnginePorts } from '../ports/index.js';
import { JobState, type JobInstance, type JobRegistry } from '../ports/job-registry.js';
import type { BatchMetrics, GroupResult, PartitionResult } from '../protocol/batch-records.js';
import { stageTwoSlots } from '../protocol/stage-two.js';
import { resolveJob } from './catalog.js';
import { commitBatch } from './commit-batch.js';
import { beginGeneration, markParked, markStopped, recordEpoch, recordFailure } from './job-control.js';
import { nextStep, resolveTrigger } from './next-step.js';
import type { PlannedBatch } from './plan-task.js';
import { startDriver } from './start-driver.js';
import { INITIAL_LOOP, iso, jobOf, type DriverInfo, type DriverTaskContext, type LoopState } from './task-context.js';

// The Plan task and the context every task shares have their own files; their importers read them here too.
export {
  type IdleLoop,
  type IdleTriggerResult,
  type PlannedBatch,
  type PlanTaskInput,
  type PlanTaskResult,
  planTask,
} from './plan-task.js';
export { type DriverInfo, type DriverTaskContext, INITIAL_LOOP, type LoopState } from './task-context.js';

/** What a job failed by the dead-letter ratio guard records as its error, before the reason (dead-letter-limit.ts). */
export const DEAD_LETTER_LIMIT = 'DeadLetterLimit';

// ── StartGeneration (parent) ────────────────────────────────────────────────────────

export interface StartGenerationInput {
  readonly jobId: string;
  readonly generation: number;
}

export type StartGenerationResult =
  | { readonly action: 'run'; readonly driver: DriverInfo; readonly loop: LoopState; readonly maxChildRuns: number }
  /** The job should not run (stopped, stopping or failed): the execution ends. */
  | { readonly action: 'stop'; readonly state: JobState; readonly reason: string | null }
  /** A newer generation started already. */
  | { readonly action: 'superseded'; readonly generation: number };

/**
 * A parent generation starts: it becomes the job's current generation, takes a new WAL
 * epoch (fencing every older driver, zombie children included), and resolves the job.
 */
export async function startGeneration(input: StartGenerationInput, ctx: DriverTaskContext): Promise<StartGenerationResult> {
  const { jobId, generation } = input;
  const reg = { registry: ctx.registry, clock: ctx.ports.clock };
  const begun = await beginGeneration(jobId, generation, reg);
  if (begun.outcome === 'superseded') return { action: 'superseded', generation: begun.job.generation };
  let job = begun.job;
  if (job.state === JobState.STOPPING) job = await markStopped(jobId, generation, 'stopped before the driver started', reg);
  if (job.state !== JobState.RUNNING) return { action: 'stop', state: job.state, reason: job.reason };
  const definition = resolveJob(ctx.catalog, job.jobName, job.parameters);
  const trigger = resolveTrigger(definition.trigger, job.trigger ?? undefined, ctx.settings);
  const { epoch } = await startDriver({ jobId }, { ports: ctx.ports, job: definition });
  if (!(await recordEpoch(jobId, generation, epoch, reg))) {
    return { action: 'superseded', generation: (await ctx.registry.get(jobId))?.generation ?? generation };
  }
  return {
    action: 'run',
    driver: { jobId, jobName: job.jobName, parameters: job.parameters, trigger, generation, epoch },
    loop: INITIAL_LOOP,
    maxChildRuns: ctx.settings.childRunsPerGeneration,
  };
}

// ── Execute (child) ───────────────────────────────────────────────────────────────────

export interface ExecuteTaskInput {
  readonly driver: DriverInfo;
  readonly batchId: number;
  readonly partition: string;
}

/** Step 2, one partition: the executor. Returns only the small per-partition summary. */
export async function executeTask(input: ExecuteTaskInput, ctx: DriverTaskContext): Promise<PartitionResult> {
  const { driver, batchId, partition } = input;
  return runPartition(
    { jobId: driver.jobId, batchId, partition },
    { ports: ctx.ports, job: jobOf(driver, ctx), ...(ctx.cache ? { cache: ctx.cache } : {}) },
  );
}

// ── Route, ExecuteGroups (child, two-stage batches) ─────────────────────────────────

export interface RouteTaskInput {
  readonly driver: DriverInfo;
  readonly batch: PlannedBatch;
  /** Stage 1's results, one per planned partition. */
  readonly results: readonly PartitionResult[];
}

export interface RouteTaskResult {
  /** The stage-2 executor calls: each a contiguous run of the batch's active key groups, as few as their weight allows, at most 40. */
  readonly slots: number[][];
}

/**
 * Between the stages of a two-stage batch: which key groups stage 2 runs, and in which
 * executor calls (stageTwoSlots, engine/protocol/stage-two.ts). Pure: the plan's key
 * groups and due groups and stage 1's deterministic results decide it, so a retried or
 * resumed batch routes the same groups the same way.
 */
export function routeTask(input: RouteTaskInput): RouteTaskResult {
  const { batch, results } = input;
  if (!batch.twoStage || batch.keyGroups === undefined) {
    throw new InvariantError(`batch ${batch.batchId} of job ${batch.jobId} runs in one stage: it has no key groups to route`);
  }
  const { keyGroups, dueGroups = [], groupRows = {}, batchId } = batch;
  return { slots: stageTwoSlots({ keyGroups, dueGroups, results, batchId, groupRows }) };
}

export interface ExecuteGroupsTaskInput {
  readonly driver: DriverInfo;
  readonly batchId: number;
  /** One slot of the route: the key groups this call runs. */
  readonly groups: readonly number[];
  /** Stage 1's results, one per planned partition (the rows inline, or where they are in the exchange). */
  readonly stageOne: readonly PartitionResult[];
}

/** Stage 2, one slot of key groups: the executor (runKeyGroups). Returns each group's small summary. */
export async function executeGroupsTask(input: ExecuteGroupsTaskInput, ctx: DriverTaskContext): Promise<GroupResult[]> {
  const { driver, batchId, groups, stageOne } = input;
  return runKeyGroups(
    { jobId: driver.jobId, batchId, groups, stageOne },
    { ports: ctx.ports, job: jobOf(driver, ctx), ...(ctx.cache ? { cache: ctx.cache } : {}) },
  );
}

// ── Finish (child): commit, then decide ─────────────────────────────────────────────

export interface FinishTaskInput {
  readonly driver: DriverInfo;
  readonly batch: PlannedBatch;
  readonly results: readonly PartitionResult[];
  /** Stage 2's results, one array per slot (the ExecuteGroups Map's output); empty on a one-stage batch. */
  readonly groupResults: readonly (readonly GroupResult[])[];
  readonly loop: LoopState;
  /** When the Express child started (ISO 8601: `$$.Execution.StartTime`). */
  readonly childStartedAt: string;
}

export interface FinishTaskResult extends LoopState {
  /** park: the child hands back and the parent ends the generation, parked (engine/driver/parking.ts). */
  readonly action: 'continue' | 'handBack' | 'stop' | 'park';
  /**
   * Why the driver stops: 'stopped' (on request), 'caught-up' (available now), 'superseded',
   * or DEAD_LETTER_LIMIT (the job was just left FAILED by the dead-letter ratio guard).
   */
  readonly reason: string | null;
  readonly waitMs: number;
  /** When the next batch may start (ISO 8601, for a Wait state's TimestampPath). */
  readonly waitUntil: string;
  readonly batch: {
    readonly batchId: number;
    readonly resumed: boolean;
    /** False when the batch was committed already (a retried or twin commit). */
    readonly committedNow: boolean;
    readonly caughtUp: boolean;
    readonly watermarkMs: number | null;
    readonly metrics: BatchMetrics;
  };
}

/**
 * Steps 3 and 4 (commit, retention; the commit deletes the batch's exchange objects), then
 * what comes next (engine/driver/next-step.ts).
 */
export async function finishTask(input: FinishTaskInput, ctx: DriverTaskContext): Promise<FinishTaskResult> {
  const { driver, batch } = input;
  const childStartedAt = Date.parse(input.childStartedAt);
  if (Number.isNaN(childStartedAt)) {
    throw new InvalidArgumentError(`childStartedAt must be an ISO 8601 time, got ${JSON.stringify(input.childStartedAt)}`);
  }
  const commit = await commitBatch(
    { jobId: driver.jobId, epoch: driver.epoch, batchId: batch.batchId, results: input.results, groupResults: input.groupResults.flat() },
    { ports: ctx.ports, job: jobOf(driver, ctx) },
  );
  const record = await ctx.registry.get(driver.jobId);
  const now = ctx.ports.clock.now();
  const summary = {
    batchId: commit.batchId,
    resumed: batch.resumed,
    committedNow: commit.committedNow,
    caughtUp: commit.caughtUp,
    watermarkMs: commit.watermarkMs,
    metrics: commit.metrics,
  };
  if (record !== null && record.generation > driver.generation) {
    return { action: 'stop', reason: 'superseded', waitMs: 0, waitUntil: iso(now), idleStreak: input.loop.idleStreak, batch: summary };
  }
  if (commit.deadLetterLimit !== null) {
    // The batch is committed (its metrics are reported as any batch's): the job is left
    // FAILED with the reason, and the execution ends (EndGeneration keeps FAILED).
    const failure = { error: DEAD_LETTER_LIMIT, cause: commit.deadLetterLimit, retryable: false };
    await recordFailure(driver.jobId, driver.generation, failure, { registry: ctx.registry, clock: ctx.ports.clock });
    return { action: 'stop', reason: DEAD_LETTER_LIMIT, waitMs: 0, waitUntil: iso(now), idleStreak: input.loop.idleStreak, batch: summary };
  }
  const step = nextStep({
    trigger: driver.trigger,
    batch: {
      records: commit.metrics.records,
      caughtUp: commit.caughtUp,
      resumed: batch.resumed,
      noDataBatchDue: commit.noDataBatchDue,
      startedAt: batch.startedAt,
    },
    now,
    idleStreak: input.loop.idleStreak,
    budgetLeftMs: childStartedAt + ctx.settings.childBudgetMs - now,
    handBackAfterMs: ctx.settings.handBackAfterMs,
    parkAfterIdleMs: ctx.settings.parkAfterIdleMs,
    stopRequested: record === null || record.state !== JobState.RUNNING,
  });
  const waitMs = step.action === 'stop' ? 0 : step.waitMs;
  return {
    action: step.action,
    reason: step.action === 'stop' ? step.reason : null,
    waitMs,
    waitUntil: iso(now + waitMs),
    idleStreak: step.idleStreak,
    batch: summary,
  };
}

// ── EndGeneration (parent) ──────────────────────────────────────────────────────────

export interface EndGenerationInput {
  readonly jobId: string;
  readonly generation: number;
  /**
   * stop: the child stopped (reason says why); fenced: a newer driver took over; failed: an
   * error ended the child; park: the child parked after batch `batchId` committed.
   */
  readonly outcome: 'stop' | 'fenced' | 'failed' | 'park';
  readonly batchId?: number;
  readonly reason?: string | null;
  readonly error?: string;
  readonly cause?: string;
  readonly retryable?: boolean;
}

export interface EndGenerationResult {
  /** How the execution ends: the job stopped, another generation owns it, it failed, or it parked. */
  readonly status: 'stopped' | 'superseded' | 'failed' | 'parked';
  readonly state: JobState | null;
  readonly reason: string | null;
}

/** Records how this generation ended in the job registry (a superseded generation records nothing). */
export async function endGeneration(input: EndGenerationInput, ctx: DriverTaskContext): Promise<EndGenerationResult> {
  const reg = { registry: ctx.registry, clock: ctx.ports.clock };
  const { jobId, generation } = input;
  let job: JobInstance;
  if (input.outcome === 'fenced' || input.reason === 'superseded') {
    job = (await ctx.registry.get(jobId)) ?? notFound(jobId);
    return { status: 'superseded', state: job.state, reason: `generation ${job.generation} owns the job` };
  }
  if (input.outcome === 'park') return parkGeneration(jobId, generation, input.batchId ?? 0, reg);
  if (input.outcome === 'stop') {
    job = await markStopped(jobId, generation, input.reason ?? 'stopped', reg);
    return { status: job.generation === generation ? 'stopped' : 'superseded', state: job.state, reason: job.reason };
  }
  const failure = { error: input.error ?? 'UnknownError', cause: input.cause ?? '', retryable: input.retryable ?? true };
  job = await recordFailure(jobId, generation, failure, reg);
  return { status: 'failed', state: job.state, reason: job.reason ?? `${failure.error}: ${failure.cause}` };
}

/**
 * The generation parks (engine/driver/parking.ts). A stop requested since the Finish task
 * decided to park has no driver left to see it: the generation records STOPPED instead.
 */
async function parkGeneration(
  jobId: string,
  generation: number,
  batchId: number,
  reg: { registry: JobRegistry; clock: EnginePorts['clock'] },
): Promise<EndGenerationResult> {
  const { parked, job } = await markParked(jobId, generation, batchId, reg);
  if (parked) return { status: 'parked', state: job.state, reason: null };
  if (job.generation !== generation) return { status: 'superseded', state: job.state, reason: `generation ${job.generation} owns the job` };
  const stopped = await markStopped(jobId, generation, 'stopped', reg);
  return { status: 'stopped', state: stopped.state, reason: stopped.reason };
}

function notFound(jobId: string): never {
  throw new NotFoundError(`no job instance ${jobId} in the registry`, { context: { jobId } });
}
