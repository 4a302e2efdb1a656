/**
 * The values of `sluice jobs` arguments and flags that become parts of the request: the
 * job id (checked before any request: an empty id, `.`, `..` or one with a slash would
 * name another route once in the URL's path), --trigger and --from. Otherwise shapes
 * only: the API checks the figures (an interval's bounds) and answers 400 naming the field.
 */
import { InvalidArgumentError } from 'commander';
import { jobId as jobIdSchema } from '../../../engine/api/requests.js';
import { integer } from '../../flag-values.js';
import type { StartingPositionBody } from '../../api-client.js';
import type { TriggerSettings } from '../../../engine/ports/job-registry.js';

/** A job id as the API takes it (engine/api/requests.ts): 1 to 60 letters, digits, '-' or '_', starting with a letter or digit. */
export function jobId(value: string): string {
  const parsed = jobIdSchema.safeParse(value);
  if (!parsed.success) throw new InvalidArgumentError(`A job id ${parsed.error.issues[0]!.message}.`);
  return parsed.data;
}

const milliseconds = integer({ min: 1 });
const batch = integer({ min: 1 });

/** --trigger: available-now, or interval:<ms>[:<max idle ms>]. */
export function trigger(value: string): TriggerSettings {
  if (value === 'available-now' || value === 'availableNow') return { type: 'availableNow' };
  const match = /^interval:(\d+)(?::(\d+))?$/.exec(value);
  if (match === null) throw new InvalidArgumentError('Expected available-now or interval:<ms>[:<max idle ms>].');
  return {
    type: 'interval',
    intervalMs: milliseconds(match[1]!),
    ...(match[2] === undefined ? {} : { maxIdleIntervalMs: milliseconds(match[2]) }),
  };
}

/** --from: earliest, latest, an ISO 8601 time or epoch ms, or checkpoint:<job-id>[:<batch>]. */
export function startingPosition(value: string): StartingPositionBody {
  const lower = value.toLowerCase();
  if (lower === 'earliest' || lower === 'latest') return lower;
  if (/^\d+$/.test(value)) return { type: 'timestamp', timestamp: integer({ min: 0 })(value) };
  if (/^\d{4}-\d\d-\d\dT/.test(value)) return { type: 'timestamp', timestamp: value };
  const checkpoint = /^checkpoint:([^:]+)(?::(\d+))?$/.exec(value);
  if (checkpoint !== null)
    return { type: 'checkpoint', jobId: jobId(checkpoint[1]!), ...(checkpoint[2] === undefined ? {} : { batchId: batch(checkpoint[2]) }) };
  throw new InvalidArgumentError('Expected earliest, latest, an ISO 8601 time, epoch ms or checkpoint:<job-id>[:<batch>].');
}
