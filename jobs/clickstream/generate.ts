/**
 * A deterministic synthetic clickstream for the demo, the benchmarks and the
 * exactly-once tests, with the expected result computed from the input alone.
 *
 * The stream is partitioned by user, as a producer that keys records by user id would
 * write it: event i goes to partition `i mod partitions` and its user is one of that
 * partition's users (user index ≡ partition, mod partitions), while its page is any of the
 * site's pages. So every page's views arrive on every partition, and counting views per
 * page needs key groups (docs/key-groups.md), the classic group-by on a key the producer
 * did not partition by. One event every `spacingMs` of event time, round-robin: every
 * partition advances through event time at the same pace, and the watermark a batch sees
 * is never far from the event time of its records.
 * That makes every event's fate independent of where batches happen to be cut:
 *
 *   ok          on time
 *   late        up to `lateByMs` behind, well within the allowed lateness: always counted
 *   too-late    `tooLateByMs` behind, far beyond the allowed lateness plus a batch's span
 *               of event time: always dropped (only emitted once the stream is long enough)
 *   malformed   not JSON: always a dead letter ('decode')
 *   no-page     JSON without a page: always a dead letter ('map')
 *
 * The margins hold while one batch covers less event time than
 * `allowedLatenessMs - lateByMs` (see DEMO_SETTINGS and expectedCounts' check).
 */
export type EventKind = 'ok' | 'late' | 'too-late' | 'malformed' | 'no-page';

export interface GeneratedEvent {
  readonly partitionIndex: number;
  /** The record's partition key: the user the producer partitions by. */
  readonly user: string;
  readonly page: string | null;
  readonly eventTimeMs: number;
  readonly kind: EventKind;
  readonly payload: string;
}

export interface ClickstreamSettings {
  readonly events: number;
  readonly partitions: number;
  /** Pages of the site, shared by all partitions. */
  readonly pages: number;
  /** Users per partition. */
  readonly usersPerPartition: number;
  readonly startMs: number;
  /** Event time between consecutive events (a fraction is fine: 0.25 is 4,000 events a second). */
  readonly spacingMs: number;
  /**
   * Pad each well-formed record with a `pad` field to about this many bytes of JSON (a
   * stream of 1 KB records, as the cost meter's load); none when absent or smaller.
   */
  readonly payloadBytes?: number;
  readonly seed: number;
  readonly lateByMs: number;
  readonly tooLateByMs: number;
  /** Fractions of events of each unusual kind. */
  readonly lateShare: number;
  readonly tooLateShare: number;
  readonly malformedShare: number;
  readonly noPageShare: number;
}

export const DEFAULT_CLICKSTREAM: ClickstreamSettings = {
  events: 60_000,
  partitions: 4,
  pages: 24,
  usersPerPartition: 25,
  startMs: Date.UTC(2026, 10, 1, 12, 0, 0),
  spacingMs: 5,
  seed: 42,
  lateByMs: 8_000,
  tooLateByMs: 150_000,
  lateShare: 0.03,
  tooLateShare: 0.01,
  malformedShare: 0.004,
  noPageShare: 0.002,
};

/** mulberry32: a small, fast, seeded PRNG (values in [0, 1)). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function pageName(n: number): string {
  return `/page-${n}`;
}

/** User n of partition `partitionIndex`: the partition is the user's index mod the partition count. */
export function userName(partitionIndex: number, n: number, partitions: number): string {
  return `u${partitionIndex + n * partitions}`;
}

