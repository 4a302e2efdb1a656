/**
 * What every task of the Step Functions driver shares (engine/driver/tasks.ts and
 * plan-task.ts): the context a task runs in, who is driving, and the loop state carried
 * from batch to batch. Its own file so that each task's file imports it without importing
 * the others.
 */
import type { StateCache } from '../executor/state-cache.js';
import type { JsonValue } from '../json.js';
import type { JobDefinition } from '../job/types.js';
import { withInstanceTrigger } from '../job/rate-limit.js';
import type { EnginePorts } from '../ports/index.js';
import type { JobRegistry } from '../ports/job-registry.js';
import { resolveJob, type JobCatalog } from './catalog.js';
import type { DriverTrigger } from './next-step.js';
import type { DriverSettings } from './settings.js';

/** Everything a task needs besides its input: built once per Lambda container (or per local runtime). */
export interface DriverTaskContext {
  readonly ports: EnginePorts;
  readonly registry: JobRegistry;
  readonly catalog: JobCatalog;
  readonly settings: DriverSettings;
  /** A warm executor's state cache. */
  readonly cache?: StateCache;
}

/** Who is driving: fixed for one parent generation, passed to every task of its children. */
export interface DriverInfo {
  readonly jobId: string;
  readonly jobName: string;
  readonly parameters: Readonly<Record<string, JsonValue>>;
  readonly trigger: DriverTrigger;
  readonly generation: number;
  readonly epoch: number;
}

/** Carried from batch to batch, and from one child to the next through the parent. */
export interface LoopState {
  /** Empty batches in a row (the idle backoff). */
  readonly idleStreak: number;
}

export const INITIAL_LOOP: LoopState = Object.freeze({ idleStreak: 0 });

/**
 * The driver's job definition, resolved from the catalog on each task (tasks carry only
 * its name and parameters), under the trigger the instance runs with (a default rate
 * limit follows it: engine/job/rate-limit.ts).
 */
export function jobOf(driver: DriverInfo, ctx: DriverTaskContext): JobDefinition {
  return withInstanceTrigger(resolveJob(ctx.catalog, driver.jobName, driver.parameters), driver.trigger);
}

/** A time for a Wait state's TimestampPath (ISO 8601). */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
