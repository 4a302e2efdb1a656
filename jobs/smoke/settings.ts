/** Settings of the smoke job (job.ts), also read by `sluice smoke` without loading the engine. */
export const SMOKE_JOB = {
  /** The stream the job reads and the table it writes, by default: what the stack grants it. */
  name: 'sluice-smoke',
  maxRecordsPerPartition: 1_000,
  intervalMs: 1_000,
} as const;
