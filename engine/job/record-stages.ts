import { describeError } from '../errors.js';
import { applyLookup, type LookupContext } from './lookup.js';
import { show } from './spec-checks.js';
import type { Stage } from './stream.js';

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

/** Runs user code for a stage; anything it throws becomes that stage's failure. */
export function attempt<R>(stage: StageName, fn: () => R): R {
  try {
    return fn();
  } catch (error) {
    throw new StageFailure(stage, describeError(error));
  }
}

/** A value on its way through the stages, with the event time withWatermark gave it. */
export interface Element {
  readonly value: unknown;
  readonly eventTimeMs: number | null;
}

export interface StagesResult {
  readonly elements: Element[];
  /** Values dropped as late at the withWatermark stage. */
  readonly late: number;
  /** The highest event time that passed the withWatermark stage, or null. */
  readonly maxEventTimeMs: number | null;
}

/**
 * Applies the per-value stages to one decoded record. A record may become zero values
 * (filter, flatMap to []) or several (flatMap); each keeps the event time it was given.
 *
 * At withWatermark: a value whose event time is not a finite number fails the record
 * (stage 'eventTime'); a value whose event time is < the batch's watermark is late: it
 * is dropped and counted, and is not a failure. The event times of the values that pass
 * count towards the batch's max event time, like Spark's EventTimeWatermark operator,
 * which sees the values before any later filter. Throws StageFailure.
 */
export function applyStages(decoded: unknown, stages: readonly Stage[], watermarkMs: number | null, lookups?: LookupContext): StagesResult {
  let elements: Element[] = [{ value: decoded, eventTimeMs: null }];
  let late = 0;
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
          if (watermarkMs !== null && eventTimeMs < watermarkMs) {
            late += 1;
            break;
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
  return { elements, late, maxEventTimeMs };
}
