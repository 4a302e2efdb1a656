/**
 * The world of the window scenarios (windows.scenario.ts): events of a few users on two
 * partitions, event time moving on a second a record with a jump every 8 records (so
 * sessions end), some behind the newest event but in open windows, some too late, one
 * malformed record; a sliding-window and a session-window count, append mode, late
 * records to a side sink; and a model that computes, from the input alone, what the
 * sink and the late sink must hold: the engine's rules (lateness.ts) applied batch by
 * batch, written independently of the engine.
 */
import { createMemoryPorts, type MemoryPorts } from '../../engine/adapters/memory/index.js';
import { count, defineJob, memorySink, memorySource, session, sliding } from '../../engine/job/index.js';
import type { JobDefinition } from '../../engine/job/types.js';

export const STREAM = 'events';
export const PARTITIONS = ['shard-0', 'shard-1'];
/** Records per partition per batch. */
export const CAP = 10;
const RECORDS = 60;
const S = 1_000;
export const LATENESS = 5 * S;
export const SLIDING = { sizeMs: 10 * S, slideMs: 5 * S };
export const GAP = 3 * S;

export interface Event {
  readonly user: string;
  readonly ts: number;
  readonly ok: boolean;
}

/** Per partition, in order: an event and its offset, or null (a malformed record). */
export type Input = { readonly event: Event | null; readonly offset: string }[][];

export type WindowKind = 'sliding' | 'session';

export interface WindowWorld {
  readonly ports: MemoryPorts;
  readonly input: Input;
}

function eventOf(p: number, i: number, spread: boolean): Event {
  const base = i * S + Math.floor(i / 8) * 4 * S;
  // Some events are behind the newest one: a little (often still in an open window), or far (late).
  const ts = i % 7 === 3 ? base - 12 * S : i % 11 === 5 ? base - 40 * S : base;
  return { user: spread ? `u${(i + p) % 3}` : `p${p}-u${i % 3}`, ts, ok: i % 4 !== 0 };
}

/**
 * A world with the standard input appended: RECORDS events per partition, a malformed
 * record in batch 3 of partition 0. `spread`: every user's events on both partitions
 * (for key groups); else each user on one partition, its partition key (keyedBy: 'partitionKey').
 */
export function windowWorld(spread: boolean): WindowWorld {
  const ports = createMemoryPorts();
  ports.source.createStream(STREAM, PARTITIONS);
  const encoder = new TextEncoder();
  const input: Input = PARTITIONS.map((partition, p) => {
    const events: (Event | null)[] = Array.from({ length: RECORDS }, (_, i) => eventOf(p, i, spread));
    if (p === 0) events.splice(2 * CAP + 4, 0, null);
    const offsets = ports.source.append(
      STREAM,
      partition,
      events.map((e) => ({ key: e?.user ?? `p${p}-u0`, data: encoder.encode(e === null ? '{not json' : JSON.stringify(e)) })),
    );
    return events.map((event, i) => ({ event, offset: offsets[i]! }));
  });
  return { ports, input };
}

/**
 * Counts per user in sliding windows or sessions, append mode. `fixed` drops the events
 * marked not ok (before the watermark, so they neither count nor move it); `layout`:
 * key groups (two stages) or keyedBy: 'partitionKey' (one stage).
 */
export function windowJob(args: {
  readonly kind: WindowKind;
  readonly layout: 'key-groups' | 'partitions';
  readonly fixed?: boolean;
  readonly sink?: string;
  readonly lateSink?: string;
}): JobDefinition {
  return defineJob<Event>({
    name: `${args.kind}-counts`,
    version: 1,
    source: memorySource({ streamName: STREAM }),
    pipeline: (events) => {
      const kept = args.fixed ? events.filter((e) => e.ok) : events;
      const keyed = kept.withWatermark((e) => e.ts, { allowedLatenessMs: LATENESS }).keyBy((e) => e.user);
      return (args.kind === 'sliding' ? keyed.window(sliding(SLIDING)) : keyed.window(session({ gapMs: GAP }))).aggregate(count());
    },
    sink: memorySink({ name: args.sink ?? `${args.kind}-out` }),
    lateRecords: { sink: memorySink({ name: args.lateSink ?? `${args.kind}-late` }) },
    outputMode: 'append',
    trigger: { type: 'availableNow' },
    maxRecordsPerPartition: CAP,
    checkpoint: { snapshotEvery: 3, retainBatches: 50 },
    ...(args.layout === 'partitions' ? { keyedBy: 'partitionKey' as const } : { keyGroups: 4 }),
  });
}

export interface ModelRow {
  readonly batchId: number;
  readonly key: string;
  readonly value: { key: string; windowStart: number; windowEnd: number; value: number };
}

