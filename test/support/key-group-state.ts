/**
 * The committed state of a job that keeps it in key groups (docs/design/key-groups.md),
 * checked for the layout's promise: every key's state is in its own key group and in no
 * other, and no source partition holds any.
 */
import { expect } from 'vitest';
import type { JsonValue } from '../../engine/json.js';
import type { EnginePorts } from '../../engine/ports/index.js';
import { keyGroupOf, keyGroupOfScope, keyGroupScope } from '../../engine/protocol/key-groups.js';

/** The state after the job's latest commit, by state key, whichever key group holds it (each key's own, checked). */
export async function keyGroupState(ports: EnginePorts, jobId: string): Promise<Map<string, JsonValue>> {
  const latest = await ports.wal.getLatestBatch(jobId);
  const keyGroups = latest?.plan.keyGroups;
  const commit = latest?.commit;
  if (keyGroups === undefined || commit === undefined)
    throw new Error(`job ${jobId}'s latest batch is not a committed one with key groups`);
  for (const [partition, p] of Object.entries(commit.partitions)) expect(p.stateVersion, `${partition} holds state`).toBe(0);
  const scopes = await ports.state.listPartitions(jobId);
  expect(
    scopes.filter((scope) => keyGroupOfScope(scope) === null),
    'no partition holds state',
  ).toEqual([]);
  const state = new Map<string, JsonValue>();
  for (const [group, { version }] of Object.entries(commit.groups ?? {})) {
    for (const [stateKey, value] of await ports.state.load(jobId, keyGroupScope(Number(group)), version)) {
      const key = (JSON.parse(stateKey) as [string | number])[0];
      expect(keyGroupOf(key, keyGroups), `the key group of ${stateKey}`).toBe(Number(group));
      expect(state.has(stateKey), `${stateKey} has state in two key groups`).toBe(false);
      state.set(stateKey, value);
    }
  }
  return state;
}
