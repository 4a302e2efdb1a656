/**
 * The job registry's transitions: start a job instance, request a stop, read its status,
 * and what the driver and the supervisor record (a generation begins, the job stops or
 * fails, a restart). Each is a read-modify-write of the control record, conditional on its
 * revision and repeated when another writer got there first.
 *
 *   (none) ──start──► RUNNING ──requestStop──► STOPPING ──driver ends──► STOPPED
 *                        │  ▲                                              │
 *                        │  └───────────────start (again)──────────────────┤
 *                        └── non-retryable error / too many restarts ──► FAILED
 *
 * A RUNNING job may be parked (no driver runs: engine/driver/parking.ts): markParked sets
 * it, the next generation's beginGeneration clears it, and a stop request on a parked job
 * makes it STOPPED at once (nothing is in flight to finish).
 */
import { ConflictError, InvalidArgumentError, NotFoundError, TransientError } from '../errors.js';
import type { JsonValue } from '../json.js';
import type { Clock } from '../ports/clock.js';
import { JobState, type JobInstance, type JobRegistry, type ParkedRecord, type TriggerSettings } from '../ports/job-registry.js';
import { jsonObject, parse } from '../validation.js';
import { retry } from '../retry.js';
import { checkTriggerSettings } from './next-step.js';
import type { RestartPolicy } from './settings.js';

/** Job ids: they name WAL items and executions (`<jobId>-<generation>`, 80 characters at most). */
const JOB_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,59}$/;
const MAX_PARAMETER_BYTES = 4_096;
const MAX_WRITE_ATTEMPTS = 8;
/** Reasons and errors are kept short: they cross states and API responses. */
const MAX_TEXT = 1_000;

export interface StartJobRequest {
  readonly jobId: string;
  readonly jobName: string;
  readonly parameters?: Readonly<Record<string, JsonValue>>;
  readonly trigger?: TriggerSettings | null;
  /** The start request's idempotency token (the jobs API), recorded in the instance's `start`. */
  readonly token?: string | null;
  /** The instance begins from another instance's committed batch (recorded in `start`; the caller seeds the WAL). */
  readonly fromCheckpoint?: { readonly jobId: string; readonly batchId: number } | null;
  /** The fingerprint of the API request (engine/api/request-hash.ts), recorded in `start` with the token. */
  readonly requestHash?: string | null;
}

export interface RegistryContext {
  readonly registry: JobRegistry;
  readonly clock: Clock;
}

export function checkJobId(jobId: unknown): string {
  if (typeof jobId !== 'string' || !JOB_ID.test(jobId)) {
    throw new InvalidArgumentError(
      `a job id is 1 to 60 letters, digits, '-' or '_', starting with a letter or digit; got ${JSON.stringify(jobId)}`,
    );
  }
  return jobId;
}

/**
 * Creates the instance, or makes a STOPPED or FAILED one RUNNING again (with the given
 * job, parameters and trigger, and a fresh restart window). Returns the record and the
 * generation the caller starts next (`<jobId>-<generation>`). A RUNNING or STOPPING
 * instance cannot be started again.
 */
export async function startJob(request: StartJobRequest, ctx: RegistryContext): Promise<{ job: JobInstance; generation: number }> {
  const jobId = checkJobId(request.jobId);
  if (typeof request.jobName !== 'string' || request.jobName.length === 0) {
    throw new InvalidArgumentError(`jobName must be a non-empty string, got ${JSON.stringify(request.jobName)}`);
  }
  const parameters = checkParameters(request.parameters ?? {});
  const trigger = request.trigger === undefined || request.trigger === null ? null : checkTriggerSettings(request.trigger);
  const job = await mutate(ctx, jobId, (current, now) => {
    if (current !== null && (current.state === JobState.RUNNING || current.state === JobState.STOPPING)) {
      throw new ConflictError(`job ${jobId} is ${current.state}: stop it before starting it again`, { context: { jobId } });
    }
    return {
      jobId,
      jobName: request.jobName,
      parameters,
      trigger,
      state: JobState.RUNNING,
      reason: null,
      generation: current?.generation ?? 0,
      epoch: current?.epoch ?? null,
      restarts: [],
      lastError: current?.lastError ?? null,
      stopRequestedAt: null,
      parked: null,
      createdAt: current?.createdAt ?? now,
      updatedAt: now,
      revision: (current?.revision ?? 0) + 1,
      start: {
        token: request.token ?? null,
        generation: (current?.generation ?? 0) + 1,
        at: now,
        fromCheckpoint: request.fromCheckpoint ?? null,
        ...(request.requestHash === undefined || request.requestHash === null ? {} : { requestHash: request.requestHash }),
      },
    };
  });
  return { job, generation: job.generation + 1 };
}

