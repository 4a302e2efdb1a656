/** The driver functions' environment variables for the driver settings and the restart policy (functions/env.ts). */
import type { DriverSettings, RestartPolicy } from '../../engine/driver/settings.js';
import { ENV } from '../../functions/env.js';

export function environmentOf(settings: Partial<DriverSettings> = {}, policy: Partial<RestartPolicy> = {}): Record<string, string> {
  const names: Record<string, string> = {
    childBudgetMs: ENV.childBudgetMs,
    handBackAfterMs: ENV.handBackAfterMs,
    childRunsPerGeneration: ENV.childRunsPerGeneration,
    maxIdleIntervalMs: ENV.maxIdleIntervalMs,
    idleBackoffFactor: ENV.idleBackoffFactor,
    parkAfterIdleMs: ENV.parkAfterIdleMs,
    maxRestarts: ENV.maxRestarts,
    windowMs: ENV.restartWindowMs,
    backoffBaseMs: ENV.restartBackoffBaseMs,
    backoffMaxMs: ENV.restartBackoffMaxMs,
  };
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries({ ...settings, ...policy })) {
    if (value !== undefined) out[names[key]!] = String(value);
  }
  return out;
}
