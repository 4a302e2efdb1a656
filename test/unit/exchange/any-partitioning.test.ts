/**
 * The exchange path is exact whatever the partitioning: for random records spread at
 * random over 1 to 4 partitions (a key's records over several of them), cut into the
 * same random batches, a two-stage job writes the same rows in the same batches, the same
 * dead letters and the same state as a one-partition run of the same records, and, where
 * the semantics are the same, as the one-stage path (state per partition) on one
 * partition. Every key's state lives in its own key group only, and no partition holds any.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  count,
  defineJob,
  max,
  memorySink,
  memorySource,
  min,
  reduce,
  sum,
  session,
  sliding,
  tumbling,
  type OutputMode,
  type PipelineEnd,
  type Stream,
} from '../../../engine/job/index.js';
import type { JobDefinition } from '../../../engine/job/types.js';
import { runPartitioned, STREAM, type EventKind, type TestEvent } from './partitioned-runs.js';

/** A value that fails its aggregate: sum, min and max get NaN, reduce throws. */
const num = (e: TestEvent): number => (e.kind === 'bad-agg' ? Number.NaN : e.v);

/** The multiset of values, as a sorted array: commutative, and it shows every value that arrived. */
const sorted = (merge: boolean) =>
  reduce<TestEvent, number[]>({
    initial: [],
    add: (acc, e) => {
      if (e.kind === 'bad-agg') throw new Error(`bad value of event ${e.id}`);
      acc.push(e.v);
      return acc.sort((a, b) => a - b);
    },
    ...(merge ? { merge: (a: number[], b: number[]) => [...a, ...b].sort((x, y) => x - y) } : {}),
  });

/** The stages before keyBy that every case shares: a map that fails some records. */
const checked = (s: Stream<TestEvent>): Stream<TestEvent> =>
  s.map((e) => {
    if (e.kind === 'bad-map') throw new Error(`bad event ${e.id}`);
    return e;
  });

/** `copies` values of a record; only the last keeps a bad-agg kind, so the record fails part way. */
const copiesOf = (e: TestEvent, key: (i: number) => string | number): TestEvent[] =>
  Array.from({ length: e.copies }, (_, i) => ({
    ...e,
    k: key(i),
    v: e.v + i,
    kind: e.kind === 'bad-agg' && i < e.copies - 1 ? 'ok' : e.kind,
  }));

interface Case {
  readonly name: string;
  readonly pipeline: (s: Stream<TestEvent>) => PipelineEnd;
  readonly outputMode?: OutputMode;
  /**
   * The one-stage path gives the same result. Not when a record's values go to several
   * keys and one of them fails, which on the exchange path fails that value's key group
   * only (a record is atomic within a key group); nor, with a watermark, when a value
   * fails in stage 2 (no combiner): its record's event time counted in stage 1 already
   * (engine/job/exchange-stages.ts).
   */
  readonly oneStage: boolean | 'unless-a-value-fails';
  /** The aggregate has a merge: stage 1 sends a partial per key and window, not the values. */
  readonly combined?: boolean;
}

const windowed = (s: Stream<TestEvent>) =>
  checked(s)
    .withWatermark((e) => e.ts, { allowedLatenessMs: 40 })
    .keyBy((e) => e.k)
    .window(tumbling({ sizeMs: 100 }));

const watermarked = (s: Stream<TestEvent>) =>
  checked(s)
    .withWatermark((e) => e.ts, { allowedLatenessMs: 40 })
    .keyBy((e) => e.k);

const CASES: readonly Case[] = [
  {
    name: 'sliding windows, update mode (combined)',
    pipeline: (s) =>
      watermarked(s)
        .window(sliding({ sizeMs: 100, slideMs: 40 }))
        .aggregate({ n: count(), total: sum(num) }),
    oneStage: true,
    combined: true,
  },
  {
    name: 'sliding windows, append mode, reduce without merge',
    pipeline: (s) =>
      watermarked(s)
        .window(sliding({ sizeMs: 100, slideMs: 50, offsetMs: 10 }))
        .aggregate(sorted(false)),
    outputMode: 'append',
    oneStage: 'unless-a-value-fails',
  },
  {
    name: 'session windows, update mode (combined)',
    pipeline: (s) =>
      watermarked(s)
        .window(session({ gapMs: 30 }))
        .aggregate({ n: count(), hi: max(num) }),
    oneStage: true,
    combined: true,
  },
  {
    name: 'session windows, append mode (combined)',
    pipeline: (s) =>
      watermarked(s)
        .window(session({ gapMs: 30 }))
        .aggregate({ n: count(), total: sum(num) }),
    outputMode: 'append',
    oneStage: true,
    combined: true,
  },
  {
    name: 'count, sum, min and max, named (combined in stage 1)',
    pipeline: (s) =>
      checked(s)
        .keyBy((e) => e.k)
        .aggregate({ n: count(), total: sum(num), lo: min(num), hi: max(num) }),
    oneStage: true,
    combined: true,
  },
  {
    name: 'count alone (combined)',
    pipeline: (s) =>
      checked(s)
        .keyBy((e) => e.k)
        .aggregate(count()),
    oneStage: true,
    combined: true,
  },
  {
    name: 'reduce without merge (values one by one)',
    pipeline: (s) =>
      checked(s)
        .keyBy((e) => e.k)
        .aggregate(sorted(false)),
    oneStage: true,
  },
  {
    name: 'reduce with merge (combined)',
    pipeline: (s) =>
      checked(s)
        .keyBy((e) => e.k)
        .aggregate(sorted(true)),
    oneStage: true,
    combined: true,
  },
  {
    name: 'windows with a watermark, update mode (combined)',
    pipeline: (s) => windowed(s).aggregate({ n: count(), total: sum(num) }),
    oneStage: true,
    combined: true,
  },
  {
    name: 'windows with a watermark, append mode (combined)',
    pipeline: (s) => windowed(s).aggregate({ n: count(), hi: max(num) }),
    outputMode: 'append',
    oneStage: true,
    combined: true,
  },
  {
    name: 'windows with a watermark, append mode, reduce without merge',
    pipeline: (s) => windowed(s).aggregate(sorted(false)),
    outputMode: 'append',
    oneStage: 'unless-a-value-fails',
  },
  {
    name: 'flatMap, several values of one key (combined)',
    pipeline: (s) =>
      checked(s)
        .flatMap((e) => copiesOf(e, () => e.k))
        .keyBy((e) => e.k)
        .aggregate({ n: count(), total: sum(num) }),
    oneStage: true,
    combined: true,
  },
  {
    name: 'flatMap, several values of one key, reduce without merge',
    pipeline: (s) =>
      checked(s)
        .flatMap((e) => copiesOf(e, () => e.k))
        .keyBy((e) => e.k)
        .aggregate(sorted(false)),
    oneStage: true,
  },
  {
    name: 'flatMap, values of several keys, reduce without merge',
    pipeline: (s) =>
      checked(s)
        .flatMap((e) => copiesOf(e, (i) => `${e.k}/${i % 2}`))
        .keyBy((e) => e.k)
        .aggregate(sorted(false)),
    oneStage: false,
  },
];

