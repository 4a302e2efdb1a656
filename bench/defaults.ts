/** Benchmark defaults the command line shows in its help, kept apart so the help loads none of the benchmarks. */

/** npm run bench: the demo's events, and the empty batches timed each way. */
export const BENCH_DEFAULTS = { events: 60_000, emptyBatches: 20 } as const;

/** npm run bench:state: the state sizes measured (keys per key group) and the records of the measured batch. */
export const STATE_SCALE_DEFAULTS = { keys: [10_000, 100_000, 1_000_000], records: 1_000 } as const;

/** The executor's memory in infra/state-machines/functions.ts. */
export const EXECUTOR_MEMORY_MB = 1_024;
