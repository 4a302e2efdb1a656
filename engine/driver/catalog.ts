/**
 * The jobs a deployment can run, by name: the executor bundle resolves a job instance's
 * definition from its job name and parameters (jobs/catalog.ts is the project's catalog).
 */
import { JobSpecError } from '../errors.js';
import type { JsonValue } from '../json.js';
import type { JobDefinition } from '../job/types.js';
import type { StartingPosition } from '../protocol/offsets.js';

export interface JobCatalogEntry {
  readonly description: string;
  /** Builds the job from an instance's parameters; throws JobSpecError on a bad parameter. */
  create(parameters: Readonly<Record<string, JsonValue>>): JobDefinition;
}

export type JobCatalog = Readonly<Record<string, JobCatalogEntry>>;

/**
 * Parameters of a job instance that the engine applies itself, whatever the job: the
 * jobs API (engine/api/) stores an instance's starting position and rate limit as these,
 * so they reach every task with the instance's parameters. A catalog entry never sees
 * them, and its own parameter names must not start with `sluice.`.
 *
 *   sluice.startingPosition        'EARLIEST' | 'LATEST' | { timestamp } (epoch ms): where a
 *                                  job with an empty WAL starts (its first plan fixes it)
 *   sluice.maxRecordsPerPartition  the rate limit: records per partition per batch
 */
export const ENGINE_PARAMETERS = {
  startingPosition: 'sluice.startingPosition',
  maxRecordsPerPartition: 'sluice.maxRecordsPerPartition',
} as const;

/** The prefix no catalog parameter may use. */
export const ENGINE_PARAMETER_PREFIX = 'sluice.';

const resolved = new WeakMap<JobCatalog, Map<string, JobDefinition>>();

/**
 * The job definition of (name, parameters), built once per catalog and parameters (a warm
 * Lambda compiles a pipeline once). Unknown names and bad parameters are JobSpecErrors:
 * a restart cannot fix them.
 */
export function resolveJob(catalog: JobCatalog, jobName: string, parameters: Readonly<Record<string, JsonValue>>): JobDefinition {
  const entry = Object.hasOwn(catalog, jobName) ? catalog[jobName] : undefined;
  if (entry === undefined) {
    throw new JobSpecError(`no job named ${JSON.stringify(jobName)} in the catalog (known: ${Object.keys(catalog).sort().join(', ')})`, {
      context: { jobName },
    });
  }
  let cache = resolved.get(catalog);
  if (cache === undefined) {
    cache = new Map();
    resolved.set(catalog, cache);
  }
  const key = `${jobName}\u0000${JSON.stringify(parameters)}`;
  let job = cache.get(key);
  if (job === undefined) {
    const own: Record<string, JsonValue> = {};
    for (const [name, value] of Object.entries(parameters)) if (!name.startsWith(ENGINE_PARAMETER_PREFIX)) own[name] = value;
    job = withEngineParameters(entry.create(own), parameters);
    if (cache.size > 64) cache.clear();
    cache.set(key, job);
  }
  return job;
}

/** The job with the engine parameters among `parameters` applied (see ENGINE_PARAMETERS). */
function withEngineParameters(job: JobDefinition, parameters: Readonly<Record<string, JsonValue>>): JobDefinition {
  for (const name of Object.keys(parameters)) {
    if (name.startsWith(ENGINE_PARAMETER_PREFIX) && !(Object.values(ENGINE_PARAMETERS) as string[]).includes(name)) {
      throw new JobSpecError(`job ${job.name}: there is no engine parameter ${JSON.stringify(name)} (known: ${Object.values(ENGINE_PARAMETERS).join(', ')})`);
    }
  }
  const position = parameters[ENGINE_PARAMETERS.startingPosition];
  const maxRecords = parameters[ENGINE_PARAMETERS.maxRecordsPerPartition];
  if (position === undefined && maxRecords === undefined) return job;
  return {
    ...job,
    ...(position === undefined ? {} : { source: { ...job.source, startingPosition: startingPositionOf(position) } }),
    ...(maxRecords === undefined ? {} : { maxRecordsPerPartition: rateLimitOf(maxRecords) }),
  };
}

function startingPositionOf(value: JsonValue): StartingPosition {
  if (value === 'EARLIEST' || value === 'LATEST') return value;
  const timestamp = typeof value === 'object' && value !== null && !Array.isArray(value) ? value['timestamp'] : undefined;
  if (typeof timestamp === 'number' && Number.isSafeInteger(timestamp) && timestamp >= 0) return { timestamp };
  throw new JobSpecError(`${ENGINE_PARAMETERS.startingPosition} must be 'EARLIEST', 'LATEST' or { timestamp: epoch ms }, got ${JSON.stringify(value)}`);
}

function rateLimitOf(value: JsonValue): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 1) return value;
  throw new JobSpecError(`${ENGINE_PARAMETERS.maxRecordsPerPartition} must be a positive integer, got ${JSON.stringify(value)}`);
}
