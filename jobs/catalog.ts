/**
 * The jobs this deployment can run, by name. The executor bundle resolves a job
 * instance's definition from here (engine/driver/catalog.ts): an instance names a job and
 * gives its parameters; the registry stores both (engine/ports/job-registry.ts).
 */
import type { JobCatalog } from '../engine/driver/catalog.js';
import { JobSpecError } from '../engine/errors.js';
import type { JsonValue } from '../engine/json.js';
import { kafkaSource } from '../engine/job/index.js';
import { clickstreamJob, CLICKSTREAM_JOB } from './clickstream/job.js';

export const catalog: JobCatalog = {
  'page-views': {
    description: `views per page per ${CLICKSTREAM_JOB.windowMs / 1000}-second window of event time (the clickstream demo)`,
    create(parameters) {
      const p = checkParameters('page-views', parameters, {
        maxRecordsPerPartition: 'positiveInteger',
        streamName: 'string',
        // Read this Kafka topic instead of the Kinesis stream (the ports need a Kafka connection).
        topic: 'string',
        sinkTable: 'string',
      });
      return clickstreamJob({
        ...(p.maxRecordsPerPartition === undefined ? {} : { maxRecordsPerPartition: p.maxRecordsPerPartition as number }),
        ...(p.streamName === undefined ? {} : { streamName: p.streamName as string }),
        ...(p.topic === undefined ? {} : { source: kafkaSource({ topic: p.topic as string, startingPosition: 'EARLIEST' }) }),
        ...(p.sinkTable === undefined ? {} : { sinkTable: p.sinkTable as string }),
      });
    },
  },
};

type Kind = 'positiveInteger' | 'string';

function checkParameters(
  jobName: string,
  parameters: Readonly<Record<string, JsonValue>>,
  allowed: Readonly<Record<string, Kind>>,
): Readonly<Record<string, JsonValue>> {
  for (const [name, value] of Object.entries(parameters)) {
    const kind = Object.hasOwn(allowed, name) ? allowed[name] : undefined;
    if (kind === undefined) {
      throw new JobSpecError(`job ${jobName} has no parameter ${JSON.stringify(name)} (known: ${Object.keys(allowed).join(', ')})`);
    }
    const ok = kind === 'string' ? typeof value === 'string' && value.length > 0 : Number.isSafeInteger(value) && (value as number) > 0;
    if (!ok) {
      throw new JobSpecError(`job ${jobName}: parameter ${name} must be ${kind === 'string' ? 'a non-empty string' : 'a positive integer'}, got ${JSON.stringify(value)}`);
    }
  }
  return parameters;
}
