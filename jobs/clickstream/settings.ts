/** Settings of the demo job; the generator's margins are checked against them (assertUnambiguous). */
export const CLICKSTREAM_JOB = {
  streamName: 'clickstream',
  /** The demo's topic when it runs on Kafka (npm start -- --source kafka). */
  topic: 'clickstream',
  sinkTable: 'page-views',
  windowMs: 10_000,
  allowedLatenessMs: 30_000,
  maxRecordsPerPartition: 1_000,
} as const;
