import { describeError } from '../errors.js';
import { isJsonObject, type JsonValue } from '../json.js';
import type { SinkRow } from '../ports/sink.js';
import { lateByWatermark, operatorStateKey, valueId } from './dedup.js';
import { cloneJson, toJson } from './json-values.js';
import type { KeyedOperator, KeyedOperatorOutcome, KeyedValueFailure } from './keyed-operator.js';
import { formatMs } from './spec-checks.js';

/**
 * The interval join (`KeyedStream.intervalJoin`, stream.ts): Flink's interval join of two
 * keyed streams (KeyedStream.intervalJoin(...).between(lower, upper), IntervalJoinOperator),
 * Spark's stream-stream inner join with an event-time range condition. The user's page is
 * docs/operators/dedup-and-joins.md.
 *
 * A left value l and a right value r join when they have the same key and
 *
 *     l.t + lowerMs <= r.t <= l.t + upperMs
 *
 * both bounds inclusive, as Flink's by default (its docs: "orangeElem.ts + lowerBound <=
 * greenElem.ts <= orangeElem.ts + upperBound"). Inner join only: a value that never finds
 * a partner writes nothing (outer joins are not offered).
 *
 * Both inputs come from the job's one source and share its one watermark. State: one entry
 * per key, `[key]` → { l: [...], r: [...] }, each side's buffered values as
 * [eventTime, partition, offset, index, value]. Values are applied in order (a key group's
 * values partition by partition in the plan's order, each partition's in record order):
 * each new value joins every buffered value of the other side that it matches (values of
 * the same batch applied before it included) and is then buffered itself, so each pair is
 * emitted exactly once, when its second value arrives.
 *
 * Cleanup by the watermark: a left value can still be joined by a right value that is not
 * late (r.t >= watermark) while watermark <= l.t + upperMs; a right value by a left one
 * while watermark <= r.t - lowerMs. Each is removed once the watermark passes that bound
 * (watermark > bound), and the key group is due without input then. Flink keeps a value
 * until its watermark reaches max(l.t + upper, l.t) (a right: max(r.t - lower, r.t)),
 * IntervalJoinOperator's cleanup timers: here the bound is the pair condition's own, which
 * frees values sooner when upperMs < 0 (or lowerMs > 0), and is strict because a value at
 * exactly the watermark is not late here (Flink's timers fire at watermark >= bound, its
 * watermark meaning no more values at or below it).
 *
 * Late values (event time < the batch's watermark) are dropped before the join, counted,
 * and never joined: Flink's rule (IntervalJoinOperator.isLate: timestamp < watermark; it
 * can send them to a side output). Spark drops rows with event time <= its watermark.
 *
 * The join function runs once per pair with copies of the two values (as JSON: they may
 * have crossed the exchange). Its result is the row's value (a JSON object as is, anything
 * else as `{ value }`), keyed by the two values' ids `${lp}:${lo}:${li}|${rp}:${ro}:${ri}`.
 * A join function that throws, or returns something that is not JSON, fails the arriving
 * value (its record's dead letter at stage 'join'): none of its pairs are written and it
 * is not buffered, as if it had never arrived.
 */
export interface IntervalJoinBounds {
  readonly lowerMs: number;
  readonly upperMs: number;
}

export type JoinFunction = (left: unknown, right: unknown) => unknown;

/** A buffered value: [event time, partition, offset, index, value]. */
type Buffered = [number, string, string, number, JsonValue];

interface Buffers {
  l: Buffered[];
  r: Buffered[];
}

export function intervalJoinOperator(bounds: IntervalJoinBounds, join: JoinFunction): KeyedOperator {
  const { lowerMs, upperMs } = bounds;
  /** The watermark after which a value of `side` can no longer be joined. */
  const lastUseful = (side: 0 | 1, t: number) => (side === 0 ? t + upperMs : t - lowerMs);

  return Object.freeze<KeyedOperator>({
    description: `intervalJoin(${signed(lowerMs)}, ${signed(upperMs)})`,
    stateShape: 'intervalJoin',
    inputs: 2 as const,
    isLate: lateByWatermark,
    apply({ values, state, watermarkMs }): KeyedOperatorOutcome {
      const rows: SinkRow[] = [];
      const failures: KeyedValueFailure[] = [];
      const touched = new Map<string, Buffers>();
      const added = new Set<string>();
      const buffersOf = (key: string): Buffers => {
        let buffers = touched.get(key);
        if (buffers === undefined) {
          const stored = state.get(key) as unknown as Buffers | undefined;
          buffers = stored === undefined ? { l: [], r: [] } : { l: [...stored.l], r: [...stored.r] };
          touched.set(key, buffers);
        }
        return buffers;
      };

      for (const value of values) {
        const key = operatorStateKey(value.key);
        const buffers = buffersOf(key);
        const t = value.eventTimeMs!;
        const others = value.side === 0 ? buffers.r : buffers.l;
        const pairs: SinkRow[] = [];
        try {
          for (const other of others) {
            const [lt, rt] = value.side === 0 ? [t, other[0]] : [other[0], t];
            if (rt < lt + lowerMs || rt > lt + upperMs) continue;
            const [left, right] = value.side === 0 ? [value.value, other[4]] : [other[4], value.value];
            const otherId = `${other[1]}:${other[2]}:${other[3]}`;
            const id = value.side === 0 ? `${valueId(value)}|${otherId}` : `${otherId}|${valueId(value)}`;
            const result = toJson(join(cloneJson(left), cloneJson(right)), 'the join function’s result');
            pairs.push({ key: id, value: isJsonObject(result) ? result : { value: result } });
          }
        } catch (error) {
          failures.push({ value, stage: 'join', reason: describeError(error) });
          continue;
        }
        for (const row of pairs) rows.push(row);
        (value.side === 0 ? buffers.l : buffers.r).push([t, value.partition, value.offset, value.index, value.value]);
        added.add(key);
      }

      // Cleanup: every buffered value the watermark has passed, in every key of the group.
      let dueAtWatermarkMs: number | null = null;
      const keys = new Set([...[...state.entries()].map(([key]) => key), ...touched.keys()]);
      for (const key of keys) {
        const buffers = buffersOf(key);
        const keep = (side: 0 | 1) => (entry: Buffered) => watermarkMs === null || watermarkMs <= lastUseful(side, entry[0]);
        const kept: Buffers = { l: buffers.l.filter(keep(0)), r: buffers.r.filter(keep(1)) };
        if (kept.l.length === 0 && kept.r.length === 0) {
          if (state.get(key) !== undefined) state.delete(key);
          continue;
        }
        if (added.has(key) || kept.l.length !== buffers.l.length || kept.r.length !== buffers.r.length) {
          state.put(key, kept as unknown as JsonValue);
        }
        for (const entry of kept.l) dueAtWatermarkMs = Math.min(dueAtWatermarkMs ?? Infinity, firstAbove(lastUseful(0, entry[0])));
        for (const entry of kept.r) dueAtWatermarkMs = Math.min(dueAtWatermarkMs ?? Infinity, firstAbove(lastUseful(1, entry[0])));
      }
      return { rows, failures, dueAtWatermarkMs, dueAtMs: null };
    },
  });
}

/** The first whole millisecond above `bound`: the watermark at which a value last useful at `bound` is removed. */
function firstAbove(bound: number): number {
  return Math.floor(bound) + 1;
}

function signed(ms: number): string {
  return ms < 0 ? `-${formatMs(-ms)}` : `+${formatMs(ms)}`;
}
