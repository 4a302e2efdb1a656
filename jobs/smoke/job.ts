/**
 * The job `sluice smoke` runs on a deployed stack (cli/commands/smoke.ts): records per key,
 * a running count in update mode, from a Kinesis stream to a DynamoDB table of the same
 * name. No window and no watermark: the sink's rows are exact as soon as the batches that
 * read the records have committed, whatever the records' times. A record that is not a
 * JSON object with a string `key` is a dead letter.
 *
 * The stack grants the default name (`sluice-smoke`: its stream and its table) like every
 * catalog job's targets; `sluice smoke` creates both before the run and deletes them after.
 */
import { SMOKE_JOB } from './settings.js';
import { count, defineJob, dynamoDbSink, kinesisSource } from '#sluice/job';

export { SMOKE_JOB };

export function smokeJob(overrides: { readonly name?: string } = {}) {
  const name = overrides.name ?? SMOKE_JOB.name;
  return defineJob({
    name: 'smoke',
    version: 1,
    source: kinesisSource({ streamName: name, startingPosition: 'EARLIEST' }),
    decode: 'json',
    pipeline: (records) =>
      records
        .map((r: { readonly key?: unknown }) => {
          if (typeof r.key !== 'string' || r.key === '') throw new TypeError('a smoke record needs a non-empty string key');
          return { key: r.key };
        })
        .keyBy((r) => r.key)
        .aggregate(count()),
    sink: dynamoDbSink({ tableName: name }),
    outputMode: 'update',
    trigger: { type: 'interval', intervalMs: SMOKE_JOB.intervalMs },
    maxRecordsPerPartition: SMOKE_JOB.maxRecordsPerPartition,
  });
}
