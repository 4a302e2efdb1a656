/**
 * Session windows per key (Spark's session_window, Flink's EventTimeSessionWindows): a
 * value at event time t opens the session [t, t + gap); a key's sessions that overlap or
 * touch (a.start <= b.end and b.start <= a.end, as Flink's TimeWindow.intersects and as
 * Spark merges [25, 35) and [30, 40) and [40, 50) into [25, 50)) merge into one, their
 * accumulators combined with the aggregate's merge. A value that bridges two sessions
 * merges them. A session is [its first event, its last event + gap).
 *
 * State layout: one entry per key, state key JSON.stringify([key]) (the running
 * aggregate's layout, so keyOfStateKey gives the key and key-group routing, a shard's
 * state division and migrations work unchanged), holding the key's open sessions in start
 * order: [{ s: start, e: end, a: accumulator }, ...].
 *
 * Output (finish):
 *   append  a session is written once, when the watermark passes its end (end <=
 *           watermark), and evicted; a value is late when t + gap <= watermark
 *           (lateness.ts), so an emitted session never receives a value of its own again.
 *   update  every session that received a value (or absorbed another) in the batch is
 *           written, keyed `${key}#${start}`, with its absolute value. When a session
 *           later merges into one that starts earlier, the row of the absorbed session
 *           stays in the sink as it was last written: the sink has no retraction. Spark
 *           refuses update mode for session windows for this reason (SPARK-36463); Flink's
 *           DataStream API emits only on the watermark (like append). Use append for one
 *           final row per session; update for early results, reading the newest row of
 *           each key whose [windowStart, windowEnd) covers the others.
 *   Sessions whose end <= watermark are evicted in both modes.
 *
 * Updates are staged per record, as KeyedGroups does: a record that fails half way leaves
 * no trace. Results do not depend on the order values arrive in (within the allowed
 * lateness) when the aggregate's merge is commutative and associative (count, sum, min,
 * max and named ones of those); the accumulators of overlapping sessions are merged in
 * start order, so a merge that is only associative still gives one result per order of
 * start times.
 */
import { StateCorruptionError } from '../errors.js';
import type { JsonValue } from '../json.js';
import type { SinkRow } from '../ports/sink.js';
import type { Aggregator } from './aggregates.js';
import { cloneJson } from './json-values.js';
import type { GroupKey } from './keyed-groups.js';
import { stateKeyOf } from './keyed-groups.js';
import { attempt, StageFailure } from './record-stages.js';
import type { KeyedState, OutputMode } from './types.js';
import type { SessionWindow } from './windows.js';

interface Session {
  readonly s: number;
  readonly e: number;
  readonly a: JsonValue;
  /** Received a value or absorbed a session in this batch (never stored). */
  readonly touched: boolean;
}

interface KeySessions {
  readonly key: GroupKey;
  readonly sessions: readonly Session[];
}

/** A session as stage 1 sends it to its key group: the partition's merged values. */
export interface SessionPartial {
  readonly key: GroupKey;
  readonly start: number;
  readonly end: number;
  readonly acc: JsonValue;
}

export class SessionGroups {
  /** Keys whose sessions changed in this batch, by state key. */
  private readonly touched = new Map<string, KeySessions>();
  private pending = new Map<string, KeySessions>();
  private readonly mergeFn: (a: JsonValue, b: JsonValue) => JsonValue;

  constructor(
    private readonly state: KeyedState,
    private readonly aggregator: Aggregator,
    private readonly window: SessionWindow,
  ) {
    if (aggregator.merge === undefined) {
      // defineJob refuses this (stream.ts); a hand-built plan must not get this far either.
      throw new TypeError('a session window needs an aggregate with a merge');
    }
    this.mergeFn = aggregator.merge;
  }

  /** Adds a value at time t: the session [t, t + gap), merged with those it overlaps (stage 'aggregate'). */
  add(key: GroupKey, t: number, value: unknown): void {
    const acc = attempt('aggregate', () => this.aggregator.add(this.aggregator.initial(), value));
    this.insert(key, { s: t, e: t + this.window.gapMs, a: acc, touched: true });
  }

  /** Merges a session stage 1 combined from a partition's values (stage 2 of a two-stage batch). */
  merge(key: GroupKey, start: number, end: number, partial: JsonValue): void {
    if (!Number.isFinite(start) || !Number.isFinite(end) || end < start) {
      throw new StageFailure('aggregate', `a session must have start <= end, got [${start}, ${end})`);
    }
    this.insert(key, { s: start, e: end, a: cloneJson(partial), touched: true });
  }

