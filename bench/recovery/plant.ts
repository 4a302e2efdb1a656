/** The recovery job's batch 1, planted committed with N keys of state in its one key group (../plant-checkpoint.ts). */
import type { AwsPorts } from '../../engine/adapters/deployed-ports.js';
import type { JsonValue } from '../../engine/json.js';
import { plantCommittedBatch } from '../plant-checkpoint.js';
import { RECOVERY, recoveryJob, stateKeyOf, userOf } from './recovery-job.js';

/** Returns the snapshot's bytes. */
export function plantState(ports: AwsPorts, keys: number, maxRecordsPerPartition: number): Promise<number> {
  const state = new Map<string, JsonValue>();
  for (let i = 0; i < keys; i += 1) state.set(stateKeyOf(userOf(i)), 1);
  return plantCommittedBatch(ports, { jobId: RECOVERY.jobId, job: recoveryJob(maxRecordsPerPartition), state });
}