export interface ModelLate {
  readonly batchId: number;
  readonly key: string;
  readonly eventTimeMs: number;
  readonly watermarkMs: number;
}

/**
 * What the job writes, batch by batch: batch k reads each partition's records
 * [(k-1) * CAP, k * CAP); its watermark is max(previous, max event time of batches before
 * k - LATENESS); a value is late when each of its windows ended at the watermark (for a
 * session, t + GAP <= watermark); windows and sessions are written when the watermark
 * passes their end. `fixedFrom`: batches from this one on run the fixed logic.
 */
export function model(kind: WindowKind, input: Input, fixedFrom = Infinity): { rows: ModelRow[]; late: ModelLate[] } {
  const rows: ModelRow[] = [];
  const late: ModelLate[] = [];
  const windows = new Map<string, { user: string; start: number; end: number; n: number }>();
  const sessions = new Map<string, { start: number; end: number; n: number }[]>();
  let watermark: number | null = null;
  let maxEventTime: number | null = null;
  const batches = Math.ceil(Math.max(...input.map((p) => p.length)) / CAP) + 1; // and one empty batch at the end
  for (let k = 1; k <= batches; k += 1) {
    for (const [p, records] of input.entries()) {
      for (const { event, offset } of records.slice((k - 1) * CAP, k * CAP)) {
        if (event === null || (k >= fixedFrom && !event.ok)) continue;
        maxEventTime = Math.max(maxEventTime ?? -Infinity, event.ts);
        if (kind === 'sliding') {
          const starts: number[] = [];
          for (let s = Math.floor(event.ts / SLIDING.slideMs) * SLIDING.slideMs; s + SLIDING.sizeMs > event.ts; s -= SLIDING.slideMs) {
            if (watermark === null || s + SLIDING.sizeMs > watermark) starts.push(s);
          }
          if (starts.length === 0)
            late.push({ batchId: k, key: `${PARTITIONS[p]}:${offset}`, eventTimeMs: event.ts, watermarkMs: watermark! });
          for (const s of starts) {
            const key = `${event.user}#${s}`;
            const w = windows.get(key) ?? { user: event.user, start: s, end: s + SLIDING.sizeMs, n: 0 };
            windows.set(key, { ...w, n: w.n + 1 });
          }
        } else if (watermark !== null && event.ts + GAP <= watermark) {
          late.push({ batchId: k, key: `${PARTITIONS[p]}:${offset}`, eventTimeMs: event.ts, watermarkMs: watermark });
        } else {
          let merged = { start: event.ts, end: event.ts + GAP, n: 1 };
          const kept: { start: number; end: number; n: number }[] = [];
          for (const x of sessions.get(event.user) ?? []) {
            if (x.start <= merged.end && merged.start <= x.end) {
              merged = { start: Math.min(x.start, merged.start), end: Math.max(x.end, merged.end), n: x.n + merged.n };
            } else kept.push(x);
          }
          sessions.set(event.user, [...kept, merged]);
        }
      }
    }
    if (watermark !== null) {
      const wm = watermark;
      for (const [key, w] of windows) {
        if (w.end > wm) continue;
        rows.push({ batchId: k, key, value: { key: w.user, windowStart: w.start, windowEnd: w.end, value: w.n } });
        windows.delete(key);
      }
      for (const [user, list] of sessions) {
        for (const x of list.filter((s) => s.end <= wm)) {
          rows.push({ batchId: k, key: `${user}#${x.start}`, value: { key: user, windowStart: x.start, windowEnd: x.end, value: x.n } });
        }
        sessions.set(
          user,
          list.filter((s) => s.end > wm),
        );
      }
    }
    if (maxEventTime !== null) watermark = Math.max(watermark ?? -Infinity, maxEventTime - LATENESS);
  }
  return { rows, late };
}

const sorted = <V>(entries: [string, V][]): Map<string, V> => new Map(entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/** The sink as key → value; the late sink as key → [eventTimeMs, watermarkMs]; both in key order. */
export async function sinks(ports: MemoryPorts, job: JobDefinition) {
  const rows = sorted((await ports.sinks(job.sink).scan()).map((r) => [r.key, r.value as Record<string, unknown>]));
  const late = sorted((await ports.sinks(job.lateRecords!.sink).scan()).map((r) => [r.key, [r.value.eventTimeMs, r.value.watermarkMs]]));
  return { rows, late };
}

/** The model's rows as `sinks` gives them (a later row of a key replaces an earlier one, as in the sink). */
export function asSinks(expected: { rows: readonly ModelRow[]; late: readonly ModelLate[] }) {
  return {
    rows: sorted(expected.rows.map((r) => [r.key, r.value as Record<string, unknown>])),
    late: sorted(expected.late.map((l) => [l.key, [l.eventTimeMs, l.watermarkMs]])),
  };
}
