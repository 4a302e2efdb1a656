/**
 * The end of a start or a resume of a job instance (engine/api/jobs.ts has the checks
 * before it): steps 3 to 5, claim the sinks, record the control record RUNNING, launch the
 * driver execution; and the answer to a start that happened before. A request that
 * repeats a start (same idempotency token, same body) starts nothing new and is answered
 * as that start, launching its driver if the first attempt died before it did; any other
 * request for an instance that exists is a 409.
 */
import { startJob, type StartJobRequest } from '../driver/job-control.js';
import { claimSinks, type SinkTakeover } from '../driver/sink-ownership.js';
import { ConflictError as EngineConflictError } from '../errors.js';
import { sinkTargetsOf } from '../job/sink-targets.js';
import type { JobDefinition } from '../job/types.js';
import { driverExecutionName } from '../ports/driver-executions.js';
import { JobState, type JobInstance } from '../ports/job-registry.js';
import type { ApiPorts, ApiResult } from './context.js';
import { ConflictError } from './errors.js';
import { jobSummaryOf, type JobSummary } from './views.js';

/** What launching a driver execution needs (a start, a resume). */
type LaunchContext = Pick<ApiPorts, 'registry' | 'executions' | 'clock' | 'logger'>;

export interface StartedJob {
  readonly job: JobSummary;
  /** The driver execution this start launched (or launched before, when alreadyStarted). */
  readonly execution: string;
  /** A start with this idempotency token happened before: nothing new was started. */
  readonly alreadyStarted: boolean;
  /** The sinks this start took over from another (stopped or failed) instance, because it forced. */
  readonly sinksTakenOver: readonly SinkTakeover[];
}

/** Which sinks a start or resume claims, and whether it forces (step 3). */
export interface SinkClaim {
  readonly job: JobDefinition;
  readonly force: boolean;
  readonly request: 'start' | 'resume';
}

/** Steps 3 to 5 of a start; a start that raced another is answered as that one. */
export async function launch(
  request: StartJobRequest,
  ctx: LaunchContext,
  status: number,
  sinks: SinkClaim,
): Promise<ApiResult<StartedJob>> {
  const sinksTakenOver = await claimSinks(
    {
      jobId: request.jobId,
      targets: sinkTargetsOf(sinks.job),
      force: sinks.force,
      forceHint: `"force": true in the ${sinks.request} request (sluice jobs ${sinks.request} --force)`,
      otherSinkHint:
        sinks.request === 'start'
          ? 'start it with parameters that name another sink'
          : 'start a new instance with parameters that name another sink',
    },
    ctx,
  );
  for (const t of sinksTakenOver) {
    ctx.logger.warn('sink taken over', { jobId: request.jobId, target: t.target, fromJobId: t.fromJobId });
  }
  let started: { job: JobInstance; generation: number };
  try {
    started = await startJob(request, { registry: ctx.registry, clock: ctx.clock });
  } catch (error) {
    // Another request started the instance between our check and our write.
    if (!(error instanceof EngineConflictError)) throw error;
    const now = await ctx.registry.get(request.jobId);
    if (now === null) throw error;
    return sameStart(now, request.token ?? null, request.requestHash ?? null, ctx) ?? conflictOnStart(now, request.token ?? null);
  }
  const execution = driverExecutionName(request.jobId, started.generation);
  await ctx.executions.start(execution, { jobId: request.jobId, generation: started.generation });
  ctx.logger.info('job started', { jobId: request.jobId, jobName: request.jobName, execution });
  return { status, body: { job: jobSummaryOf(started.job), execution, alreadyStarted: false, sinksTakenOver } };
}

/**
 * The instance was last started with this token: the request is a retry and starts
 * nothing new. If the first attempt died between recording the start and launching its
 * driver, the launch happens now (the execution name is deterministic: it starts once).
 * The same token with another request fingerprint (engine/api/request-hash.ts) is not a
 * retry but a reuse of the token: a 409 naming it. A start recorded without a fingerprint
 * (before it was kept) is matched on the token alone.
 */
export function sameStart(
  job: JobInstance,
  token: string | null,
  requestHash: string | null,
  ctx: Pick<ApiPorts, 'executions'>,
): Promise<ApiResult<StartedJob>> | null {
  const start = job.start;
  if (token === null || start === undefined || start === null || start.token !== token) return null;
  if (typeof start.requestHash === 'string' && requestHash !== null && start.requestHash !== requestHash) {
    throw new ConflictError(
      `the idempotency token ${JSON.stringify(token)} was used before for another request to job ${job.jobId} (a different ` +
        'body): a retry must send the same body; for a different request, use a new idempotency token',
    );
  }
  return (async () => {
    const execution = driverExecutionName(job.jobId, start.generation);
    if (job.state === JobState.RUNNING && job.generation < start.generation) {
      await ctx.executions.start(execution, { jobId: job.jobId, generation: start.generation });
    }
    return { status: 200, body: { job: jobSummaryOf(job), execution, alreadyStarted: true, sinksTakenOver: [] } };
  })();
}

export function conflictOnStart(job: JobInstance, token: string | null): never {
  const other = token === null ? '' : ' (started by a request with another idempotency token)';
  if (job.state === JobState.RUNNING || job.state === JobState.STOPPING) {
    throw new ConflictError(`job ${job.jobId} is ${job.state}${other}: stop it first, or choose another jobId`);
  }
  throw new ConflictError(
    `job ${job.jobId} exists (${job.state}${job.reason ? `: ${job.reason}` : ''}): resume it (POST /jobs/${job.jobId}/resume) to go ` +
      `on from its checkpoint, or choose another jobId`,
  );
}
