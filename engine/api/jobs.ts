/**
 * The jobs API's operations over the engine's ports: start a job instance, list them,
 * read one's status, page through its batches and its dead letters, stop it, resume it.
 * The Lambda handlers (functions/api.ts) and the local HTTP server
 * (local/api-server.ts) call these; each returns an HTTP status and a JSON body, or
 * throws an error the API's status table answers (engine/api/errors.ts HTTP_ERRORS).
 *
 * Starting, as a sequence (each step safe to repeat, so a retried request finishes a start
 * that died half way):
 *
 *   1. check    the job name and parameters resolve to a job definition (400 otherwise),
 *               which names none of the engine's own tables (400: job-targets.ts);
 *               an instance with this id either does not exist, or was started with the
 *               request's idempotency token (then nothing new starts: 200, that instance),
 *               or it conflicts (409: it runs, or it exists and should be resumed)
 *      targets  (after prepareJob, which may create them locally) the job's source, sinks
 *               and lookup tables exist, where the API can tell (404 naming each missing
 *               one; nothing is written before it)
 *   2. seed     (starting position: a checkpoint) copy the other instance's batch N and
 *               its state into the new instance's WAL and state (checkpoint-start.ts)
 *   3. claim    every sink target the job writes (engine/driver/sink-ownership.ts): one
 *               another instance owns is a 409 naming it, unless the request forces
 *               (from a stopped or failed owner; the response lists what it took over)
 *   4. record   the control record RUNNING, with the token (job-control.ts startJob)
 *   5. launch   the driver execution `<jobId>-<generation>` (a deterministic name: a
 *               second start of it finds it exists)
 *
 * A resume claims the same way (its instance owns its sinks already, unless a forced
 * start of another instance took them). Steps 3 to 5, and the answer to a repeated start,
 * are in launch.ts.
 */
import { ENGINE_PARAMETERS, resolveJob, type JobCatalog } from '../driver/catalog.js';
import { getJob, requestStop, type StartJobRequest } from '../driver/job-control.js';
import { JobSpecError, NotFoundError as EngineNotFoundError } from '../errors.js';
import type { JsonValue } from '../json.js';
import type { JobDefinition } from '../job/types.js';
import { driverExecutionName } from '../ports/driver-executions.js';
import { JobState, type JobInstance } from '../ports/job-registry.js';
import { resolveCheckpoint, seedFromCheckpoint } from './checkpoint-start.js';
import { refuseChangedStateShape } from './state-shape-check.js';
import type {
  ApiPorts,
  ApiResult,
  JobStatusContext,
  ListBatchesContext,
  ListDeadLettersContext,
  ListJobsContext,
  ResumeJobContext,
  StartJobContext,
  StopJobContext,
} from './context.js';
import { BadRequestError, ConflictError, NotFoundError } from './errors.js';
import { refuseEngineTables, requireTargets } from './job-targets.js';
import { conflictOnStart, launch, sameStart, type StartedJob } from './launch.js';
import { decodeBatchToken, decodeDeadLetterToken, encodePageToken } from './page-tokens.js';
import { resumeRequestHash, startRequestHash } from './request-hash.js';
import type { ListDeadLettersInput, ResumeJobInput, StartJobInput, StartingPositionRequest } from './requests.js';
import {
  batchViewOf,
  deadLetterViewOf,
  jobStatusOf,
  jobSummaryOf,
  type BatchView,
  type DeadLetterView,
  type JobStatus,
  type JobSummary,
} from './views.js';

// Launching has its own file; the API's importers read its answers' types here too.
export type { ApiResult } from './context.js';
export type { StartedJob } from './launch.js';

/** Recent batches read for a job's status (its rates are computed over them). */
const STATUS_BATCHES = 10;

/** POST /jobs */
export async function startJobInstance(input: StartJobInput, ctx: StartJobContext): Promise<ApiResult<StartedJob>> {
  const { jobId } = input;
  const parameters = withEngineParameters(input.parameters, input.startingPosition, input.maxRecordsPerPartition);
  const job = definitionOf(ctx.catalog, input.jobName, parameters);
  refuseEngineTables(job, ctx.targets);
  const requestHash = startRequestHash(input);

  // 1. check
  const existing = await ctx.registry.get(jobId);
  if (existing !== null)
    return sameStart(existing, input.idempotencyToken, requestHash, ctx) ?? conflictOnStart(existing, input.idempotencyToken);
  const position = input.startingPosition;
  const checkpoint = position?.type === 'checkpoint' ? position : null;
  const base =
    checkpoint === null
      ? null
      : await resolveCheckpoint({ targetJobId: jobId, sourceJobId: checkpoint.jobId, batchId: checkpoint.batchId, job }, ctx);
  if (position !== null && checkpoint === null) {
    const latest = await ctx.wal.getLatestBatch(jobId);
    if (latest !== null) {
      throw new ConflictError(
        `job ${jobId} has batches in its write-ahead log (the latest is ${latest.plan.batchId}): it goes on from there, so a ` +
          `startingPosition does not apply. Leave startingPosition out to run it from its checkpoint, or choose another jobId`,
      );
    }
  }

  // A job id with batches but no instance (its record deleted) goes on from its own checkpoint.
  if (base === null) refuseChangedStateShape('jobName', { jobId, checkpoint: (await ctx.wal.getLatestBatch(jobId))?.plan ?? null, job });

  // targets (before the seed: a refused start writes nothing), 2. seed
  await ctx.prepareJob?.(job);
  await requireTargets(job, ctx.targets);
  if (base !== null) await seedFromCheckpoint(jobId, base, ctx);

  // 3. claim, 4. record, 5. launch
  const request: StartJobRequest = {
    jobId,
    jobName: input.jobName,
    parameters,
    trigger: input.trigger,
    token: input.idempotencyToken,
    fromCheckpoint: base === null ? null : { jobId: base.plan.jobId, batchId: base.plan.batchId },
    requestHash,
  };
  return launch(request, ctx, 201, { job, force: input.force === true, request: 'start' });
}

