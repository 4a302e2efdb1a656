/**
 * The jobs a deployment can run, by name: the executor bundle resolves a job instance's
 * definition from its job name and parameters (jobs/catalog.ts is the project's catalog).
 * Jobs import this file as `#sluice/catalog` (package.json "imports").
 *
 *   export const catalog: JobCatalog = {
 *     'order-totals': orderTotals,                                  // a job without parameters
 *     'page-views': catalogEntry({ description, parameters, create }), // a job with parameters
 *   };
 */
import { z } from 'zod';
import { JobSpecError } from '../errors.js';
import type { JsonValue } from '../json.js';
import type { JobDefinition } from '../job/types.js';
import type { StartingPosition } from '../protocol/offsets.js';
import { EPOCH_MS_HINT, MAX_EPOCH_MS } from '../timestamps.js';
import { expecting, parse, type Found } from '../validation.js';

/** Parameter schemas of catalog entries name what a parameter must be with it. */
export { expecting };

/** The parameters of a job instance, as the registry stores them. */
export type JobParameters = Readonly<Record<string, JsonValue>>;

/**
 * A job the catalog can build. A job with parameters declares them as a zod schema
 * (catalogEntry): resolveJob checks an instance's parameters with it (a bad or unknown one
 * is a JobSpecError naming it) and `create` gets what the schema parsed. A job without
 * parameters declares none, and `create` gets the parameters as they were given.
 */
export interface JobCatalogEntry {
  readonly description: string;
  readonly parameters?: z.ZodType<object>;
  /** Builds the job from an instance's parameters; throws JobSpecError on a bad parameter. */
  create(parameters: JobParameters): JobDefinition;
}

/**
 * Each job by the name instances give: a job without parameters as it is (what defineJob
 * returned: an instance given any parameter of its own is refused), a job with parameters
 * as a JobCatalogEntry.
 */
export type JobCatalog = Readonly<Record<string, JobDefinition | JobCatalogEntry>>;

/**
 * The entry of a catalog item: a JobCatalogEntry as it is; a job definition as an entry
 * without parameters whose description is the job's name. Anything else (a spec not
 * passed through defineJob, say) is a JobSpecError naming the catalog name.
 */
export function catalogEntryOf(jobName: string, item: JobDefinition | JobCatalogEntry): JobCatalogEntry {
  if (isJobCatalogEntry(item)) return item;
  if (!isJobDefinition(item)) {
    throw new JobSpecError(
      `catalog entry ${JSON.stringify(jobName)} is neither a job (what defineJob returns) nor catalogEntry({ description, parameters, create })`,
      { context: { jobName } },
    );
  }
  return {
    description: item.name,
    create: (parameters) => {
      const given = Object.keys(parameters);
      if (given.length > 0) {
        throw new JobSpecError(
          `job ${jobName} has no parameters, got ${given.map((n) => JSON.stringify(n)).join(', ')}: ` +
            'start it without them, or declare them in the catalog with catalogEntry({ description, parameters: zodSchema, create })',
          { context: { jobName, parameters: given.join(', ') } },
        );
      }
      return item;
    },
  };
}

function isJobCatalogEntry(item: unknown): item is JobCatalogEntry {
  return typeof item === 'object' && item !== null && typeof (item as { create?: unknown }).create === 'function';
}

function isJobDefinition(item: unknown): item is JobDefinition {
  if (typeof item !== 'object' || item === null) return false;
  const job = item as Partial<Record<keyof JobDefinition, unknown>>;
  return typeof job.name === 'string' && typeof job.version === 'number' && Array.isArray(job.sinks) && typeof job.pipeline === 'object';
}

/**
 * An entry whose `create` gets its parameters typed by their schema:
 * `catalogEntry({ description, parameters: z.strictObject({ ... }), create: (p) => ... })`.
 */
export function catalogEntry<S extends z.ZodType<object>>(entry: {
  readonly description: string;
  readonly parameters: S;
  create(parameters: z.output<S>): JobDefinition;
}): JobCatalogEntry {
  // resolveJob gives create what `parameters` parsed (createJob).
  return { description: entry.description, parameters: entry.parameters, create: (parameters) => entry.create(parameters as z.output<S>) };
}

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
  const item = Object.hasOwn(catalog, jobName) ? catalog[jobName] : undefined;
  if (item === undefined) {
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
    job = withEngineParameters(createJob(catalogEntryOf(jobName, item), jobName, own), parameters);
    if (cache.size > 64) cache.clear();
    cache.set(key, job);
  }
  return job;
}

/** The entry's job, from the parameters its schema parsed (as given when it has none). */
function createJob(entry: JobCatalogEntry, jobName: string, parameters: JobParameters): JobDefinition {
  if (entry.parameters === undefined) return entry.create(parameters);
  const shape = (entry.parameters as { shape?: object }).shape;
  const known = shape === undefined ? '' : ` (known: ${Object.keys(shape).join(', ')})`;
  const describe = (p: Found) =>
    p.unknown ? `job ${jobName} has no parameter ${JSON.stringify(p.field)}${known}` : `job ${jobName}: parameter ${p.field} ${p.message}`;
  return entry.create(parse(entry.parameters, parameters, { name: 'parameters', describe, error: JobSpecError }) as JobParameters);
}

const ENGINE_PARAMETER_SCHEMA = z.strictObject({
  [ENGINE_PARAMETERS.startingPosition]: expecting(
    "'EARLIEST', 'LATEST' or { timestamp: epoch ms }",
    z.union([z.enum(['EARLIEST', 'LATEST']), z.object({ timestamp: expecting(EPOCH_MS_HINT, z.number().int().min(0).max(MAX_EPOCH_MS)) })]),
  ).optional(),
  [ENGINE_PARAMETERS.maxRecordsPerPartition]: expecting('a positive integer', z.number().int().min(1)).optional(),
});

/** The job with the engine parameters among `parameters` applied (see ENGINE_PARAMETERS). */
function withEngineParameters(job: JobDefinition, parameters: JobParameters): JobDefinition {
  const given = Object.fromEntries(Object.entries(parameters).filter(([name]) => name.startsWith(ENGINE_PARAMETER_PREFIX)));
  const describe = (p: Found) =>
    p.unknown
      ? `job ${job.name}: there is no engine parameter ${JSON.stringify(p.field)} (known: ${Object.values(ENGINE_PARAMETERS).join(', ')})`
      : `${p.field} ${p.message}`;
  const engine = parse(ENGINE_PARAMETER_SCHEMA, given, { name: 'parameters', describe, error: JobSpecError });
  const position: StartingPosition | undefined = engine[ENGINE_PARAMETERS.startingPosition];
  const maxRecords = engine[ENGINE_PARAMETERS.maxRecordsPerPartition];
  if (position === undefined && maxRecords === undefined) return job;
  // An instance's own cap is a rate limit: it no longer follows the trigger.
  const { rateLimitFromTrigger: _, ...capped } = job;
  return {
    ...(maxRecords === undefined ? job : { ...capped, maxRecordsPerPartition: maxRecords }),
    ...(position === undefined ? {} : { source: { ...job.source, startingPosition: position } }),
  };
}
