import { StateCorruptionError } from '../errors.js';
import type { JsonValue } from '../json.js';
import type { SinkRow } from '../ports/sink.js';
import type { Aggregator } from './aggregates.js';
import { cloneJson } from './json-values.js';
import { attempt, StageFailure } from './record-stages.js';
import type { OutputMode, KeyedState } from './types.js';
import type { FixedWindow } from './windows.js';

export type GroupKey = string | number;

interface Group {
  readonly key: GroupKey;
  /** The window's start, or null for a running aggregate without a window. */
  readonly windowStart: number | null;
  readonly acc: JsonValue;
}

/**
 * State key of a group: JSON.stringify([key]) or JSON.stringify([key, windowStart]).
 * JSON keeps the key's type and escapes it, so no two groups share a state key
 * ("a#1" in window 2 and "a" in window "1#2" cannot meet; 42 and "42" differ).
 */
export function stateKeyOf(key: GroupKey, windowStart: number | null): string {
  return JSON.stringify(windowStart === null ? [key] : [key, windowStart]);
}

/** The group key of a state key of this layout, as a string; null when it is not one. */
export function groupKeyOfStateKey(stateKey: string, windowed: boolean): string | null {
  try {
    return String(parseStateKey(stateKey, windowed).key);
  } catch {
    return null;
  }
}

/** The group key of a state key (`[key]` or `[key, windowStart]`) with its type, or null when it is not one. */
export function keyOfStateKey(stateKey: string): GroupKey | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stateKey);
  } catch {
    return null;
  }
  if (!Array.isArray(parsed) || parsed.length < 1 || parsed.length > 2) return null;
  const key: unknown = parsed[0];
  return typeof key === 'string' || typeof key === 'number' ? key : null;
}

function parseStateKey(stateKey: string, windowed: boolean): { key: GroupKey; windowStart: number | null } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stateKey);
  } catch {
    parsed = undefined;
  }
  if (Array.isArray(parsed) && parsed.length === (windowed ? 2 : 1)) {
    const [key, windowStart] = parsed as unknown[];
    if ((typeof key === 'string' || typeof key === 'number') && (!windowed || typeof windowStart === 'number')) {
      return { key, windowStart: windowed ? (windowStart as number) : null };
    }
  }
  const shape = windowed ? '[key, windowStart]' : '[key]';
  throw new StateCorruptionError(`state key ${stateKey} is not a ${shape} group key of this pipeline`);
}

/**
 * The groups one batch updates, over the partition's KeyedState.
 *
 * Updates are staged per record: a record's values are added to a scratch copy of the
 * groups it touches, which replaces them only when the whole record succeeded. A record
 * that fails at 'aggregate' half way through leaves no trace. `finish` writes the
 * accumulators to state, evicts closed windows and returns the batch's rows.
 */
export class KeyedGroups {
  /** Groups that received a value in this batch, by state key. */
  private readonly touched = new Map<string, Group>();
  private pending = new Map<string, Group>();

  constructor(
    private readonly state: KeyedState,
    private readonly aggregator: Aggregator,
    private readonly window: FixedWindow | undefined,
  ) {}

  /**
   * Adds one value to its group, in the current record's scratch (stage 'aggregate').
   * Returns the group's state key (stateKeyOf), which stage 1 files the group's last offset under.
   */
  add(key: GroupKey, windowStart: number | null, value: unknown): string {
    const stateKey = stateKeyOf(key, windowStart);
    const current = this.pending.get(stateKey) ?? this.touched.get(stateKey);
    let acc: JsonValue;
    if (current !== undefined) {
      acc = current.acc;
    } else {
      const stored = this.state.get(stateKey);
      acc = stored === undefined ? attempt('aggregate', () => this.aggregator.initial()) : cloneJson(stored);
    }
    const next = attempt('aggregate', () => this.aggregator.add(acc, value));
    this.pending.set(stateKey, { key, windowStart, acc: next });
    return stateKey;
  }

