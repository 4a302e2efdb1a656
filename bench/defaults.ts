/** Benchmark defaults the command line shows in its help, kept apart so the help loads none of the benchmarks. */

/**
 * npm run bench: the events written, the measured job's records per shard per batch (the
 * engine's JOB_DEFAULTS, GetRecords' maximum; the demo job's own cap is measured too), and
 * the empty batches timed each way. 200,000 events are five batches at the default cap.
 */
export const BENCH_DEFAULTS = { events: 200_000, recordsPerPartition: 10_000, demoRecordsPerPartition: 1_000, emptyBatches: 20 } as const;

/** npm run bench:state: the state sizes measured (keys per key group) and the records of the measured batch. */
export const STATE_SCALE_DEFAULTS = { keys: [10_000, 100_000, 1_000_000], records: 1_000 } as const;

/** The executor's memory in infra/state-machines/functions.ts. */
export const EXECUTOR_MEMORY_MB = 1_024;
