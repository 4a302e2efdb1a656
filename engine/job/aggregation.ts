import type { SinkRow } from '../ports/sink.js';
import type { ValueGroups } from './group-of.js';
import { KeyedGroups } from './keyed-groups.js';
import { SessionGroups } from './sessions.js';
import type { PipelinePlan } from './stream.js';
import type { KeyedState, OutputMode } from './types.js';

/**
 * A keyed aggregation's state during one batch, whatever its window: KeyedGroups for a
 * running aggregate and tumbling or sliding windows (a value goes to each of its open
 * windows), SessionGroups for session windows. The one-stage run and stage 2 use it.
 */
export interface Aggregation {
  /** Adds a value to its groups (groupOf's answer, not late), in the current record's scratch. */
  add(groups: ValueGroups, value: unknown): void;
  commitRecord(): void;
  discardRecord(): void;
  finish(outputMode: OutputMode, watermarkMs: number | null): SinkRow[];
  nextDueAtWatermark(): number | null;
}

export function aggregationOf(plan: PipelinePlan, state: KeyedState): Aggregation {
  const aggregator = plan.aggregate!;
  const window = plan.window;
  if (window?.type === 'session') {
    const sessions = new SessionGroups(state, aggregator, window);
    return {
      add: (groups, value) => sessions.add(groups.key, groups.timeMs!, value),
      commitRecord: () => sessions.commitRecord(),
      discardRecord: () => sessions.discardRecord(),
      finish: (outputMode, watermarkMs) => sessions.finish(outputMode, watermarkMs),
      nextDueAtWatermark: () => sessions.nextDueAtWatermark(),
    };
  }
  const keyed = new KeyedGroups(state, aggregator, window);
  return {
    add: (groups, value) => {
      for (const windowStart of groups.windowStarts) keyed.add(groups.key, windowStart, value);
    },
    commitRecord: () => keyed.commitRecord(),
    discardRecord: () => keyed.discardRecord(),
    finish: (outputMode, watermarkMs) => keyed.finish(outputMode, watermarkMs),
    nextDueAtWatermark: () => keyed.nextDueAtWatermark(),
  };
}