/**
 * Asks a RUNNING job to stop: its driver finishes the batch in flight, commits, and ends.
 * A parked job has no driver and no batch in flight: it is STOPPED at once. Idempotent.
 */
export async function requestStop(jobId: string, ctx: RegistryContext): Promise<JobInstance> {
  return mutate(ctx, jobId, (current, now) => {
    if (current === null) throw notFound(jobId);
    if (current.state !== JobState.RUNNING) return null;
    const stopping = { ...current, stopRequestedAt: now, updatedAt: now, revision: current.revision + 1 };
    if (isParked(current)) return { ...stopping, state: JobState.STOPPED, reason: 'stopped (the driver was parked)', parked: null };
    return { ...stopping, state: JobState.STOPPING };
  });
}

/** The job's driver is parked: RUNNING with no execution until the wake-up (engine/driver/parking.ts). */
export function isParked(job: JobInstance): job is JobInstance & { parked: ParkedRecord } {
  return job.state === JobState.RUNNING && job.parked !== undefined && job.parked !== null;
}

/**
 * The driver of `generation` parks after batch `batchId` committed: its execution ends and
 * the job stays RUNNING. Nothing is written when a newer generation started or the job no
 * longer runs (a stop request came first: the generation then ends as stopped).
 */
export async function markParked(
  jobId: string,
  generation: number,
  batchId: number,
  ctx: RegistryContext,
): Promise<{ parked: boolean; job: JobInstance }> {
  let parked = false;
  const job = await mutate(ctx, jobId, (current, now) => {
    if (current === null) throw notFound(jobId);
    parked = current.generation === generation && current.state === JobState.RUNNING;
    if (!parked || current.parked?.generation === generation) return null;
    return { ...current, parked: { at: now, generation, batchId }, updatedAt: now, revision: current.revision + 1 };
  });
  return { parked, job };
}

export async function getJob(jobId: string, ctx: Pick<RegistryContext, 'registry'>): Promise<JobInstance> {
  const job = await ctx.registry.get(jobId);
  if (job === null) throw notFound(jobId);
  return job;
}

/**
 * A driver generation starts: it becomes the current one unless a newer one started
 * already ('superseded'). Idempotent for the same generation (a retried task).
 */
export async function beginGeneration(
  jobId: string,
  generation: number,
  ctx: RegistryContext,
): Promise<{ outcome: 'current' | 'superseded'; job: JobInstance }> {
  let outcome: 'current' | 'superseded' = 'current';
  const job = await mutate(ctx, jobId, (current, now) => {
    if (current === null) throw notFound(jobId);
    if (current.generation > generation) {
      outcome = 'superseded';
      return null;
    }
    outcome = 'current';
    if (current.generation === generation) return null;
    // A new generation (a wake-up included) is not parked.
    return { ...current, generation, epoch: null, parked: null, updatedAt: now, revision: current.revision + 1 };
  });
  return { outcome, job };
}

/** Records the epoch a generation took, if it is still the current generation. */
export async function recordEpoch(jobId: string, generation: number, epoch: number, ctx: RegistryContext): Promise<boolean> {
  let current = false;
  await mutate(ctx, jobId, (job, now) => {
    if (job === null) throw notFound(jobId);
    current = job.generation === generation;
    if (!current || job.epoch === epoch) return null;
    return { ...job, epoch, updatedAt: now, revision: job.revision + 1 };
  });
  return current;
}

/** The driver of `generation` ended on a stop request or because an available-now job caught up. */
export async function markStopped(jobId: string, generation: number, reason: string, ctx: RegistryContext): Promise<JobInstance> {
  return mutate(ctx, jobId, (job, now) => {
    if (job === null) throw notFound(jobId);
    // A superseded driver does not speak for the job, and FAILED stays FAILED.
    if (job.generation !== generation || job.state === JobState.FAILED || job.state === JobState.STOPPED) return null;
    return { ...job, state: JobState.STOPPED, reason: text(reason), updatedAt: now, revision: job.revision + 1 };
  });
}

/**
 * The driver of `generation` failed. A non-retryable error (a bad job spec, lost data,
 * corrupt state) leaves the job FAILED at once: a restart would fail the same way. Any
 * other error is recorded, and the supervisor restarts the driver.
 */
