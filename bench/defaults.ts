/** Benchmark defaults the command line shows in its help, kept apart so the help loads none of the benchmarks. */
import { defaultRecordsPerPartition } from '../engine/job/rate-limit.js';

/**
 * npm run bench: the events written, the measured job's records per shard per batch (the
 * cap the engine gives the demo job's available-now trigger when the job sets none,
 * engine/job/rate-limit.ts; the demo job's own cap is measured too), and the empty batches
 * timed each way. 640,000 events are four full batches at the default cap on 4 shards.
 */
export const BENCH_DEFAULTS = {
  events: 640_000,
  recordsPerPartition: defaultRecordsPerPartition({ type: 'availableNow' }),
  demoRecordsPerPartition: 1_000,
  emptyBatches: 20,
} as const;

/** npm run bench:state: the state sizes measured (keys per key group) and the records of the measured batch. */
export const STATE_SCALE_DEFAULTS = { keys: [10_000, 100_000, 1_000_000], records: 1_000 } as const;

/** The executor's memory in infra/state-machines/functions.ts. */
export const EXECUTOR_MEMORY_MB = 1_024;
