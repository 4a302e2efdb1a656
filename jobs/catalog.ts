/**
 * The jobs this deployment can run, by name. The executor bundle resolves a job
 * instance's definition from here (engine/driver/catalog.ts): an instance names a job and
 * gives its parameters; the registry stores both (engine/ports/job-registry.ts). A job's
 * parameters are a zod schema: the engine checks an instance's parameters with it before
 * `create` gets them.
 */
import { z } from 'zod';
import { catalogEntry, expecting, type JobCatalog } from '#sluice/catalog';
import { kafkaSource } from '#sluice/job';
import { clickstreamJob, CLICKSTREAM_JOB } from './clickstream/job.js';
import { smokeJob, SMOKE_JOB } from './smoke/job.js';

const name = () => expecting('a non-empty string', z.string().min(1));

/** The page-views job's parameters; all optional (the job's defaults), none other. */
const PageViewsParameters = z.strictObject({
  maxRecordsPerPartition: expecting('a positive integer', z.number().int().min(1)).optional(),
  streamName: name().optional(),
  /** Read this Kafka topic instead of the Kinesis stream (the ports need a Kafka connection). */
  topic: name().optional(),
  sinkTable: name().optional(),
  /** How rows go to the sink table: 'transactions' (the default) or conditional 'puts' (half the WRU). */
  sinkWrites: expecting("'transactions' or 'puts'", z.enum(['transactions', 'puts'])).optional(),
  /** Write Parquet files under this prefix of the checkpoint bucket instead of the sink table. */
  sinkFiles: name().optional(),
  /** Write the rows as records of this Kinesis stream instead of the sink table. */
  sinkStream: name().optional(),
});

/** The smoke job's parameters: the stream it reads and the table it writes (one name for both). */
const SmokeParameters = z.strictObject({ name: name().optional() });

export const catalog: JobCatalog = {
  'page-views': catalogEntry({
    description: `views per page per ${CLICKSTREAM_JOB.windowMs / 1000}-second window of event time (the clickstream demo)`,
    parameters: PageViewsParameters,
    create: (p) =>
      clickstreamJob({
        ...(p.maxRecordsPerPartition === undefined ? {} : { maxRecordsPerPartition: p.maxRecordsPerPartition }),
        ...(p.streamName === undefined ? {} : { streamName: p.streamName }),
        ...(p.topic === undefined ? {} : { source: kafkaSource({ topic: p.topic, startingPosition: 'EARLIEST' }) }),
        ...(p.sinkTable === undefined ? {} : { sinkTable: p.sinkTable }),
        ...(p.sinkWrites === undefined ? {} : { sinkWrites: p.sinkWrites }),
        ...(p.sinkFiles === undefined ? {} : { sinkFiles: p.sinkFiles }),
        ...(p.sinkStream === undefined ? {} : { sinkStream: p.sinkStream }),
      }),
  }),
  smoke: catalogEntry({
    description: `records per key, a running count, from stream ${SMOKE_JOB.name} to table ${SMOKE_JOB.name} (sluice smoke runs it after a deployment)`,
    parameters: SmokeParameters,
    create: (p) => smokeJob(p.name === undefined ? {} : { name: p.name }),
  }),
};