export async function recordFailure(
  jobId: string,
  generation: number,
  failure: { error: string; cause: string; retryable: boolean },
  ctx: RegistryContext,
): Promise<JobInstance> {
  return mutate(ctx, jobId, (job, now) => {
    if (job === null) throw notFound(jobId);
    if (job.generation !== generation) return null;
    const lastError = { at: now, generation, error: text(failure.error), cause: text(failure.cause) };
    const failed = !failure.retryable && job.state !== JobState.STOPPED;
    return {
      ...job,
      lastError,
      ...(failed ? { state: JobState.FAILED, reason: text(`${failure.error}: ${failure.cause}`) } : {}),
      updatedAt: now,
      revision: job.revision + 1,
    };
  });
}

export type RestartDecision =
  | { readonly kind: 'restart'; readonly generation: number; readonly delayMs: number; readonly job: JobInstance }
  | { readonly kind: 'gave-up'; readonly job: JobInstance }
  | { readonly kind: 'not-needed'; readonly job: JobInstance | null };

/**
 * The supervisor found no live driver for a RUNNING job. Either records a restart of
 * generation `nextGeneration` (with its backoff), or, after `maxRestarts` restarts within
 * the window, leaves the job FAILED with the reason. A STOPPING job with no driver is STOPPED.
 */
export async function recordRestart(
  jobId: string,
  seenGeneration: number,
  nextGeneration: number,
  reason: string,
  policy: RestartPolicy,
  ctx: RegistryContext,
): Promise<RestartDecision> {
  let decision: RestartDecision = { kind: 'not-needed', job: null };
  const job = await mutate(ctx, jobId, (current, now) => {
    decision = { kind: 'not-needed', job: current };
    if (current === null || current.generation !== seenGeneration) return null;
    if (current.state === JobState.STOPPING) {
      return {
        ...current,
        state: JobState.STOPPED,
        reason: 'stopped (no driver was running)',
        updatedAt: now,
        revision: current.revision + 1,
      };
    }
    if (current.state !== JobState.RUNNING) return null;
    const recent = current.restarts.filter((r) => r.at > now - policy.windowMs);
    if (recent.length >= policy.maxRestarts) {
      decision = { kind: 'gave-up', job: current };
      const why = `gave up after ${recent.length} restarts within ${Math.round(policy.windowMs / 1000)} s; last: ${reason}`;
      return { ...current, state: JobState.FAILED, reason: text(why), restarts: recent, updatedAt: now, revision: current.revision + 1 };
    }
    const delayMs = Math.min(policy.backoffMaxMs, policy.backoffBaseMs * 2 ** recent.length);
    decision = { kind: 'restart', generation: nextGeneration, delayMs, job: current };
    const restarts = [...recent, { at: now, generation: nextGeneration, reason: text(reason) }];
    return { ...current, restarts, updatedAt: now, revision: current.revision + 1 };
  });
  return { ...decision, job } as RestartDecision;
}

/**
 * Read, change, write conditionally on the revision read; again, at once, when another
 * writer got there first (only then: a refused change or a failed read is the caller's).
 * `change` returns null for "nothing to write" (the current record is returned).
 */
export async function mutate(
  ctx: RegistryContext,
  jobId: string,
  change: (current: JobInstance | null, now: number) => JobInstance | null,
): Promise<JobInstance> {
  let lostRace: TransientError | undefined;
  return retry(
    async (attempt) => {
      const current = await ctx.registry.get(jobId);
      const next = change(current, ctx.clock.now());
      if (next === null) {
        if (current === null) throw notFound(jobId);
        return current;
      }
      if (await ctx.registry.put(next, current?.revision ?? null)) return next;
      lostRace = new TransientError(`job ${jobId}: the control record kept changing under ${attempt} attempts to write it`, {
        context: { jobId },
      });
      throw lostRace;
    },
    { attempts: MAX_WRITE_ATTEMPTS, baseDelayMs: 0, clock: ctx.clock, shouldRetry: (error) => error === lostRace },
  );
}

/** Parameters cross every state of the driver: a small JSON object. */
const Parameters = jsonObject(MAX_PARAMETER_BYTES, { why: ' (they cross every state)' });

function checkParameters(parameters: unknown): Record<string, JsonValue> {
  return parse(Parameters, parameters, { name: 'parameters' });
}

function notFound(jobId: string): NotFoundError {
  return new NotFoundError(`no job instance ${jobId} in the registry`, { context: { jobId } });
}

function text(value: string): string {
  return value.length <= MAX_TEXT ? value : `${value.slice(0, MAX_TEXT - 1)}…`;
}