  /**
   * Merges a key's stored sessions from elsewhere (a replay's regroup, when partitions
   * kept shares of one key: engine/replay/regroup-entries.ts), session by session.
   */
  mergeStored(key: GroupKey, stored: JsonValue): void {
    let sessions: Session[];
    try {
      sessions = parseSessions(stateKeyOf(key, null), stored);
    } catch (error) {
      throw new StageFailure('aggregate', (error as Error).message);
    }
    for (const x of sessions) this.insert(key, { ...x, touched: true });
  }

  private insert(key: GroupKey, session: Session): void {
    const stateKey = stateKeyOf(key, null);
    const current = (this.pending.get(stateKey) ?? this.touched.get(stateKey) ?? this.stored(stateKey, key)).sessions;
    const overlapping = current.filter((x) => x.s <= session.e && session.s <= x.e);
    const rest = current.filter((x) => !(x.s <= session.e && session.s <= x.e));
    const parts = [...overlapping, session].sort((x, y) => x.s - y.s || x.e - y.e);
    let merged = parts[0]!;
    for (const next of parts.slice(1)) {
      const a = attempt('aggregate', () => this.mergeFn(cloneJson(merged.a), cloneJson(next.a)));
      merged = { s: Math.min(merged.s, next.s), e: Math.max(merged.e, next.e), a, touched: true };
    }
    const sessions = [...rest, merged].sort((x, y) => x.s - y.s);
    this.pending.set(stateKey, { key, sessions });
  }

  private stored(stateKey: string, key: GroupKey): KeySessions {
    const value = this.state.get(stateKey);
    return { key, sessions: value === undefined ? [] : parseSessions(stateKey, value) };
  }

  commitRecord(): void {
    for (const [stateKey, sessions] of this.pending) this.touched.set(stateKey, sessions);
    this.pending = new Map();
  }

  discardRecord(): void {
    this.pending = new Map();
  }

  /** The sessions this batch changed, by key in the order first touched (stage 1's combined values). */
  partials(): SessionPartial[] {
    return [...this.touched.values()].flatMap(({ key, sessions }) =>
      sessions.filter((x) => x.touched).map((x) => ({ key, start: x.s, end: x.e, acc: x.a })),
    );
  }

  /** After finish: the lowest watermark at which a session held ends (is due), or null when none is held. */
  nextDueAtWatermark(): number | null {
    let due: number | null = null;
    for (const [stateKey, value] of this.state.entries()) {
      for (const x of parseSessions(stateKey, value)) if (due === null || x.e < due) due = x.e;
    }
    return due;
  }

  /**
   * Ends the batch: the changed keys' sessions are written to state; update mode writes a
   * row per session that changed; sessions whose end <= watermark are evicted (append
   * mode writes them then, once).
   */
  finish(outputMode: OutputMode, watermarkMs: number | null): SinkRow[] {
    const rows: SinkRow[] = [];
    for (const [stateKey, { key, sessions }] of this.touched) {
      this.state.put(stateKey, storedForm(sessions));
      if (outputMode === 'update') for (const x of sessions) if (x.touched) rows.push(this.row(key, x));
    }
    if (watermarkMs === null) return rows;
    for (const [stateKey, value] of [...this.state.entries()]) {
      const sessions = parseSessions(stateKey, value);
      const closed = sessions.filter((x) => x.e <= watermarkMs);
      if (closed.length === 0) continue;
      const open = sessions.filter((x) => x.e > watermarkMs);
      if (open.length === 0) this.state.delete(stateKey);
      else this.state.put(stateKey, storedForm(open));
      if (outputMode === 'append') {
        const key = keyOf(stateKey);
        for (const x of closed) rows.push(this.row(key, x));
      }
    }
    return rows;
  }

  private row(key: GroupKey, x: Session): SinkRow {
    const fields = this.aggregator.fields(cloneJson(x.a));
    return {
      key: `${key}#${x.s}`,
      value: Object.fromEntries([['key', key], ['windowStart', x.s], ['windowEnd', x.e], ...fields]),
    };
  }
}

function storedForm(sessions: readonly Session[]): JsonValue {
  return sessions.map(({ s, e, a }) => ({ s, e, a }));
}

function keyOf(stateKey: string): GroupKey {
  return (JSON.parse(stateKey) as [GroupKey])[0];
}

/** A stored entry's sessions; StateCorruptionError when it is not this layout's. */
function parseSessions(stateKey: string, value: JsonValue): Session[] {
  if (Array.isArray(value)) {
    const sessions: Session[] = [];
    for (const item of value) {
      if (typeof item !== 'object' || item === null || Array.isArray(item)) break;
      const { s, e, a } = item;
      if (typeof s !== 'number' || typeof e !== 'number' || a === undefined) break;
      sessions.push({ s, e, a: cloneJson(a), touched: false });
    }
    if (sessions.length === value.length) return sessions;
  }
  throw new StateCorruptionError(`state entry ${stateKey} is not a list of sessions [{ s, e, a }] of a session window`);
}