/** POST /jobs/{jobId}/resume: a STOPPED or FAILED instance runs again from its checkpoint. */
export async function resumeJobInstance(jobId: string, input: ResumeJobInput, ctx: ResumeJobContext): Promise<ApiResult<StartedJob>> {
  const existing = await requireJob(jobId, ctx);
  const requestHash = resumeRequestHash(input);
  const same = sameStart(existing, input.idempotencyToken, requestHash, ctx);
  if (same !== null) return same;
  if (existing.state === JobState.RUNNING || existing.state === JobState.STOPPING) {
    throw new ConflictError(`job ${jobId} is ${existing.state}: there is nothing to resume`);
  }
  const unfinished = (await ctx.wal.listReplays(jobId)).find((r) => r.finishedAt === null);
  if (unfinished !== undefined) {
    throw new ConflictError(
      `job ${jobId} has an unfinished replay (generation ${unfinished.generation}): finish it first (run the same replay ` +
        `command again; sluice checkpoints list --job ${jobId} shows it), then resume`,
    );
  }
  const parameters = { ...existing.parameters };
  if (input.maxRecordsPerPartition !== null) parameters[ENGINE_PARAMETERS.maxRecordsPerPartition] = input.maxRecordsPerPartition;
  let job: JobDefinition;
  try {
    job = resolveJob(ctx.catalog, existing.jobName, parameters);
  } catch (error) {
    if (error instanceof JobSpecError) throw new ConflictError(`job ${jobId} cannot run with this deployment's catalog: ${error.message}`);
    throw error;
  }
  refuseChangedStateShape('jobId', { jobId, checkpoint: (await ctx.wal.getLatestBatch(jobId))?.plan ?? null, job });
  refuseEngineTables(job, ctx.targets);
  await ctx.prepareJob?.(job);
  await requireTargets(job, ctx.targets);
  return launch(
    {
      jobId,
      jobName: existing.jobName,
      parameters,
      trigger: input.trigger ?? existing.trigger,
      token: input.idempotencyToken,
      fromCheckpoint: existing.start?.fromCheckpoint ?? null,
      requestHash,
    },
    ctx,
    202,
    { job, force: input.force === true, request: 'resume' },
  );
}

/** POST /jobs/{jobId}/stop: the driver finishes the batch in flight, commits, and ends (a parked job is STOPPED at once: 200). */
export async function stopJobInstance(jobId: string, ctx: StopJobContext): Promise<ApiResult<{ job: JobSummary }>> {
  const existing = await requireJob(jobId, ctx);
  if (existing.state !== JobState.RUNNING)
    return { status: existing.state === JobState.STOPPING ? 202 : 200, body: { job: jobSummaryOf(existing) } };
  const job = await requestStop(jobId, { registry: ctx.registry, clock: ctx.clock });
  ctx.logger.info('job stop requested', { jobId });
  return { status: job.state === JobState.STOPPED ? 200 : 202, body: { job: jobSummaryOf(job) } };
}

/** GET /jobs */
export async function listJobInstances(
  filter: { state: JobState | null },
  ctx: ListJobsContext,
): Promise<ApiResult<{ jobs: JobSummary[] }>> {
  const jobs = (await ctx.registry.list()).filter((j) => filter.state === null || j.state === filter.state);
  return { status: 200, body: { jobs: jobs.map(jobSummaryOf) } };
}

/** GET /jobs/{jobId} */
export async function getJobStatus(jobId: string, ctx: JobStatusContext): Promise<ApiResult<JobStatus>> {
  const job = await requireJob(jobId, ctx);
  const latest = await ctx.wal.getLatestBatch(jobId);
  const recent =
    latest === null
      ? []
      : await ctx.wal.listBatches(jobId, { fromBatchId: Math.max(1, latest.plan.batchId - STATUS_BATCHES + 1), limit: STATUS_BATCHES });
  const generation = Math.max(job.generation, job.start?.generation ?? 0);
  const execution = generation < 1 ? null : driverExecutionName(jobId, generation);
  const executionStatus = execution === null ? null : await ctx.executions.status(execution);
  return { status: 200, body: jobStatusOf({ job, execution, executionStatus, recent }) };
}

