/**
 * State migrations (JobDefinition.migrations) as the executors apply them: to a base
 * state at the first batch under a new job version, and to a parent's final state a
 * child shard inherits.
 */
import { JobSpecError } from '../errors.js';
import type { JsonValue } from '../json.js';
import { isThenable, thenableReason } from '../job/synchronous.js';
import type { JobDefinition, StateMigration } from '../job/types.js';
import type { TrackedState } from './tracked-state.js';

export function migrationFrom(job: JobDefinition, fromVersion: number): StateMigration {
  const migration = job.migrations.find((m) => m.fromVersion === fromVersion);
  if (migration === undefined) {
    throw new JobSpecError(
      `job ${job.name} version ${job.version} declares no state migration from version ${fromVersion}, ` +
        `which the batch's plan requires: declare migrations: [{ fromVersion: ${fromVersion}, state }] or deploy the version that planned it`,
      { context: { job: job.name, fromVersion } },
    );
  }
  return migration;
}

/**
 * Applies a state migration to every entry of `base`, in key order, as changes to
 * `state`: removed keys are deleted, new or changed values put. Two entries that migrate
 * to the same key, or a migration that throws, fail the batch with JobSpecError.
 */
export function applyMigration(
  state: TrackedState,
  base: ReadonlyMap<string, JsonValue>,
  migration: StateMigration,
  where: { jobId: string; batchId: number; partition: string },
): void {
  const migrated = migrateEntries(base, migration, where);
  for (const key of base.keys()) if (!migrated.has(key)) state.delete(key);
  for (const [key, value] of migrated) {
    if (JSON.stringify(base.get(key)) !== JSON.stringify(value)) state.put(key, value);
  }
}

/** `base` migrated, entry by entry in key order (see applyMigration). */
export function migrateEntries(
  base: ReadonlyMap<string, JsonValue>,
  migration: StateMigration,
  where: { jobId: string; batchId: number; partition: string },
): Map<string, JsonValue> {
  const migrated = new Map<string, JsonValue>();
  for (const key of [...base.keys()].sort()) {
    let entry: { readonly key: string; readonly value: JsonValue } | null;
    try {
      entry = migration.state(key, structuredClone(base.get(key)!));
    } catch (error) {
      throw new JobSpecError(`the state migration from version ${migration.fromVersion} threw for key ${key}: ${String(error)}`, {
        cause: error,
        context: { ...where, key },
      });
    }
    if (entry === null) continue;
    if (isThenable(entry)) {
      throw new JobSpecError(`the state migration from version ${migration.fromVersion} ${thenableReason(entry)} (for key ${key})`, {
        context: { ...where, key },
      });
    }
    if (typeof entry?.key !== 'string' || entry.value === undefined) {
      throw new JobSpecError(
        `the state migration from version ${migration.fromVersion} returned neither null nor { key, value } for key ${key}`,
        {
          context: { ...where, key },
        },
      );
    }
    if (migrated.has(entry.key)) {
      throw new JobSpecError(`the state migration from version ${migration.fromVersion} maps two entries to key ${entry.key}`, {
        context: { ...where, key: entry.key },
      });
    }
    migrated.set(entry.key, entry.value);
  }
  return migrated;
}
