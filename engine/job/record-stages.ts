import { describeError } from '../errors.js';
import { applyLookup, type LookupContext } from './lookup.js';
import { show } from './spec-checks.js';
import type { Stage } from './stream.js';
import { isThenable, thenableReason, ThenableResult } from './synchronous.js';

/** The stage names a RecordFailure carries. */
export type StageName = 'decode' | 'map' | 'filter' | 'flatMap' | 'keyBy' | 'eventTime' | 'aggregate' | 'output' | 'lookup';

/** A record failed at a stage: it is skipped as a whole and becomes a dead letter. */
export class StageFailure extends Error {
  constructor(
    readonly stage: StageName,
    readonly reason: string,
  ) {
    super(`${stage}: ${reason}`);
  }
}

/**
 * Runs user code for a stage; anything it throws becomes that stage's failure, and so does
 * a Promise or another thenable it returns ("returned a Promise: ...": synchronous.ts).
 */
export function attempt<R>(stage: StageName, fn: () => R): R {
  let result: R;
  try {
    result = fn();
  } catch (error) {
    throw new StageFailure(stage, error instanceof ThenableResult ? error.message : describeError(error));
  }
  if (isThenable(result)) throw new StageFailure(stage, thenableReason(result));
  return result;
}

/** A value on its way through the stages, with the event time withWatermark gave it. */
export interface Element {
  readonly value: unknown;
  readonly eventTimeMs: number | null;
}

export interface StagesResult {
  readonly elements: Element[];
  /** The highest event time seen at the withWatermark stage, or null. */
  readonly maxEventTimeMs: number | null;
}

/**
 * Applies the per-value stages to one decoded record. A record may become zero values
 * (filter, flatMap to []) or several (flatMap); each keeps the event time it was given.
 *
 * At withWatermark: a value whose event time is not a finite number fails the record
 * (stage 'eventTime'); every other value passes with its event time, which counts towards
 * the batch's max event time, like Spark's EventTimeWatermark operator, which sees the
 * values before any later filter. withWatermark drops nothing: whether a value is late
 * is the stateful operator's decision (lateness.ts), as in Spark, where the watermark
 * only bounds state. Throws StageFailure.
 */
export function applyStages(decoded: unknown, stages: readonly Stage[], lookups?: LookupContext): StagesResult {
  let elements: Element[] = [{ value: decoded, eventTimeMs: null }];
  let maxEventTimeMs: number | null = null;
  for (const stage of stages) {
    const next: Element[] = [];
    for (const element of elements) {
      switch (stage.kind) {
        case 'map':
          next.push({ value: attempt('map', () => stage.fn(element.value)), eventTimeMs: element.eventTimeMs });
          break;
        case 'filter':
          if (attempt('filter', () => stage.fn(element.value))) next.push(element);
          break;
        case 'flatMap': {
          const values = attempt('flatMap', () => stage.fn(element.value));
          if (!Array.isArray(values)) {
            throw new StageFailure('flatMap', `flatMap() must return an array, got ${show(values)}`);
          }
          for (const value of values) next.push({ value, eventTimeMs: element.eventTimeMs });
          break;
        }
        case 'withWatermark': {
          const eventTimeMs = attempt('eventTime', () => stage.fn(element.value));
          if (typeof eventTimeMs !== 'number' || !Number.isFinite(eventTimeMs)) {
            const problem = `the event time must be a finite number of epoch milliseconds, got ${show(eventTimeMs)}`;
            throw new StageFailure('eventTime', problem);
          }
          maxEventTimeMs = maxEventTimeMs === null ? eventTimeMs : Math.max(maxEventTimeMs, eventTimeMs);
          next.push({ value: element.value, eventTimeMs });
          break;
        }
        case 'lookup': {
          // The batch's resolved lookup values (engine/job/lookup.ts): no I/O here.
          const result = applyLookup(stage, element.value, lookups);
          if ('failure' in result) throw new StageFailure('lookup', result.failure);
          for (const value of result.values) next.push({ value, eventTimeMs: element.eventTimeMs });
          break;
        }
      }
    }
    elements = next;
  }
  return { elements, maxEventTimeMs };
}
