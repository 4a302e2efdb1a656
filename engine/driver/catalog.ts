/**
 * The jobs a deployment can run, by name: the executor bundle resolves a job instance's
 * definition from its job name and parameters (jobs/catalog.ts is the project's catalog).
 */
import { JobSpecError } from '../errors.js';
import type { JsonValue } from '../json.js';
import type { JobDefinition } from '../job/types.js';

export interface JobCatalogEntry {
  readonly description: string;
  /** Builds the job from an instance's parameters; throws JobSpecError on a bad parameter. */
  create(parameters: Readonly<Record<string, JsonValue>>): JobDefinition;
}

export type JobCatalog = Readonly<Record<string, JobCatalogEntry>>;

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
    job = entry.create(parameters);
    if (cache.size > 64) cache.clear();
    cache.set(key, job);
  }
  return job;
}
