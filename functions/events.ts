/**
 * The events the state machines send the functions, as zod schemas. A bad event is a clear
 * InvalidArgumentError naming each bad field ("bad event: driver.epoch must be an integer
 * ≥ 1, got "one""), not retried: the same event fails the same way.
 *
 * Objects the driver's own tasks produced and only pass back (a planned batch, partition
 * results) are checked where the functions rely on them, and their other fields are
 * carried through as they came.
 */
import { z } from 'zod';
import type {
  EndGenerationInput,
  ExecuteGroupsTaskInput,
  ExecuteTaskInput,
  FinishTaskInput,
  PlannedBatch,
  PlanTaskInput,
  RouteTaskInput,
  StartGenerationInput,
} from '../engine/driver/tasks.js';
import type { JsonValue } from '../engine/json.js';
import type { GroupResult, PartitionResult } from '../engine/protocol/batch-records.js';
import { expecting, isPlainObject, parse, type ParseOptions } from '../engine/validation.js';

const EVENT: ParseOptions = { name: 'event', absent: 'nothing', prefix: 'bad event: ' };

const nonEmpty = () => expecting('a non-empty string', z.string().min(1));
const integer = (min: number) => expecting(`an integer ≥ ${min}`, z.number().int().min(min));

const trigger = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('interval'), intervalMs: integer(1), maxIdleIntervalMs: integer(1), idleBackoffFactor: z.number() }),
  z.looseObject({ type: z.literal('availableNow') }),
]);

const driver = z.object({
  jobId: nonEmpty(),
  jobName: nonEmpty(),
  parameters: expecting('an object', z.custom<Readonly<Record<string, JsonValue>>>(isPlainObject)),
  trigger,
  generation: integer(1),
  epoch: integer(1),
});

const StartGenerationEvent = z.object({ jobId: nonEmpty(), generation: integer(1) });

export function startGenerationEvent(event: unknown): StartGenerationInput {
  return parse(StartGenerationEvent, event, EVENT);
}

// The loop and the child's start let Plan skip an empty trigger; a child of an older definition sends neither.
const PlanEvent = z.object({
  driver,
  loop: z.looseObject({ idleStreak: integer(0) }).optional(),
  childStartedAt: nonEmpty().optional(),
});

export function planEvent(event: unknown): PlanTaskInput {
  return parse(PlanEvent, event, EVENT);
}

const ExecuteEvent = z.object({ driver, batchId: integer(1), partition: nonEmpty() });

export function executeEvent(event: unknown): ExecuteTaskInput {
  return parse(ExecuteEvent, event, EVENT);
}

/** Stage 1's (or the one stage's) partition results, passed back: the fields the functions read are checked, the rest carried. */
const partitionResults = expecting(
  'an array of partition results',
  z.array(
    z.looseObject({ partition: nonEmpty(), end: z.looseObject({}), exchange: z.looseObject({ index: z.looseObject({}) }).optional() }),
  ),
);

const keyGroup = integer(0);

/** A planned batch, passed back: its id and what Finish reads are checked, the rest carried. */
const plannedBatch = z.looseObject({ batchId: integer(1), startedAt: integer(0), resumed: z.boolean() });

const FinishEvent = z.object({
  driver,
  batch: plannedBatch,
  results: partitionResults,
  // Stage 2's results, one array per slot. A child started by a definition older than the
  // two-stage path sends none: its batches run in one stage.
  groupResults: expecting(
    'an array of arrays of key group results',
    z.array(z.array(z.looseObject({ group: keyGroup, stateVersion: integer(0) }))),
  ).default([]),
  loop: z.object({ idleStreak: integer(0) }),
  childStartedAt: nonEmpty(),
});

export function finishEvent(event: unknown): FinishTaskInput {
  const e = parse(FinishEvent, event, EVENT);
  return {
    ...e,
    batch: e.batch as unknown as PlannedBatch,
    results: e.results as unknown as PartitionResult[],
    groupResults: e.groupResults as unknown as GroupResult[][],
  };
}

const RouteEvent = z.object({
  driver,
  // Route reads the plan's key groups and due groups.
  batch: plannedBatch.extend({
    jobId: nonEmpty(),
    twoStage: z.boolean(),
    keyGroups: integer(1).optional(),
    dueGroups: expecting('an array of key groups', z.array(keyGroup)).optional(),
  }),
  results: partitionResults,
});

export function routeEvent(event: unknown): RouteTaskInput {
  const e = parse(RouteEvent, event, EVENT);
  return { ...e, batch: e.batch as unknown as PlannedBatch, results: e.results as unknown as PartitionResult[] };
}

const ExecuteGroupsEvent = z.object({
  driver,
  batchId: integer(1),
  groups: expecting('a non-empty array of key groups', z.array(keyGroup).min(1)),
  stageOne: partitionResults,
});

export function executeGroupsEvent(event: unknown): ExecuteGroupsTaskInput {
  const e = parse(ExecuteGroupsEvent, event, EVENT);
  return { ...e, stageOne: e.stageOne as unknown as PartitionResult[] };
}

/** Absent and null are the same: the state machine writes null for a field it has no value for. */
const optionalText = nonEmpty()
  .nullish()
  .transform((value) => value ?? undefined);

const EndGenerationEvent = z.object({
  jobId: nonEmpty(),
  generation: integer(1),
  outcome: z.enum(['stop', 'fenced', 'failed', 'park']),
  /** The last committed batch, when the generation parks. */
  batchId: integer(0).optional(),
  reason: optionalText,
  error: optionalText,
  cause: optionalText,
  retryable: z.boolean().optional(),
});

export function endGenerationEvent(event: unknown): EndGenerationInput {
  const { reason, error, cause, retryable, batchId, ...e } = parse(EndGenerationEvent, event, EVENT);
  return {
    ...e,
    ...(batchId === undefined ? {} : { batchId }),
    ...(reason === undefined ? {} : { reason }),
    ...(error === undefined ? {} : { error }),
    ...(cause === undefined ? {} : { cause }),
    ...(retryable === undefined ? {} : { retryable }),
  };
}
