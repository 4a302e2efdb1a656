/**
 * What the driver does after a batch commits: a pure function of the trigger, the batch,
 * the idle streak, the child's time budget and whether a stop was requested. The Step
 * Functions driver calls it in its Finish task and routes on the answer:
 *
 *   stop       a stop was requested (the batch in flight has just committed), or an
 *              available-now job is done (availableNowDone): the execution ends
 *   continue   wait `waitMs` in the Express child, then plan the next batch
 *   handBack   return to the Standard parent, which waits `waitMs` (cheaper there for long
 *              waits) or starts a fresh child at once (the child's budget is spent)
 *   park       an interval job has been idle for `parkAfterIdleMs` (its empty batches'
 *              periods, summed): the generation ends, parked, and a scheduled check of
 *              the source starts the next one when data arrives (engine/driver/parking.ts)
 *
 * Interval triggers back off while idle: every empty batch in a row multiplies the period
 * by `idleBackoffFactor`, up to `maxIdleIntervalMs`; the first batch with records resets it.
 *
 * Available now runs batches back to back until availableNowDone: every partition was read
 * to its tail by a fresh batch, and no extra batch is due for the watermark that batch
 * advanced (Spark's no-data batch under Trigger.AvailableNow: engine/protocol/no-data-batch.ts).
 */
import { InvalidArgumentError } from '../errors.js';
import type { Trigger } from '../job/types.js';
import type { DriverSettings } from './settings.js';

/** A job instance's trigger as the driver runs it: the job's trigger, with the instance's overrides and backoff settings. */
export type DriverTrigger =
  | {
      readonly type: 'interval';
      readonly intervalMs: number;
      /** The longest period between two batches while idle (≥ intervalMs). */
      readonly maxIdleIntervalMs: number;
      readonly idleBackoffFactor: number;
    }
  | { readonly type: 'availableNow' };

/** A trigger as a job instance may set it (the API's shape): the backoff cap is optional. */
export type TriggerSettings =
  | { readonly type: 'interval'; readonly intervalMs: number; readonly maxIdleIntervalMs?: number }
  | { readonly type: 'availableNow' };

export interface NextStepInput {
  readonly trigger: DriverTrigger;
  /** The batch that has just committed. */
  readonly batch: {
    readonly records: number;
    readonly caughtUp: boolean;
    /** It was a planned-but-uncommitted batch run again (recovery), not a fresh one. */
    readonly resumed: boolean;
    /** It advanced the watermark and a batch reading nothing would have work at the new one (CommitBatchResult.noDataBatchDue). */
    readonly noDataBatchDue: boolean;
    /** When the batch started (its plan), ms since the epoch. */
    readonly startedAt: number;
  };
  readonly now: number;
  /** Empty batches in a row before this one. */
  readonly idleStreak: number;
  /** Time left of the Express child's budget at `now` (may be negative). */
  readonly budgetLeftMs: number;
  /** Waits at least this long are handed back to the parent. */
  readonly handBackAfterMs: number;
  /** Park after this much idle time (0: never). */
  readonly parkAfterIdleMs: number;
  readonly stopRequested: boolean;
}

export type StopReason = 'stopped' | 'caught-up';

export type NextStep =
  | { readonly action: 'continue'; readonly waitMs: number; readonly idleStreak: number }
  | { readonly action: 'handBack'; readonly waitMs: number; readonly idleStreak: number }
  | { readonly action: 'stop'; readonly reason: StopReason; readonly idleStreak: number }
  | { readonly action: 'park'; readonly waitMs: 0; readonly idleStreak: number };

export function nextStep(input: NextStepInput): NextStep {
  const { trigger, batch } = input;
  if (input.stopRequested) return { action: 'stop', reason: 'stopped', idleStreak: input.idleStreak };
  let waitMs = 0;
  let idleStreak = 0;
  if (trigger.type === 'availableNow') {
    if (availableNowDone(batch)) return { action: 'stop', reason: 'caught-up', idleStreak: 0 };
  } else {
    idleStreak = batch.records === 0 ? input.idleStreak + 1 : 0;
    if (shouldPark(trigger, idleStreak, batch, input.parkAfterIdleMs)) return { action: 'park', waitMs: 0, idleStreak };
    const period = periodAfter(trigger, idleStreak);
    waitMs = Math.min(period, Math.max(0, Math.ceil(batch.startedAt + period - input.now)));
  }
  const handBack = waitMs >= input.handBackAfterMs || waitMs >= input.budgetLeftMs;
  return { action: handBack ? 'handBack' : 'continue', waitMs, idleStreak };
}

/**
 * An available-now job stops after this batch when it read every partition to its tail,
 * was a fresh batch (a resumed one read a range recorded before the failure: the source
 * may hold more since), and no extra batch is due for the watermark it advanced. The extra
 * batch is fresh and caught up too, and it does not advance the watermark (it reads
 * nothing), so the check after it stops.
 */
