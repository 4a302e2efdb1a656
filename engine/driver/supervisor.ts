/**
 * The supervisor (Spark's `--supervise`): restarts a job's driver when it dies.
 *
 * - onExecutionEnded: EventBridge reports a driver execution FAILED, TIMED_OUT or ABORTED.
 * - reconcile: on a schedule, every job that should run (RUNNING, or STOPPING: it must
 *   finish its stop) and has no live driver is handled the same way. EventBridge
 *   delivers status changes on a best-effort basis; the reconciler catches what it misses.
 *
 * A parked job (engine/driver/parking.ts) has no live driver by design: the reconcile tick
 * checks its source instead and starts the next generation when there is work.
 *
 * A restart starts the next generation `<jobId>-<generation>` (a deterministic name: the
 * rule and the reconciler racing start it once), after a backoff that doubles with every
 * restart in the window. After `maxRestarts` restarts within the window the job is left
 * FAILED with the reason. The new generation takes a new epoch, so a zombie of the old
 * one, still running somewhere, is fenced.
 */
import { InvalidArgumentError } from '../errors.js';
import type { Clock } from '../ports/clock.js';
import { driverExecutionName, type DriverExecutions } from '../ports/driver-executions.js';
import type { Logger } from '../ports/index.js';
import { JobState, type JobInstance, type JobRegistry } from '../ports/job-registry.js';
import { isParked, recordRestart, startJob, type StartJobRequest } from './job-control.js';
import { wakeIfWork, type WorkCheckContext } from './parking.js';
import type { RestartPolicy } from './settings.js';

export interface SupervisorContext {
  readonly registry: JobRegistry;
  readonly executions: DriverExecutions;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly policy: RestartPolicy;
  /** Reads the sources and the WAL for parked jobs; without it a parked job waits for a stop or a start. */
  readonly work?: WorkCheckContext;
}

export interface ExecutionEnded {
  /** The execution's name: `<jobId>-<generation>`. */
  readonly executionName: string;
  readonly status: string;
  readonly error?: string | null;
  readonly cause?: string | null;
}

export interface SuperviseOutcome {
  readonly jobId: string;
  readonly action: 'none' | 'restarted' | 'gave-up' | 'stopped' | 'woken';
  readonly detail: string;
}

/** Starts a job instance (or starts it again after a stop or a failure) and its first driver generation. */
export async function launchJob(
  request: StartJobRequest,
  ctx: Pick<SupervisorContext, 'registry' | 'executions' | 'clock'>,
): Promise<{ job: JobInstance; executionName: string; started: 'started' | 'exists' }> {
  const { job, generation } = await startJob(request, ctx);
  const executionName = driverExecutionName(job.jobId, generation);
  const started = await ctx.executions.start(executionName, { jobId: job.jobId, generation });
  return { job, executionName, started };
}

/**
 * Starts the next generation of a job that should run but whose driver went down with
 * the whole runtime (the local runtime killed and started again): not a supervised
 * restart, so it is not counted against the restart policy. A job that is not RUNNING or
 * STOPPING is started afresh by `launchJob` instead.
 */
export async function resumeJob(
  jobId: string,
  ctx: Pick<SupervisorContext, 'registry' | 'executions'>,
): Promise<{ executionName: string; started: 'started' | 'exists' } | null> {
  const job = await ctx.registry.get(jobId);
  if (job === null || (job.state !== JobState.RUNNING && job.state !== JobState.STOPPING)) return null;
  const generation = job.generation + 1;
  const executionName = driverExecutionName(jobId, generation);
  return { executionName, started: await ctx.executions.start(executionName, { jobId, generation }) };
}

export async function onExecutionEnded(event: ExecutionEnded, ctx: SupervisorContext): Promise<SuperviseOutcome> {
  const { jobId, generation } = parseExecutionName(event.executionName);
  const what = [event.error, event.cause].filter((s) => typeof s === 'string' && s.length > 0).join(': ');
  return superviseJob(jobId, `generation ${generation} ${event.status}${what ? `: ${what}` : ''}`, ctx);
}

export async function reconcile(ctx: SupervisorContext): Promise<SuperviseOutcome[]> {
  const outcomes: SuperviseOutcome[] = [];
  for (const job of await ctx.registry.list()) {
    if (job.state !== JobState.RUNNING && job.state !== JobState.STOPPING) continue;
    outcomes.push(await superviseJob(job.jobId, 'the reconciler found no live driver', ctx));
  }
  return outcomes;
}

/** Restarts the job's driver unless one is live or the job should not run. */
export async function superviseJob(jobId: string, reason: string, ctx: SupervisorContext): Promise<SuperviseOutcome> {
  const job = await ctx.registry.get(jobId);
  if (job === null) return { jobId, action: 'none', detail: 'no such job instance' };
  if (job.state !== JobState.RUNNING && job.state !== JobState.STOPPING) {
    return { jobId, action: 'none', detail: `the job is ${job.state}` };
  }
  // The registry's generation, and the next one (a continue-as-new may have started it
  // before its first task recorded it).
  let next = job.generation + 1;
  for (const generation of [job.generation, job.generation + 1]) {
    if (generation < 1) continue;
    const status = await ctx.executions.status(driverExecutionName(jobId, generation));
    if (status === 'RUNNING') return { jobId, action: 'none', detail: `generation ${generation} is running` };
    if (status !== null) next = generation + 1;
  }
  if (isParked(job)) {
    if (ctx.work === undefined) return { jobId, action: 'none', detail: 'parked; no source check configured' };
    return { jobId, ...(await wakeIfWork(job, { ...ctx.work, executions: ctx.executions, logger: ctx.logger })) };
  }
  const decision = await recordRestart(jobId, job.generation, next, reason, ctx.policy, ctx);
  if (decision.kind === 'not-needed') {
    const state = decision.job?.state;
    if (job.state === JobState.STOPPING && state === JobState.STOPPED) return { jobId, action: 'stopped', detail: 'no driver was running' };
    return { jobId, action: 'none', detail: 'the job changed meanwhile' };
  }
  if (decision.kind === 'gave-up') {
    ctx.logger.error('job failed: too many restarts', { jobId, reason: decision.job.reason });
    return { jobId, action: 'gave-up', detail: decision.job.reason ?? reason };
  }
  const name = driverExecutionName(jobId, decision.generation);
  const delaySeconds = Math.round(decision.delayMs / 1000);
  const started = await ctx.executions.start(name, {
    jobId,
    generation: decision.generation,
    ...(delaySeconds > 0 ? { delaySeconds } : {}),
  });
  ctx.logger.warn('driver restarted', { jobId, execution: name, delaySeconds, started, reason });
  return { jobId, action: 'restarted', detail: `${name} (${started}) after ${delaySeconds} s: ${reason}` };
}

/** `<jobId>-<generation>` → its parts (job ids may contain '-': the generation is after the last one). */
export function parseExecutionName(name: string): { jobId: string; generation: number } {
  const match = /^(.+)-(\d+)$/.exec(name);
  if (match === null) throw new InvalidArgumentError(`not a driver execution name (<jobId>-<generation>): ${JSON.stringify(name)}`);
  return { jobId: match[1]!, generation: Number(match[2]) };
}
