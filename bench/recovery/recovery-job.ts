/**
 * The recovery benchmark's job: views per user over all time, in one key group, so one
 * stage-2 executor holds every user's count (100,000 keys by default): the state a
 * resumed batch must load from S3 before it can commit. Events are `{ user: i }`.
 */
import type { JobCatalog } from '../../engine/driver/catalog.js';
import { count, defineJob, dynamoDbSink, kinesisSource } from '../../engine/job/index.js';
import type { JobDefinition } from '../../engine/job/types.js';

export const RECOVERY = {
  jobId: 'recovery',
  jobName: 'recovery-counts',
  streamName: 'recovery-input',
  sinkTable: 'recovery-counts',
} as const;

export const userOf = (i: number) => `user-${i}`;

/** The state key count() keeps for a group key (see `checkpoints show`). */
export const stateKeyOf = (user: string) => JSON.stringify([user]);

export function recoveryJob(maxRecordsPerPartition: number): JobDefinition {
  return defineJob({
    name: RECOVERY.jobName,
    version: 1,
    source: kinesisSource({ streamName: RECOVERY.streamName, startingPosition: 'EARLIEST' }),
    pipeline: (events) => events.keyBy((e) => userOf(Number(e.user))).aggregate(count()),
    sink: dynamoDbSink({ tableName: RECOVERY.sinkTable }),
    trigger: { type: 'availableNow' },
    maxRecordsPerPartition,
    checkpoint: { snapshotEvery: 10, retainBatches: 100 },
    keyGroups: 1,
  });
}

export function recoveryCatalog(maxRecordsPerPartition: number): JobCatalog {
  return { [RECOVERY.jobName]: recoveryJob(maxRecordsPerPartition) };
}
