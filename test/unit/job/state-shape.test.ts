/** The state-shape fingerprint of a job (engine/job/state-shape.ts). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  count,
  defineJob,
  dynamoDbSink,
  kinesisSource,
  listState,
  mapState,
  max,
  memorySink,
  memorySource,
  reduce,
  session,
  sliding,
  sum,
  tumbling,
  valueState,
  type JobSpec,
} from '../../../engine/job/index.js';
import { canonicalJson, fingerprintOf } from '../../../engine/job/state-shape.js';

type Pipeline = JobSpec['pipeline'];

function fingerprint(pipeline: Pipeline, extra: Partial<JobSpec> = {}): string {
  return defineJob({
    name: 'totals',
    version: 1,
    source: memorySource({ streamName: 'orders' }),
    pipeline,
    sink: memorySink({ name: 'out' }),
    ...extra,
  }).stateShape;
}

const perMinute: Pipeline = (s) =>
  s
    .withWatermark((e) => e.ts, { allowedLatenessMs: 1_000 })
    .keyBy((e) => e.customer)
    .window(tumbling({ sizeMs: 60_000 }))
    .aggregate({ total: sum((e) => e.amount), orders: count() });

describe('the state-shape fingerprint', () => {
  it('is 16 hex digits, the same for every definition of the same job, in this process and in any other', () => {
    const first = fingerprint(perMinute);
    expect(first).toMatch(/^[0-9a-f]{16}$/);
    expect(fingerprint(perMinute)).toBe(first);
    // Pinned: the SHA-256 of canonical JSON (printf %s {"state":"none"} | sha256sum) does not depend on the process or the run.
    expect(fingerprintOf({ state: 'none' })).toBe(fingerprintOf(JSON.parse('{"state":"none"}')));
    expect(fingerprint((s) => s.map((e) => e))).toBe(fingerprintOf({ state: 'none' }));
    expect(fingerprintOf({ state: 'none' })).toBe('998e95740d313845');
  });

  it('does not depend on the order of named aggregates or of state variables (property)', () => {
    const kinds = { c: () => count(), s: () => sum((e: any) => e.n), m: () => max((e: any) => e.n) } as const;
    const named = fc.uniqueArray(fc.tuple(fc.constantFrom('a', 'b', 'c', 'views', 'total', 'n'), fc.constantFrom('c', 's', 'm')), {
      minLength: 1,
      maxLength: 5,
      selector: ([name]) => name,
    });
    fc.assert(
      fc.property(named, fc.infiniteStream(fc.nat()), (entries, random) => {
        const shuffled = [...entries].sort(() => (random.next().value % 3) - 1);
        const spec = (list: typeof entries) => Object.fromEntries(list.map(([name, kind]) => [name, kinds[kind]()]));
        const a = fingerprint((s) => s.keyBy((e) => e.k).aggregate(spec(entries)));
        const b = fingerprint((s) => s.keyBy((e) => e.k).aggregate(spec(shuffled)));
        expect(b).toBe(a);
      }),
      { numRuns: 50 },
    );
    const vars = (order: 'ab' | 'ba') =>
      fingerprint((s) =>
        s
          .keyBy((e) => e.k)
          .process({
            state:
              order === 'ab' ? { a: valueState<number>(), b: listState<number>() } : { b: listState<number>(), a: valueState<number>() },
            onValue() {},
          }),
      );
    expect(vars('ba')).toBe(vars('ab'));
    expect(canonicalJson({ b: [1, { d: 1, c: 2 }], a: null })).toBe('{"a":null,"b":[1,{"c":2,"d":1}]}');
  });

  it('changes when what is stored changes: an aggregate added, renamed or of another kind', () => {
    const base = fingerprint((s) => s.keyBy((e) => e.k).aggregate({ views: count() }));
    const changed = [
      fingerprint((s) => s.keyBy((e) => e.k).aggregate({ views: count(), bytes: sum((e) => e.n) })),
      fingerprint((s) => s.keyBy((e) => e.k).aggregate({ pageViews: count() })),
      fingerprint((s) => s.keyBy((e) => e.k).aggregate({ views: sum((e) => e.n) })),
      fingerprint((s) => s.keyBy((e) => e.k).aggregate(count())),
      fingerprint((s) => s.keyBy((e) => e.k).aggregate({ views: reduce({ initial: 0, add: (a: number) => a + 1 }) })),
      fingerprint((s) => s.map((e) => e)),
    ];
    expect(new Set([base, ...changed]).size).toBe(changed.length + 1);
  });

  it('changes with the window: another size, slide, offset, gap or type, or none', () => {
    const windowed = (w: any) =>
      fingerprint((s) =>
        s
          .keyBy((e) => e.k)
          .window(w)
          .aggregate(count()),
      );
    const all = [
      windowed(tumbling({ sizeMs: 60_000 })),
      windowed(tumbling({ sizeMs: 30_000 })),
      windowed(tumbling({ sizeMs: 60_000, offsetMs: 1_000 })),
      windowed(sliding({ sizeMs: 60_000, slideMs: 30_000 })),
      windowed(sliding({ sizeMs: 60_000, slideMs: 20_000 })),
      windowed(session({ gapMs: 60_000 })),
      windowed(session({ gapMs: 30_000 })),
      fingerprint((s) => s.keyBy((e) => e.k).aggregate(count())),
    ];
    expect(new Set(all).size).toBe(all.length);
  });

  it('changes when the keyed operator is swapped, or a state variable is added, renamed or of another kind', () => {
    const withWatermark = (s: any) => s.withWatermark((e: any) => e.ts, { allowedLatenessMs: 0 });
    const processWith = (state: any) => fingerprint((s) => s.keyBy((e) => e.k).process({ state, onValue() {} }));
    const all = [
      fingerprint((s) => withWatermark(s).dropDuplicatesWithinWatermark((e: any) => e.id)),
      fingerprint((s) => s.dropDuplicates((e) => e.id, { ttlMs: 1_000 })),
      fingerprint((s) => {
        const timed = withWatermark(s);
        return timed
          .keyBy((e: any) => e.k)
          .intervalJoin(
            timed.keyBy((e: any) => e.k),
            { lowerMs: 0, upperMs: 1 },
            (a: any) => a,
          );
      }),
      processWith({ last: valueState() }),
      processWith({ last: valueState(), seen: listState() }),
      processWith({ latest: valueState() }),
      processWith({ last: mapState() }),
      processWith(undefined),
      fingerprint((s) => s.keyBy((e) => e.k).aggregate(count())),
    ];
    expect(new Set(all).size).toBe(all.length);
  });

  it('does not change with what does not change state: functions, sinks, the source, lateness, TTLs, join bounds, trigger, layout', () => {
    const base = fingerprint(perMinute);
    expect(
      fingerprint(
        (s) =>
          s
            .filter((e) => e.amount > 0)
            .map((e) => ({ ...e, customer: e.customerId }))
            .withWatermark((e) => e.time, { allowedLatenessMs: 30_000 })
            .keyBy((e) => e.customer.toLowerCase())
            .window(tumbling({ sizeMs: 60_000 }))
            .aggregate({ orders: count(), total: sum((e) => e.amount * 100) }),
        {
          source: kinesisSource({ streamName: 'other-orders' }),
          sink: dynamoDbSink({ tableName: 'order-totals' }),
          outputMode: 'append',
          trigger: { type: 'availableNow' },
          keyGroups: 32,
        },
      ),
    ).toBe(base);
    expect(fingerprint(perMinute, { keyedBy: 'partitionKey' })).toBe(base);
    const ttl = (ttlMs: number) =>
      fingerprint((s) => s.keyBy((e) => e.k).process({ state: { last: valueState({ ttlMs }) }, onValue() {} }));
    expect(ttl(1_000)).toBe(ttl(60_000));
    const dedup = (ttlMs: number) => fingerprint((s) => s.dropDuplicates((e) => e.id, { ttlMs }));
    expect(dedup(1_000)).toBe(dedup(60_000));
  });
});
