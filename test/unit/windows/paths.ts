/**
 * Runs a windowed job on the test harness both ways a keyed job runs: in one stage per
 * partition (keyedBy: 'partitionKey', each record's partition key its word) and in two
 * stages through key groups and the exchange (records spread over the partitions
 * whatever their key).
 */
import { defineJob, memorySink, memorySource, type JobSpec } from '../../../engine/job/index.js';
import type { JobDefinition } from '../../../engine/job/types.js';
import { createTestHarness, type HarnessBatch, type TestHarness } from '../../../engine/testing/harness.js';

export interface WordEvent {
  readonly word: string;
  readonly ts: number;
}

export const PATHS = [
  { name: "one stage (keyedBy: 'partitionKey')", keyedBy: 'partitionKey' as const },
  { name: 'two stages (key groups and the exchange)', keyedBy: undefined },
] as const;

export type Path = (typeof PATHS)[number];

/** 12:mm (and :ss) on 2026-01-01 UTC, the clock of Spark's documentation examples. */
export function at(hh: number, mm: number, ss = 0): number {
  return Date.UTC(2026, 0, 1, hh, mm, ss);
}

type Spec = Pick<JobSpec<WordEvent>, 'pipeline'> & Partial<Pick<JobSpec<WordEvent>, 'outputMode' | 'lateRecords' | 'decode'>>;

export function wordJob(path: Path, spec: Spec): JobDefinition {
  return defineJob<WordEvent>({
    name: 'words',
    version: 1,
    source: memorySource({ streamName: 'words' }),
    sink: memorySink({ name: 'word-counts' }),
    maxRecordsPerPartition: 10_000,
    ...spec,
    ...(path.keyedBy === undefined ? { keyGroups: 4 } : { keyedBy: path.keyedBy }),
  } as JobSpec<WordEvent>);
}

export interface PathRun {
  readonly t: TestHarness;
  /** Appends the events (each a record) and runs one batch. */
  batch(events?: readonly WordEvent[]): Promise<HarnessBatch>;
}

const PARTITIONS = ['p0', 'p1'];

export function runOn(path: Path, job: JobDefinition): PathRun {
  const t = createTestHarness(job, { partitions: PARTITIONS });
  let n = 0;
  return {
    t,
    async batch(events = []) {
      for (const e of events) {
        n += 1;
        // One stage: a word's records all on one partition, keyed by the word. Two stages: anywhere.
        const partition = path.keyedBy === undefined ? PARTITIONS[n % 2]! : PARTITIONS[e.word.length % 2]!;
        t.addRecords([e], { partition, key: path.keyedBy === undefined ? `r${n}` : e.word });
      }
      return t.runBatch();
    },
  };
}

/** hh:mm (hh:mm:ss when not on the minute) of a time, UTC. */
export function clock(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.endsWith(':00.000Z') ? iso.slice(11, 16) : iso.slice(11, 19);
}

/** Rows as `word start-end=value`, sorted: e.g. `dog 12:00-12:10=3`. */
export function windowCounts(rows: readonly { value: Record<string, unknown> }[]): string[] {
  return rows
    .map(({ value: v }) => `${String(v.key)} ${clock(v.windowStart as number)}-${clock(v.windowEnd as number)}=${String(v.value)}`)
    .sort();
}