export function availableNowDone(batch: Pick<NextStepInput['batch'], 'caughtUp' | 'resumed' | 'noDataBatchDue'>): boolean {
  return batch.caughtUp && !batch.resumed && !batch.noDataBatchDue;
}

/**
 * Past the idle backoff, the driver parks (engine/driver/parking.ts): when the empty
 * batches in a row have spanned `parkAfterIdleMs` (the sum of their periods, so the rule
 * is a pure function of the streak), the batch read every partition to its tail, was not
 * a recovery, and left no extra batch due for the watermark. Available-now jobs never
 * park (they stop when caught up); 0 turns parking off.
 */
export function shouldPark(
  trigger: Extract<DriverTrigger, { type: 'interval' }>,
  idleStreak: number,
  batch: Pick<NextStepInput['batch'], 'records' | 'caughtUp' | 'resumed' | 'noDataBatchDue'>,
  parkAfterIdleMs: number,
): boolean {
  if (parkAfterIdleMs <= 0 || batch.records > 0 || !batch.caughtUp || batch.resumed || batch.noDataBatchDue) return false;
  return idleTimeAfter(trigger, idleStreak) >= parkAfterIdleMs;
}

/** The time `idleStreak` empty batches in a row span: the sum of their periods. */
export function idleTimeAfter(trigger: Extract<DriverTrigger, { type: 'interval' }>, idleStreak: number): number {
  let total = 0;
  for (let i = 1; i <= idleStreak; i += 1) {
    const period = periodAfter(trigger, i);
    total += period;
    // Past the cap every period is the cap: the rest is a product.
    if (period >= trigger.maxIdleIntervalMs) return total + (idleStreak - i) * period;
  }
  return total;
}

/** The period between two batch starts after `idleStreak` empty batches in a row. */
export function periodAfter(trigger: Extract<DriverTrigger, { type: 'interval' }>, idleStreak: number): number {
  if (idleStreak <= 0) return trigger.intervalMs;
  // Capped exponent: factor^64 already exceeds any sensible cap, and Infinity must not leak.
  const grown = Math.ceil(trigger.intervalMs * trigger.idleBackoffFactor ** Math.min(idleStreak, 64));
  return Math.max(trigger.intervalMs, Math.min(trigger.maxIdleIntervalMs, grown));
}

/** The driver's trigger for a job: the instance's trigger when it sets one, the job's otherwise. */
export function resolveTrigger(
  jobTrigger: Trigger,
  override: TriggerSettings | undefined,
  settings: Pick<DriverSettings, 'maxIdleIntervalMs' | 'idleBackoffFactor'>,
): DriverTrigger {
  const trigger = checkTriggerSettings(override ?? jobTrigger);
  if (trigger.type === 'availableNow') return { type: 'availableNow' };
  const maxIdleIntervalMs = Math.max(trigger.intervalMs, trigger.maxIdleIntervalMs ?? settings.maxIdleIntervalMs);
  return { type: 'interval', intervalMs: trigger.intervalMs, maxIdleIntervalMs, idleBackoffFactor: settings.idleBackoffFactor };
}

/** Validates a trigger from outside (an API request, a stored job instance); the message names the field. */
export function checkTriggerSettings(value: unknown): TriggerSettings {
  const t = value as Partial<{ type: unknown; intervalMs: unknown; maxIdleIntervalMs: unknown }> | null;
  if (t === null || typeof t !== 'object') throw new InvalidArgumentError(`trigger must be an object, got ${JSON.stringify(value)}`);
  if (t.type === 'availableNow') return { type: 'availableNow' };
  if (t.type !== 'interval') {
    throw new InvalidArgumentError(`trigger.type must be "interval" or "availableNow", got ${JSON.stringify(t.type)}`);
  }
  if (typeof t.intervalMs !== 'number' || !Number.isSafeInteger(t.intervalMs) || t.intervalMs < 1) {
    throw new InvalidArgumentError(`trigger.intervalMs must be a positive integer, got ${JSON.stringify(t.intervalMs)}`);
  }
  if (t.maxIdleIntervalMs === undefined) return { type: 'interval', intervalMs: t.intervalMs };
  if (typeof t.maxIdleIntervalMs !== 'number' || !Number.isSafeInteger(t.maxIdleIntervalMs) || t.maxIdleIntervalMs < t.intervalMs) {
    throw new InvalidArgumentError(
      `trigger.maxIdleIntervalMs must be an integer ≥ trigger.intervalMs (${t.intervalMs}), got ${JSON.stringify(t.maxIdleIntervalMs)}`,
    );
  }
  return { type: 'interval', intervalMs: t.intervalMs, maxIdleIntervalMs: t.maxIdleIntervalMs };
}
