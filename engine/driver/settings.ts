/**
 * Settings of the Step Functions driver and its supervisor, with their defaults. The
 * functions read them from environment variables (functions/environment.ts), the local
 * runtime from its options; the state machines get the ones they need in their input.
 */
import { ConfigurationError } from '../errors.js';

export interface DriverSettings {
  /**
   * How long one Express child runs batches before it hands back to the Standard parent.
   * A batch starts only while this much time is left (Express executions end at 5 minutes,
   * so the budget leaves room for the last batch).
   */
  readonly childBudgetMs: number;
  /**
   * A wait at least this long is handed back to the parent (a Standard Wait costs a few
   * transitions) instead of being spent in the child (an Express child pays for every
   * second it waits). The default is the break-even of the public prices: one parent
   * cycle (5 transitions, $0.000125) buys ~120 s of a 64 MB Express child.
   */
  readonly handBackAfterMs: number;
  /** Child runs per parent execution before it continues as a new execution (bounds its history). */
  readonly childRunsPerGeneration: number;
  /** Default cap of the idle backoff of interval triggers (a job instance may set its own). */
  readonly maxIdleIntervalMs: number;
  /** Factor by which the interval grows with every empty batch in a row. */
  readonly idleBackoffFactor: number;
  /**
   * An interval job idle this long (its empty batches' periods, summed) parks: its
   * generation ends and the supervisor's scheduled check wakes it when data arrives
   * (engine/driver/parking.ts). 0: never park.
   */
  readonly parkAfterIdleMs: number;
}

export interface RestartPolicy {
  /** Restarts allowed within `windowMs`; one more leaves the job FAILED. */
  readonly maxRestarts: number;
  readonly windowMs: number;
  /** The n-th restart in the window waits min(base · 2^(n-1), max) before the driver starts. */
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
}

export const DEFAULT_DRIVER_SETTINGS: DriverSettings = Object.freeze({
  childBudgetMs: 240_000,
  handBackAfterMs: 120_000,
  childRunsPerGeneration: 60,
  maxIdleIntervalMs: 60_000,
  idleBackoffFactor: 2,
  parkAfterIdleMs: 300_000,
});

export const DEFAULT_RESTART_POLICY: RestartPolicy = Object.freeze({
  maxRestarts: 5,
  windowMs: 3_600_000,
  backoffBaseMs: 10_000,
  backoffMaxMs: 300_000,
});

/** The history of a parent: each child run adds ~15 events; 25,000 is the hard limit. */
export const MAX_CHILD_RUNS_PER_GENERATION = 1_000;

export function checkDriverSettings(settings: DriverSettings): DriverSettings {
  positive('childBudgetMs', settings.childBudgetMs);
  positive('handBackAfterMs', settings.handBackAfterMs);
  positive('childRunsPerGeneration', settings.childRunsPerGeneration);
  if (settings.childRunsPerGeneration > MAX_CHILD_RUNS_PER_GENERATION) {
    throw new ConfigurationError(
      `childRunsPerGeneration must be at most ${MAX_CHILD_RUNS_PER_GENERATION} (a parent's history holds 25,000 events), got ${settings.childRunsPerGeneration}`,
    );
  }
  positive('maxIdleIntervalMs', settings.maxIdleIntervalMs);
  if (!Number.isSafeInteger(settings.parkAfterIdleMs) || settings.parkAfterIdleMs < 0) {
    throw new ConfigurationError(`parkAfterIdleMs must be an integer ≥ 0 (0: never park), got ${settings.parkAfterIdleMs}`);
  }
  if (!(settings.idleBackoffFactor >= 1) || !Number.isFinite(settings.idleBackoffFactor)) {
    throw new ConfigurationError(`idleBackoffFactor must be a number ≥ 1, got ${settings.idleBackoffFactor}`);
  }
  return settings;
}

export function checkRestartPolicy(policy: RestartPolicy): RestartPolicy {
  positive('maxRestarts', policy.maxRestarts);
  positive('windowMs', policy.windowMs);
  positive('backoffBaseMs', policy.backoffBaseMs);
  positive('backoffMaxMs', policy.backoffMaxMs);
  return policy;
}

function positive(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new ConfigurationError(`${name} must be a positive integer, got ${value}`);
  }
}