  /**
   * Merges a partial accumulator into its group (stage 2 of a two-stage batch, where
   * stage 1 combined a partition's values): the aggregator's merge, stage 'aggregate'.
   */
  merge(key: GroupKey, windowStart: number | null, partial: JsonValue): void {
    const merge = this.aggregator.merge;
    if (merge === undefined) throw new StageFailure('aggregate', 'this aggregate has no merge: its values cannot arrive combined');
    const stateKey = stateKeyOf(key, windowStart);
    const current = this.pending.get(stateKey) ?? this.touched.get(stateKey);
    const stored = current === undefined ? this.state.get(stateKey) : undefined;
    const next =
      current === undefined && stored === undefined
        ? cloneJson(partial)
        : attempt('aggregate', () => merge(current?.acc ?? cloneJson(stored!), cloneJson(partial)));
    this.pending.set(stateKey, { key, windowStart, acc: next });
  }

  /** The groups this batch touched so far, in the order first touched (stage 1's combined values). */
  partials(): { key: GroupKey; windowStart: number | null; acc: JsonValue }[] {
    return [...this.touched.values()].map(({ key, windowStart, acc }) => ({ key, windowStart, acc }));
  }

  /**
   * After finish: the lowest watermark at which this state next has a window to evict
   * (the earliest window end held), or null when it holds none (no window, or no state).
   */
  nextDueAtWatermark(): number | null {
    if (this.window === undefined) return null;
    let due: number | null = null;
    for (const stateKey of this.state.entries()) {
      const end = (parseStateKey(stateKey[0], true).windowStart as number) + this.window.sizeMs;
      if (due === null || end < due) due = end;
    }
    return due;
  }

  commitRecord(): void {
    for (const [stateKey, group] of this.pending) this.touched.set(stateKey, group);
    this.pending.clear();
  }

  discardRecord(): void {
    this.pending.clear();
  }

  /**
   * Ends the batch (Spark's StateStoreSaveExec):
   * 1. every touched group's accumulator is written to state;
   * 2. update mode: one row per touched group, with its absolute value; a group that
   *    received a value is emitted even if the value came out the same, as in Spark;
   * 3. windows whose end <= the batch's watermark are evicted from state. In append
   *    mode this is the one and only time they are emitted: a value whose windows have
   *    all ended is late and dropped upstream, and a sliding window's value only goes to
   *    its windows still open (lateness.ts), so a closed window can never change again.
   * The watermark is the plan's (`watermarkMs`), never one derived inside the batch, so
   * a re-run evicts and emits exactly the same windows.
   */
  finish(outputMode: OutputMode, watermarkMs: number | null): SinkRow[] {
    const rows: SinkRow[] = [];
    for (const [stateKey, group] of this.touched) {
      this.state.put(stateKey, group.acc);
      if (outputMode === 'update') rows.push(this.row(group));
    }
    if (this.window !== undefined && watermarkMs !== null) {
      const evicted: Group[] = [];
      for (const [stateKey, acc] of [...this.state.entries()]) {
        const { key, windowStart } = parseStateKey(stateKey, true);
        if ((windowStart as number) + this.window.sizeMs <= watermarkMs) {
          evicted.push({ key, windowStart, acc });
          this.state.delete(stateKey);
        }
      }
      if (outputMode === 'append') for (const group of evicted) rows.push(this.row(group));
    }
    return rows;
  }

  private row(group: Group): SinkRow {
    const fields = this.aggregator.fields(cloneJson(group.acc));
    if (group.windowStart === null || this.window === undefined) {
      return { key: `${group.key}`, value: Object.fromEntries([['key', group.key], ...fields]) };
    }
    const windowEnd = group.windowStart + this.window.sizeMs;
    return {
      key: `${group.key}#${group.windowStart}`,
      value: Object.fromEntries([['key', group.key], ['windowStart', group.windowStart], ['windowEnd', windowEnd], ...fields]),
    };
  }
}