/** GET /jobs/{jobId}/batches: newest first, `limit` a page, `nextToken` from the previous page. */
export async function listJobBatches(
  jobId: string,
  page: { readonly limit: number; readonly nextToken: string | null },
  ctx: ListBatchesContext,
): Promise<ApiResult<{ batches: BatchView[]; nextToken: string | null }>> {
  const before = page.nextToken === null ? null : decodeBatchToken(page.nextToken, jobId);
  const [job, latest] = await Promise.all([ctx.registry.get(jobId), ctx.wal.getLatestBatch(jobId)]);
  if (job === null && latest === null) throw notFound(jobId);
  if (latest === null) return { status: 200, body: { batches: [], nextToken: null } };
  const end = Math.min(before === null ? latest.plan.batchId : before - 1, latest.plan.batchId);
  if (end < 1) return { status: 200, body: { batches: [], nextToken: null } };
  const start = Math.max(1, end - page.limit + 1);
  const [records, oldest] = await Promise.all([
    ctx.wal.listBatches(jobId, { fromBatchId: start, limit: end - start + 1 }),
    ctx.wal.listBatches(jobId, { limit: 1 }),
  ]);
  const oldestId = oldest[0]?.plan.batchId ?? start;
  return {
    status: 200,
    body: {
      batches: records
        .filter((r) => r.plan.batchId <= end)
        .reverse()
        .map(batchViewOf),
      nextToken: start > oldestId ? encodePageToken(jobId, { b: start }) : null,
    },
  };
}

/**
 * GET /jobs/{jobId}/dead-letters: the records that failed, each once, by partition, then
 * offset as a number (engine/ports/dead-letter-order.ts), `limit` a page, `nextToken` from
 * the previous page, `partition` one partition's only.
 */
export async function listDeadLetters(
  jobId: string,
  query: ListDeadLettersInput,
  ctx: ListDeadLettersContext,
): Promise<ApiResult<{ jobId: string; deadLetters: DeadLetterView[]; nextToken: string | null }>> {
  const after = query.nextToken === null ? null : decodeDeadLetterToken(query.nextToken, jobId, query.partition);
  const [job, latest, page] = await Promise.all([
    ctx.registry.get(jobId),
    ctx.wal.getLatestBatch(jobId),
    ctx.deadLetters.page(jobId, {
      limit: query.limit,
      ...(after === null ? {} : { after }),
      ...(query.partition === null ? {} : { partition: query.partition }),
    }),
  ]);
  if (job === null && latest === null) throw notFound(jobId);
  return {
    status: 200,
    body: {
      jobId,
      deadLetters: page.letters.map(deadLetterViewOf),
      nextToken: page.next === null ? null : encodePageToken(jobId, { p: query.partition, a: page.next }),
    },
  };
}

/** The instance's parameters: the catalog's own, plus the engine's (engine/driver/catalog.ts ENGINE_PARAMETERS). */
function withEngineParameters(
  parameters: Readonly<Record<string, JsonValue>>,
  position: StartingPositionRequest | null,
  maxRecordsPerPartition: number | null,
): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = { ...parameters };
  if (position !== null && position.type !== 'checkpoint') {
    out[ENGINE_PARAMETERS.startingPosition] =
      position.type === 'earliest' ? 'EARLIEST' : position.type === 'latest' ? 'LATEST' : { timestamp: position.timestamp };
  }
  if (maxRecordsPerPartition !== null) out[ENGINE_PARAMETERS.maxRecordsPerPartition] = maxRecordsPerPartition;
  return out;
}

/** The job definition, or a 400 naming the job name or the parameters. */
function definitionOf(catalog: JobCatalog, jobName: string, parameters: Readonly<Record<string, JsonValue>>): JobDefinition {
  if (!Object.hasOwn(catalog, jobName)) {
    const known = Object.keys(catalog).sort();
    throw BadRequestError.of([
      {
        field: 'jobName',
        message: `is not a job of this deployment's catalog (known: ${known.join(', ') || 'none'}), got ${JSON.stringify(jobName)}`,
      },
    ]);
  }
  try {
    return resolveJob(catalog, jobName, parameters);
  } catch (error) {
    if (error instanceof JobSpecError)
      throw BadRequestError.of([{ field: 'parameters', message: `are not valid for job ${jobName}: ${error.message}` }]);
    throw error;
  }
}

async function requireJob(jobId: string, ctx: Pick<ApiPorts, 'registry'>): Promise<JobInstance> {
  try {
    return await getJob(jobId, ctx);
  } catch (error) {
    if (error instanceof EngineNotFoundError) throw notFound(jobId);
    throw error;
  }
}

function notFound(jobId: string): NotFoundError {
  return new NotFoundError(`no job instance ${jobId} (GET /jobs lists them)`);
}
