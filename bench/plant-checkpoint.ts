/**
 * Plants a committed batch 1 whose one key group (group 0) holds the given state: a
 * snapshot in S3 as the group's state version 1, and batch 1 committed in the WAL having
 * read nothing, so batch 2 reads the stream from its start. Planting takes seconds where
 * running batch 1 for real would first write a sink row per key (DynamoDB Local: minutes
 * for 100,000). Used by the state-scale and recovery benchmarks.
 */
import type { AwsPorts } from '../engine/adapters/deployed-ports.js';
import { systemClock } from '../engine/adapters/system-clock.js';
import type { JobDefinition } from '../engine/job/types.js';
import type { JsonValue } from '../engine/json.js';
import { nothingReadResult } from '../engine/protocol/batch-records.js';
import { buildCommit } from '../engine/protocol/commit.js';
import { keyGroupScope } from '../engine/protocol/key-groups.js';
import { planNextBatch } from '../engine/protocol/planning.js';

/** Returns the snapshot's bytes. */
export async function plantCommittedBatch(
  ports: AwsPorts,
  args: { readonly jobId: string; readonly job: JobDefinition; readonly state: ReadonlyMap<string, JsonValue> },
): Promise<number> {
  const { jobId, job, state } = args;
  const partitions = (await ports.sources(job.source.spec).listPartitions()).map((p) => p.id);
  const { bytesWritten } = await ports.state.write({
    jobId,
    partition: keyGroupScope(0),
    version: 1,
    baseVersion: 0,
    changes: state,
    full: state,
    snapshotEvery: 1,
  });
  const epoch = await ports.wal.acquireEpoch(jobId);
  const plan = planNextBatch({
    jobId,
    epoch,
    previous: null,
    partitions,
    settings: {
      startingPosition: 'EARLIEST',
      maxRecordsPerPartition: job.maxRecordsPerPartition,
      allowedLatenessMs: null,
      jobVersion: job.version,
      keyGroups: 1,
    },
    nowMs: systemClock.now(),
  });
  await ports.wal.putPlan(plan);
  const results = partitions.map((partition) =>
    nothingReadResult(partition, { end: { count: 0 }, stateVersion: 0, caughtUp: false, lagMs: null }),
  );
  // Batch 1 read nothing, so no stage 2 ran: its group table is planted beside the commit.
  const commit = buildCommit({ plan, results, epoch, nowMs: systemClock.now() });
  await ports.wal.commitBatch(jobId, { ...commit, groups: { 0: { version: 1, rows: state.size } } });
  return bytesWritten;
}
