/**
 * Plants a committed batch 1 whose one key group holds N keys: a snapshot of N counts in
 * S3 as the group's state version 1, and batch 1 committed in the WAL having read nothing
 * (so batch 2 reads the stream from its start). Planting takes seconds where running
 * batch 1 for real would write N sink rows first (DynamoDB Local: minutes for 100,000).
 */
import type { AwsPorts } from '../../engine/adapters/deployed-ports.js';
import { systemClock } from '../../engine/adapters/system-clock.js';
import type { JsonValue } from '../../engine/json.js';
import { buildCommit } from '../../engine/protocol/commit.js';
import { keyGroupScope } from '../../engine/protocol/key-groups.js';
import { planNextBatch } from '../../engine/protocol/planning.js';
import { RECOVERY, recoveryJob, stateKeyOf, userOf } from './recovery-job.js';

/** Returns the snapshot's bytes. */
export async function plantState(ports: AwsPorts, keys: number, maxRecordsPerPartition: number): Promise<number> {
  const job = recoveryJob(maxRecordsPerPartition);
  const shards = (await ports.sources(job.source.spec).listPartitions()).map((p) => p.id);
  const full = new Map<string, JsonValue>();
  for (let i = 0; i < keys; i += 1) full.set(stateKeyOf(userOf(i)), 1);
  const { bytesWritten } = await ports.state.write({
    jobId: RECOVERY.jobId,
    partition: keyGroupScope(0),
    version: 1,
    baseVersion: 0,
    changes: full,
    full,
    snapshotEvery: 1,
  });
  const epoch = await ports.wal.acquireEpoch(RECOVERY.jobId);
  const plan = planNextBatch({
    jobId: RECOVERY.jobId,
    epoch,
    previous: null,
    partitions: shards,
    settings: { startingPosition: 'EARLIEST', maxRecordsPerPartition, allowedLatenessMs: null, jobVersion: 1, keyGroups: 1 },
    nowMs: systemClock.now(),
  });
  await ports.wal.putPlan(plan);
  const results = shards.map((partition) => ({
    partition,
    end: { count: 0 },
    stateVersion: 0,
    records: 0,
    outputRows: 0,
    deadLetters: 0,
    lateRecords: 0,
    maxEventTimeMs: null,
    stateRows: 0,
    stateBytesWritten: 0,
    lagMs: null,
    caughtUp: false,
  }));
  const commit = buildCommit({ plan, results, epoch, nowMs: systemClock.now() });
  await ports.wal.commitBatch(RECOVERY.jobId, { ...commit, groups: { 0: { version: 1, rows: full.size } } });
  return bytesWritten;
}
