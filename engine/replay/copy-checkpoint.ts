import { InvariantError } from '../errors.js';
import type { StateStore } from '../ports/state-store.js';
import type { WriteAheadLog } from '../ports/write-ahead-log.js';
import { BatchStatus, generationOf, type BatchRecord } from '../protocol/batch-records.js';
import { stateVersionsAfter } from './replay-plan.js';

/**
 * Starts job `targetJobId` from another job's committed batch N: the state after N is
 * copied under the new id (same version numbers, each as a snapshot), then batch N itself,
 * committed, becomes the new job's first WAL record, so its driver plans N+1 from where N
 * ended, with N's watermark. Used by `replay --into` and by the API's checkpoint start.
 *
 * `generation` is the replay generation the new job starts at (a replay's new generation,
 * or N's own): every later plan follows the seed at that generation.
 * Idempotent: the copies are deterministic, and a committed seed is left alone.
 */
export async function copyCheckpoint(
  args: { readonly base: BatchRecord; readonly targetJobId: string; readonly epoch: number; readonly generation: number },
  ports: { readonly wal: WriteAheadLog; readonly state: StateStore },
): Promise<void> {
  const { base, targetJobId, epoch, generation } = args;
  const { wal, state } = ports;
  if (base.commit === undefined || base.status !== BatchStatus.COMMITTED) {
    throw new InvariantError(`batch ${base.plan.batchId} of job ${base.plan.jobId} is not committed: it is no checkpoint`);
  }
  const existing = await wal.getBatch(targetJobId, base.plan.batchId);
  if (existing?.status === BatchStatus.COMMITTED) return;
  for (const [partition, version] of stateVersionsAfter(base)) {
    if (version === 0) continue;
    const full = await state.load(base.plan.jobId, partition, version, generationOf(base.plan));
    await state.write({ jobId: targetJobId, partition, version, baseVersion: 0, changes: full, full, snapshotEvery: 1, generation });
  }
  if (existing === null) await wal.putPlan({ ...base.plan, jobId: targetJobId, epoch, generation });
  await wal.commitBatch(targetJobId, { ...base.commit, epoch });
}