export function generateClickstream(settings: ClickstreamSettings = DEFAULT_CLICKSTREAM): GeneratedEvent[] {
  const rnd = seededRandom(settings.seed);
  const events: GeneratedEvent[] = [];
  // Too-late events only once the stream is long enough for the watermark to have passed them.
  const tooLateFrom = settings.startMs + settings.tooLateByMs;
  for (let i = 0; i < settings.events; i += 1) {
    const partitionIndex = i % settings.partitions;
    const now = settings.startMs + Math.floor(i * settings.spacingMs);
    const page = pageName(Math.floor(rnd() * settings.pages));
    const user = userName(partitionIndex, Math.floor(rnd() * settings.usersPerPartition), settings.partitions);
    const roll = rnd();
    let kind: EventKind = 'ok';
    let eventTimeMs = now;
    let cut = settings.malformedShare;
    if (roll < cut) kind = 'malformed';
    else if (roll < (cut += settings.noPageShare)) kind = 'no-page';
    else if (roll < (cut += settings.tooLateShare) && now >= tooLateFrom) {
      kind = 'too-late';
      eventTimeMs = now - settings.tooLateByMs;
    } else if (roll < (cut += settings.lateShare)) {
      kind = 'late';
      eventTimeMs = now - Math.floor(rnd() * settings.lateByMs);
    }
    const payload =
      kind === 'malformed'
        ? `{"page":"${page}","ts":${eventTimeMs}` // truncated JSON
        : padded(kind === 'no-page' ? { user, ts: eventTimeMs } : { page, user, ts: eventTimeMs }, settings.payloadBytes ?? 0);
    events.push({ partitionIndex, user, page: kind === 'no-page' || kind === 'malformed' ? null : page, eventTimeMs, kind, payload });
  }
  return events;
}

/** The record as JSON, with a `pad` field that brings it to `bytes` when it is shorter. */
function padded(record: Record<string, unknown>, bytes: number): string {
  const json = JSON.stringify(record);
  const room = bytes - json.length - ',"pad":""'.length;
  return room > 0 ? JSON.stringify({ ...record, pad: 'x'.repeat(room) }) : json;
}

/**
 * Throws unless every event's fate is independent of where batches are cut: a batch must
 * span less event time than the gap between the allowed lateness and the too-late lag,
 * less a window (a value is late only once its window has ended at the watermark), and
 * late events must lag less than the allowed lateness.
 */
export function assertUnambiguous(
  settings: ClickstreamSettings,
  job: { maxRecordsPerPartition: number; allowedLatenessMs: number; windowMs: number },
): void {
  const batchSpanMs = job.maxRecordsPerPartition * settings.partitions * settings.spacingMs;
  if (settings.lateByMs >= job.allowedLatenessMs) {
    throw new Error(`late events (${settings.lateByMs} ms) must lag less than the allowed lateness (${job.allowedLatenessMs} ms)`);
  }
  if (batchSpanMs + job.allowedLatenessMs + job.windowMs >= settings.tooLateByMs) {
    throw new Error(
      `a batch spans ${batchSpanMs} ms of event time: with ${job.allowedLatenessMs} ms of lateness and ${job.windowMs} ms windows, ` +
        `too-late events (${settings.tooLateByMs} ms) might be counted; lower maxRecordsPerPartition`,
    );
  }
}

export interface ExpectedResult {
  /** Count per sink row key (`<page>#<windowStart>`). */
  readonly counts: Map<string, number>;
  readonly deadLetters: number;
  readonly tooLate: number;
  readonly counted: number;
}

/** The expected sink, computed from the generated events alone (no engine code involved). */
export function expectedCounts(events: readonly GeneratedEvent[], windowMs: number, by: 'page' | 'user' = 'page'): ExpectedResult {
  const counts = new Map<string, number>();
  let deadLetters = 0;
  let tooLate = 0;
  let counted = 0;
  for (const e of events) {
    if (e.kind === 'malformed' || e.kind === 'no-page') deadLetters += 1;
    else if (e.kind === 'too-late') tooLate += 1;
    else {
      const windowStart = Math.floor(e.eventTimeMs / windowMs) * windowMs;
      const key = `${by === 'page' ? e.page : e.user}#${windowStart}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      counted += 1;
    }
  }
  return { counts, deadLetters, tooLate, counted };
}