function jobOf(c: Case, layout: { keyGroups: number } | 'partitionKey'): JobDefinition {
  return defineJob<TestEvent>({
    name: 'any-partitioning',
    version: 1,
    source: memorySource({ streamName: STREAM }),
    sink: memorySink({ name: 'out' }),
    pipeline: c.pipeline,
    outputMode: c.outputMode ?? 'update',
    maxRecordsPerPartition: 1_000,
    ...(layout === 'partitionKey' ? { keyedBy: 'partitionKey' as const } : { keyGroups: layout.keyGroups }),
  });
}

const KINDS: readonly { arbitrary: fc.Arbitrary<EventKind>; weight: number }[] = [
  { arbitrary: fc.constant('ok'), weight: 12 },
  ...(['malformed', 'bad-map', 'no-key', 'bad-ts', 'bad-agg'] as const).map((kind) => ({ arbitrary: fc.constant(kind), weight: 1 })),
];

const shapeArb = fc.record({
  k: fc.constantFrom<string | number>('a', 'b', 'é', '日本', 7),
  v: fc.integer({ min: -50, max: 50 }),
  // Event time moves on about 100 ms a batch; some values are late.
  dt: fc.integer({ min: -60, max: 160 }),
  kind: fc.oneof(...KINDS),
  copies: fc.integer({ min: 0, max: 3 }),
  partition: fc.nat(3),
});

/** Batches of events (ids in input order, two empty batches at the end so the watermark passes the last windows) and their partitions. */
const inputArb = fc
  .record({
    batches: fc.array(fc.array(shapeArb, { maxLength: 14 }), { minLength: 1, maxLength: 5 }),
    partitions: fc.integer({ min: 1, max: 4 }),
    keyGroups: fc.integer({ min: 1, max: 8 }),
    // Large values push stage 1's output over the inline limit: it goes through the exchange store.
    pad: fc.constantFrom(0, 0, 20_000),
  })
  .map(({ batches, partitions, keyGroups, pad }) => {
    let id = 0;
    const placed = new Map<number, number>();
    const events = batches.map((shapes, b) =>
      shapes.map(({ dt, partition, ...shape }): TestEvent => {
        id += 1;
        placed.set(id, partition % partitions);
        return { id, ...shape, ts: b * 100 + dt, ...(pad > 0 ? { pad: 'x'.repeat(pad) } : {}) };
      }),
    );
    return { batches: [...events, [], []], partitions, keyGroups, partitionOf: (e: TestEvent) => placed.get(e.id)! };
  });

describe('the exchange path gives the same result however records are partitioned', () => {
  for (const c of CASES) {
    it(c.name, async () => {
      let exchangeWrites = 0;
      await fc.assert(
        fc.asyncProperty(inputArb, async ({ batches, partitions, keyGroups, partitionOf }) => {
          const job = jobOf(c, { keyGroups });
          const spread = await runPartitioned(job, batches, { partitions, partitionOf });
          const one = await runPartitioned(job, batches, { partitions: 1, partitionOf: () => 0 });
          exchangeWrites += spread.exchangeWrites;
          expect(spread.writes).toEqual(one.writes);
          expect(spread.sink).toEqual(one.sink);
          expect(spread.letters).toEqual(one.letters);
          expect(spread.lateRecords).toBe(one.lateRecords);
          expect(spread.state).toEqual(one.state);
          if (c.oneStage === false) return;
          if (c.oneStage === 'unless-a-value-fails' && batches.some((events) => events.some((e) => e.kind === 'bad-agg'))) return;
          const perPartition = await runPartitioned(jobOf(c, 'partitionKey'), batches, {
            partitions: 1,
            partitionOf: () => 0,
            partitionKeys: true,
          });
          expect(spread.writes).toEqual(perPartition.writes);
          expect(spread.sink).toEqual(perPartition.sink);
          expect(spread.letters).toEqual(perPartition.letters);
          expect(spread.lateRecords).toBe(perPartition.lateRecords);
          expect(spread.state).toEqual(perPartition.state);
        }),
        { numRuns: 60 },
      );
      // Values reach both ways stage 1's output travels: inline, and through the exchange store.
      if (!c.combined) expect(exchangeWrites).toBeGreaterThan(0);
    });
  }
});
