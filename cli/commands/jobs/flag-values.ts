/**
 * The values of `sluice jobs start` and `resume` flags that become fields of the request:
 * --trigger and --from. Shapes only: the API checks the figures (an interval's bounds, a
 * job id's characters) and answers 400 naming the field.
 */
import { InvalidArgumentError } from 'commander';
import type { StartingPositionBody } from '../../api-client.js';
import type { TriggerSettings } from '../../../engine/ports/job-registry.js';

/** --trigger: available-now, or interval:<ms>[:<max idle ms>]. */
export function trigger(value: string): TriggerSettings {
  if (value === 'available-now' || value === 'availableNow') return { type: 'availableNow' };
  const match = /^interval:(\d+)(?::(\d+))?$/.exec(value);
  if (match === null) throw new InvalidArgumentError('Expected available-now or interval:<ms>[:<max idle ms>].');
  return { type: 'interval', intervalMs: Number(match[1]), ...(match[2] === undefined ? {} : { maxIdleIntervalMs: Number(match[2]) }) };
}

/** --from: earliest, latest, an ISO 8601 time or epoch ms, or checkpoint:<job-id>[:<batch>]. */
export function startingPosition(value: string): StartingPositionBody {
  const lower = value.toLowerCase();
  if (lower === 'earliest' || lower === 'latest') return lower;
  if (/^\d+$/.test(value)) return { type: 'timestamp', timestamp: Number(value) };
  if (/^\d{4}-\d\d-\d\dT/.test(value)) return { type: 'timestamp', timestamp: value };
  const checkpoint = /^checkpoint:([^:]+)(?::(\d+))?$/.exec(value);
  if (checkpoint !== null)
    return { type: 'checkpoint', jobId: checkpoint[1]!, ...(checkpoint[2] === undefined ? {} : { batchId: Number(checkpoint[2]) }) };
  throw new InvalidArgumentError('Expected earliest, latest, an ISO 8601 time, epoch ms or checkpoint:<job-id>[:<batch>].');
}
