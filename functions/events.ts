/**
 * Checks of the events the state machines send the functions. A bad event is a clear
 * InvalidArgumentError naming the field (not retried: the same event fails the same way).
 */
import type { DriverTrigger } from '../engine/driver/next-step.js';
import type { DriverInfo, EndGenerationInput, ExecuteTaskInput, FinishTaskInput, LoopState, PlannedBatch, StartGenerationInput } from '../engine/driver/tasks.js';
import { InvalidArgumentError } from '../engine/errors.js';
import type { JsonValue } from '../engine/json.js';
import type { PartitionResult } from '../engine/protocol/batch-records.js';

type Obj = Record<string, unknown>;

export function startGenerationEvent(event: unknown): StartGenerationInput {
  const e = object(event, 'event');
  return { jobId: string(e, 'jobId'), generation: integer(e, 'generation', 1) };
}

export function planEvent(event: unknown): { driver: DriverInfo } {
  return { driver: driver(object(event, 'event')) };
}

export function executeEvent(event: unknown): ExecuteTaskInput {
  const e = object(event, 'event');
  return { driver: driver(e), batchId: integer(e, 'batchId', 1), partition: string(e, 'partition') };
}

export function finishEvent(event: unknown): FinishTaskInput {
  const e = object(event, 'event');
  const batch = object(e.batch, 'batch') as unknown as PlannedBatch;
  integer(batch as unknown as Obj, 'batchId', 1, 'batch.');
  integer(batch as unknown as Obj, 'startedAt', 0, 'batch.');
  if (typeof batch.resumed !== 'boolean') throw bad('batch.resumed', 'a boolean', batch.resumed);
  if (!Array.isArray(e.results)) throw bad('results', 'an array of partition results', e.results);
  const results = e.results.map((r, i) => {
    const result = object(r, `results[${i}]`);
    string(result, 'partition', `results[${i}].`);
    object(result.end, `results[${i}].end`);
    return result as unknown as PartitionResult;
  });
  const loop = object(e.loop, 'loop');
  integer(loop, 'idleStreak', 0, 'loop.');
  return { driver: driver(e), batch, results, loop: loop as unknown as LoopState, childStartedAt: string(e, 'childStartedAt') };
}

export function endGenerationEvent(event: unknown): EndGenerationInput {
  const e = object(event, 'event');
  const outcome = e.outcome;
  if (outcome !== 'stop' && outcome !== 'fenced' && outcome !== 'failed') throw bad('outcome', '"stop", "fenced" or "failed"', outcome);
  const optional = (name: string) => (e[name] === undefined || e[name] === null ? undefined : string(e, name));
  const reason = optional('reason');
  const error = optional('error');
  const cause = optional('cause');
  if (e.retryable !== undefined && typeof e.retryable !== 'boolean') throw bad('retryable', 'a boolean', e.retryable);
  return {
    jobId: string(e, 'jobId'),
    generation: integer(e, 'generation', 1),
    outcome,
    ...(reason === undefined ? {} : { reason }),
    ...(error === undefined ? {} : { error }),
    ...(cause === undefined ? {} : { cause }),
    ...(typeof e.retryable === 'boolean' ? { retryable: e.retryable } : {}),
  };
}

function driver(e: Obj): DriverInfo {
  const d = object(e.driver, 'driver');
  const trigger = object(d.trigger, 'driver.trigger');
  if (trigger.type !== 'interval' && trigger.type !== 'availableNow') throw bad('driver.trigger.type', '"interval" or "availableNow"', trigger.type);
  if (trigger.type === 'interval') {
    integer(trigger, 'intervalMs', 1, 'driver.trigger.');
    integer(trigger, 'maxIdleIntervalMs', 1, 'driver.trigger.');
    if (typeof trigger.idleBackoffFactor !== 'number') throw bad('driver.trigger.idleBackoffFactor', 'a number', trigger.idleBackoffFactor);
  }
  return {
    jobId: string(d, 'jobId', 'driver.'),
    jobName: string(d, 'jobName', 'driver.'),
    parameters: object(d.parameters, 'driver.parameters') as Record<string, JsonValue>,
    trigger: trigger as unknown as DriverTrigger,
    generation: integer(d, 'generation', 1, 'driver.'),
    epoch: integer(d, 'epoch', 1, 'driver.'),
  };
}

function object(value: unknown, field: string): Obj {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw bad(field, 'an object', value);
  return value as Obj;
}

function string(o: Obj, name: string, prefix = ''): string {
  const value = o[name];
  if (typeof value !== 'string' || value.length === 0) throw bad(`${prefix}${name}`, 'a non-empty string', value);
  return value;
}

function integer(o: Obj, name: string, min: number, prefix = ''): number {
  const value = o[name];
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) throw bad(`${prefix}${name}`, `an integer ≥ ${min}`, value);
  return value;
}

function bad(field: string, expected: string, got: unknown): InvalidArgumentError {
  const shown = got === undefined ? 'nothing' : JSON.stringify(got)?.slice(0, 200);
  return new InvalidArgumentError(`bad event: ${field} must be ${expected}, got ${shown}`, { context: { field } });
}
