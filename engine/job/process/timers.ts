/**
 * Timers of a keyed process function: Flink's TimerService, per key.
 *
 * - `ctx.timers.registerEventTimeTimer(t)` fires once the batch's watermark >= t (Flink's
 *   rule: "when the current watermark is advanced up to or beyond the timestamp of the
 *   timer"); `registerProcessingTimeTimer(t)` once the batch's time (its plan's time,
 *   `ctx.timeMs`) >= t. A timer already due when registered fires in the same batch.
 * - One timer per (domain, timestamp) per key, as Flink: registering it again changes
 *   nothing, deleting one that is not there changes nothing.
 * - Timestamps are epoch milliseconds, safe integers; anything else fails the handler.
 * - Timers live in the key's state (key-state.ts), so they survive batches, crashes and
 *   replays exactly as state does (Flink checkpoints them with the state).
 *
 * Method names are Flink's TimerService's (Spark's StatefulProcessorHandle has one
 * registerTimer, as a query has one time mode there).
 */
import type { KeyData } from './key-state.js';

export type TimeDomain = 'eventTime' | 'processingTime';

/** The timer a call of `onTimer` is for (Flink's OnTimerContext.timeDomain() and timestamp; Spark's ExpiredTimerInfo). */
export interface Timer {
  readonly domain: TimeDomain;
  readonly timestampMs: number;
}

/** `ctx.timers`: the current key's timers. */
export interface TimerService {
  registerEventTimeTimer(timestampMs: number): void;
  registerProcessingTimeTimer(timestampMs: number): void;
  deleteEventTimeTimer(timestampMs: number): void;
  deleteProcessingTimeTimer(timestampMs: number): void;
  /** The key's registered timers, event time first, each domain ascending (Spark's listTimers). */
  list(): Timer[];
}

export function timerService(data: KeyData): TimerService {
  const check = (method: string, t: unknown): number => {
    if (typeof t !== 'number' || !Number.isSafeInteger(t)) {
      throw new TypeError(`timers.${method}() takes epoch milliseconds (a safe integer), got ${String(t)}`);
    }
    return t;
  };
  return Object.freeze({
    registerEventTimeTimer: (t: number) => void data.eventTimers.add(check('registerEventTimeTimer', t)),
    registerProcessingTimeTimer: (t: number) => void data.processingTimers.add(check('registerProcessingTimeTimer', t)),
    deleteEventTimeTimer: (t: number) => void data.eventTimers.delete(check('deleteEventTimeTimer', t)),
    deleteProcessingTimeTimer: (t: number) => void data.processingTimers.delete(check('deleteProcessingTimeTimer', t)),
    list: (): Timer[] => [
      ...[...data.eventTimers].sort((a, b) => a - b).map((timestampMs) => ({ domain: 'eventTime' as const, timestampMs })),
      ...[...data.processingTimers].sort((a, b) => a - b).map((timestampMs) => ({ domain: 'processingTime' as const, timestampMs })),
    ],
  });
}

/** Whether a key's timer is due in a batch with this watermark and time. */
export function isDue(domain: TimeDomain, timestampMs: number, watermarkMs: number | null, timeMs: number): boolean {
  return domain === 'eventTime' ? watermarkMs !== null && watermarkMs >= timestampMs : timeMs >= timestampMs;
}

/** A due timer of one key, waiting to fire. */
export interface DueTimer extends Timer {
  readonly stateKey: string;
}

/**
 * The due timers of a key group in firing order: event-time timers first, then
 * processing-time ones; within a domain by timestamp, ties by state key (code-unit
 * order): deterministic, whatever order the keys were seen in. Timers a handler registers
 * while firing that are already due join the queue in their place.
 */
export class DueTimers {
  private readonly queue: DueTimer[] = [];
  private readonly queued = new Set<string>();

  /** Adds the key's due timers not queued yet. */
  addDue(stateKey: string, data: KeyData, watermarkMs: number | null, timeMs: number): void {
    for (const t of data.eventTimers)
      if (isDue('eventTime', t, watermarkMs, timeMs)) this.add({ stateKey, domain: 'eventTime', timestampMs: t });
    for (const t of data.processingTimers) {
      if (isDue('processingTime', t, watermarkMs, timeMs)) this.add({ stateKey, domain: 'processingTime', timestampMs: t });
    }
  }

  /** The next timer to fire, or undefined when none is left. */
  next(): DueTimer | undefined {
    const timer = this.queue.shift();
    if (timer !== undefined) this.queued.delete(idOf(timer));
    return timer;
  }

  private add(timer: DueTimer): void {
    const id = idOf(timer);
    if (this.queued.has(id)) return;
    this.queued.add(id);
    let lo = 0;
    let hi = this.queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compare(this.queue[mid]!, timer) <= 0) lo = mid + 1;
      else hi = mid;
    }
    this.queue.splice(lo, 0, timer);
  }
}

function idOf(timer: DueTimer): string {
  return `${timer.domain}@${timer.timestampMs}@${timer.stateKey}`;
}

function compare(a: DueTimer, b: DueTimer): number {
  if (a.domain !== b.domain) return a.domain === 'eventTime' ? -1 : 1;
  if (a.timestampMs !== b.timestampMs) return a.timestampMs - b.timestampMs;
  return a.stateKey < b.stateKey ? -1 : a.stateKey > b.stateKey ? 1 : 0;
}
