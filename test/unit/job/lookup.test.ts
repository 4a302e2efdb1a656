/**
 * The lookup stage (engine/job/lookup.ts, engine/job/lookup-keys.ts): its checks at
 * defineJob, its semantics over resolved values, and the keys it asks the executor for.
 * Joins as Flink's lookup join (inner, or LEFT JOIN ... FOR SYSTEM_TIME AS OF) and
 * Spark's stream-static join (inner, left outer) define them, with the values fixed per
 * batch instead of read when the record passes.
 */
import { describe, expect, it } from 'vitest';
import { TrackedState } from '../../../engine/executor/tracked-state.js';
import { InvariantError, JobSpecError } from '../../../engine/errors.js';
import type { JsonObject } from '../../../engine/json.js';
import { count, dynamoDbTable, type Stream } from '../../../engine/job/index.js';
import type { LookupValues } from '../../../engine/job/lookup.js';
import type { CompiledPipeline } from '../../../engine/job/types.js';
import { lookupKeyId, type LookupKey } from '../../../engine/ports/lookup-table.js';
import type { SourceRecord } from '../../../engine/ports/source-reader.js';
import { job, recs } from './harness.js';

const customers = dynamoDbTable({ tableName: 'customers', key: 'customerId' });
const regions = dynamoDbTable({ tableName: 'regions', key: 'regionId' });

function values(tables: Record<string, [LookupKey, JsonObject | null][]>): LookupValues {
  return new Map(Object.entries(tables).map(([table, items]) => [table, new Map(items.map(([k, item]) => [lookupKeyId(k), item]))]));
}

function run(pipeline: CompiledPipeline, records: readonly SourceRecord[], lookups: LookupValues) {
  return pipeline.run({
    records,
    state: new TrackedState(new Map()),
    watermarkMs: null,
    timeMs: 0,
    batchId: 1,
    partition: 'shard-0',
    lookups,
  });
}

/** Resolves every lookup stage in order from `tables`, as the executor does, and returns the keys each asked for. */
function resolve(pipeline: CompiledPipeline, records: readonly SourceRecord[], tables: Record<string, Record<string, JsonObject>>) {
  const resolved = new Map<string, Map<string, JsonObject | null>>();
  const asked: LookupKey[][] = [];
  for (const stage of pipeline.lookups!.stages) {
    const keys = pipeline.lookups!.keysFor({ records, values: resolved, stage });
    asked.push(keys);
    const known = resolved.get(stage.table.tableName) ?? new Map();
    for (const key of keys) known.set(lookupKeyId(key), tables[stage.table.tableName]?.[String(key)] ?? null);
    resolved.set(stage.table.tableName, known);
  }
  return { resolved, asked };
}

describe('lookup(): checks at defineJob', () => {
  const define = (build: () => unknown) => () =>
    job({
      pipeline: (events) => {
        build();
        return events;
      },
    });
  const attempt = (table: unknown, options: unknown) => () =>
    job({ pipeline: (events) => (events.lookup.bind(events) as (t: unknown, o: unknown) => typeof events)(table, options) });
  const options = { key: (v: { c: string }) => v.c, join: 'left', select: (v: unknown) => v };

  it.each([
    [
      'a table name DynamoDB refuses',
      () => dynamoDbTable({ tableName: 'a', key: 'id' }),
      /dynamoDbTable\(\)\.tableName must be a DynamoDB table name/,
    ],
    ['an empty key attribute', () => dynamoDbTable({ tableName: 'customers', key: '' }), /dynamoDbTable\(\)\.key must be/],
    ['attributes that are not names', () => dynamoDbTable({ tableName: 'customers', key: 'id', attributes: [''] }), /\.attributes must be/],
    [
      'a field it does not know',
      () => dynamoDbTable({ tableName: 'customers', key: 'id', sortKey: 'x' } as never),
      /\.sortKey is not a lookup table field/,
    ],
  ])('refuses %s, naming the field', (_, build, message) => {
    expect(define(build)).toThrow(JobSpecError);
    expect(define(build)).toThrow(message);
  });

  it.each([
    ['a join other than inner or left', { ...options, join: 'right' }, /lookup\(\)\.join must be 'inner' or 'left', got "right"/],
    ['a missing join', { key: options.key, select: options.select }, /lookup\(\)\.join must be/],
    ['a key that is not a function', { ...options, key: 'c' }, /lookup\(\)\.key/],
    ['a missing select', { key: options.key, join: 'inner' }, /lookup\(\)\.select/],
    ['an option it does not know', { ...options, cache: true }, /lookup\(\)\.cache is not a lookup option/],
  ])('refuses %s, naming the field', (_, given, message) => {
    expect(attempt(customers, given)).toThrow(JobSpecError);
    expect(attempt(customers, given)).toThrow(message);
  });

  it('refuses a table that is not a table spec', () => {
    expect(attempt({ tableName: 'customers' }, options)).toThrow(/lookup\(\) table\.key must be/);
    expect(attempt('customers', options)).toThrow(/lookup\(\) table must be an object/);
  });

  it('describes the stage in the pipeline description, and compiles no lookup plan for a pipeline without one', () => {
    const withLookup = job({ pipeline: (events) => events.lookup(customers, { ...options, join: 'inner' } as never).map((v) => v) });
    expect(withLookup.pipeline.description).toBe('decode(json) > lookup(customers, inner) > map');
    expect(withLookup.pipeline.lookups?.stages.map((s) => s.table.tableName)).toEqual(['customers']);
    expect(job({ pipeline: (events) => events.map((v) => v) }).pipeline.lookups).toBeUndefined();
  });
});

describe('lookup(): semantics over the batch resolved values', () => {
  const records = recs([
    { order: 'o1', c: 'c1' },
    { order: 'o2', c: 'c2' },
    { order: 'o3', c: 'c1' },
  ]);
  const resolved = values({
    customers: [
      ['c1', { customerId: 'c1', tier: 'gold' }],
      ['c2', null],
    ],
  });

  it('an inner join drops values whose key has no item (Flink lookup join, Spark inner stream-static join)', () => {
    const pipeline = job({
      pipeline: (events) =>
        events.lookup(customers, { key: (o: { c: string }) => o.c, join: 'inner', select: (o, c) => ({ ...o, tier: c.tier ?? null }) }),
    }).pipeline;
    const outcome = run(pipeline, records, resolved);
    expect(outcome.failures).toEqual([]);
    expect(outcome.rows.map((r) => r.value)).toEqual([
      { order: 'o1', c: 'c1', tier: 'gold' },
      { order: 'o3', c: 'c1', tier: 'gold' },
    ]);
  });

  it('a left join keeps them, select receiving undefined (Flink LEFT JOIN ... FOR SYSTEM_TIME AS OF, Spark left outer)', () => {
    const seen: unknown[] = [];
    const pipeline = job({
      pipeline: (events) =>
        events.lookup(customers, {
          key: (o: { c: string }) => o.c,
          join: 'left',
          select: (o, c) => {
            seen.push(c);
            return { order: o.order, tier: c?.tier ?? 'none' };
          },
        }),
    }).pipeline;
    expect(run(pipeline, records, resolved).rows.map((r) => r.value)).toEqual([
      { order: 'o1', tier: 'gold' },
      { order: 'o2', tier: 'none' },
      { order: 'o3', tier: 'gold' },
    ]);
    expect(seen[1]).toBeUndefined();
  });

  it('a key that is not a string or finite number, a key function or select that throws: the record fails at stage lookup', () => {
    const pipeline = job({
      pipeline: (events) =>
        events.lookup(customers, {
          key: (o: { c: unknown; boom?: boolean }) => {
            if (o.boom) throw new Error('no key');
            return o.c as string;
          },
          join: 'left',
          select: (o, c) => {
            if (c?.tier === 'bad') throw new Error('cannot select');
            return o;
          },
        }),
    }).pipeline;
    const bad = recs([{ c: { id: 1 } }, { c: Number.NaN }, { c: null }, { boom: true }, { c: 'c3' }, { c: 'c1' }]);
    const outcome = run(
      pipeline,
      bad,
      values({
        customers: [
          ['c3', { tier: 'bad' }],
          ['c1', null],
        ],
      }),
    );
    expect(outcome.failures.map((f) => [f.record.offset, f.stage, f.reason])).toEqual([
      ['1', 'lookup', 'the lookup key must be a string or a finite number, got {"id":1}'],
      ['2', 'lookup', 'the lookup key must be a string or a finite number, got null'],
      ['3', 'lookup', 'the lookup key must be a string or a finite number, got null'],
      ['4', 'lookup', 'Error: no key'],
      ['5', 'lookup', 'Error: cannot select'],
    ]);
    expect(outcome.rows.map((r) => r.key)).toEqual(['shard-0:6:0']);
  });

  it('an async select is refused at defineJob', () => {
    expect(() =>
      job({ pipeline: (events) => events.lookup(customers, { key: (o: { c: string }) => o.c, join: 'left', select: async (o) => o }) }),
    ).toThrow(/lookup\(\)\.select is an async function/);
  });

  it('a select that returns a Promise fails its record at stage lookup: the item is read before select runs', () => {
    const pipeline = job({
      pipeline: (events) => events.lookup(customers, { key: (o: { c: string }) => o.c, join: 'left', select: (o) => Promise.resolve(o) }),
    }).pipeline;
    const outcome = run(pipeline, recs([{ c: 'c1' }]), values({ customers: [['c1', null]] }));
    expect(outcome.rows).toEqual([]);
    expect(outcome.failures.map((f) => [f.stage, f.reason])).toEqual([['lookup', expect.stringMatching(/select\(\) returned a Promise/)]]);
  });

  it('a number key and a string key are different keys, as in DynamoDB', () => {
    const pipeline = job({
      pipeline: (events) =>
        events.lookup(customers, {
          key: (o: { c: string | number }) => o.c,
          join: 'left',
          select: (o, c) => ({ ...o, hit: c !== undefined }),
        }),
    }).pipeline;
    const outcome = run(
      pipeline,
      recs([{ c: 42 }, { c: '42' }]),
      values({
        customers: [
          [42, { customerId: 42 }],
          ['42', null],
        ],
      }),
    );
    expect(outcome.rows.map((r) => r.value)).toEqual([
      { c: 42, hit: true },
      { c: '42', hit: false },
    ]);
  });

  it('select receives a copy of the item: changing it changes nothing for the next value', () => {
    const pipeline = job({
      pipeline: (events) =>
        events.lookup(customers, {
          key: (o: { c: string }) => o.c,
          join: 'inner',
          select: (o, c) => {
            c.visits = ((c.visits as number | undefined) ?? 0) + 1;
            return { ...o, visits: c.visits };
          },
        }),
    }).pipeline;
    const outcome = run(pipeline, recs([{ c: 'c1' }, { c: 'c1' }]), values({ customers: [['c1', { customerId: 'c1' }]] }));
    expect(outcome.rows.map((r) => r.value.visits)).toEqual([1, 1]);
  });

  it('a key the resolved values lack is an InvariantError that fails the batch, not a dead letter', () => {
    const pipeline = job({
      pipeline: (events) => events.lookup(customers, { key: (o: { c: string }) => o.c, join: 'left', select: (o) => o }),
    }).pipeline;
    expect(() => run(pipeline, recs([{ c: 'c7' }]), values({ customers: [['c1', null]] }))).toThrow(InvariantError);
    expect(() => run(pipeline, recs([{ c: 'c7' }]), values({ customers: [['c1', null]] }))).toThrow(/key "c7" was not resolved/);
  });
});

describe('lookup(): the keys the executor resolves', () => {
  it('several lookups in sequence: the second stage keys come from the first stage items, each key once', () => {
    const pipeline = job({
      pipeline: (events) =>
        events
          .filter((o: { c: string }) => o.c !== 'skip')
          .lookup(customers, { key: (o: { c: string }) => o.c, join: 'inner', select: (o, c) => ({ ...o, region: c.region as string }) })
          .lookup(regions, { key: (o) => o.region, join: 'left', select: (o, r) => ({ ...o, country: r?.country ?? '?' }) }),
    }).pipeline;
    const records = recs([{ c: 'c1' }, { c: 'c2' }, { c: 'skip' }, { c: 'c1' }, { c: 'c3' }, 'not json{']);
    const { resolved, asked } = resolve(pipeline, records, {
      customers: { c1: { region: 'eu' }, c2: { region: 'us' } },
      regions: { eu: { country: 'FR' } },
    });
    expect(asked).toEqual([
      ['c1', 'c2', 'c3'],
      ['eu', 'us'],
    ]);
    const outcome = run(pipeline, records, resolved);
    expect(outcome.rows.map((r) => r.value)).toEqual([
      { c: 'c1', region: 'eu', country: 'FR' },
      { c: 'c2', region: 'us', country: '?' },
      { c: 'c1', region: 'eu', country: 'FR' },
    ]);
    expect(outcome.failures.map((f) => f.stage)).toEqual(['decode']);
  });

  it('records that fail before the stage, or whose key is bad, ask for no key', () => {
    const pipeline = job({
      pipeline: (events) =>
        events
          .map((o: { n: number; c: string }) => {
            if (o.n === 0) throw new Error('zero');
            return o;
          })
          .lookup(customers, { key: (o) => o.c, join: 'left', select: (o) => o }),
    }).pipeline;
    const { asked } = resolve(
      pipeline,
      recs([
        { n: 0, c: 'a' },
        { n: 1, c: 'b' },
        { n: 2, c: {} },
      ]),
      {},
    );
    expect(asked).toEqual([['b']]);
  });

  it('a lookup before keyBy in a keyed job groups by what it looked up', () => {
    const pipeline = job({
      pipeline: (events) =>
        events
          .lookup(customers, { key: (o: { c: string }) => o.c, join: 'left', select: (_o, c) => ({ tier: (c?.tier as string) ?? 'none' }) })
          .keyBy((o) => o.tier)
          .aggregate(count()),
      keyedBy: 'partitionKey',
    }).pipeline;
    const records = recs([{ c: 'c1' }, { c: 'c2' }, { c: 'c1' }]).map((r) => ({ ...r, key: 'gold' }));
    const { resolved } = resolve(pipeline, records, { customers: { c1: { tier: 'gold' } } });
    const outcome = run(pipeline, records, resolved);
    expect(outcome.rows.map((r) => [r.key, r.value.value])).toEqual([['gold', 2]]);
    expect(outcome.failures.map((f) => [f.stage, f.reason.slice(0, 20)])).toEqual([['keyBy', expect.any(String)]]);
  });
});

type Equal<A, B> = (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false;
function assertType<T extends true>(value: T): T {
  return value;
}

// These checks run in `tsc --noEmit`: the file only compiles when inference works.
describe('lookup(): typing', () => {
  it('types the item by the join: JsonObject for inner, JsonObject | undefined for left; the stream by select', () => {
    const typed = job({
      pipeline: (events) => {
        const orders = events.map((e: { c: string; n: number }) => e);
        const inner = orders.lookup(customers, {
          key: (o) => o.c,
          join: 'inner',
          select: (o, c) => {
            assertType<Equal<typeof c, JsonObject>>(true);
            return { n: o.n, tier: String(c.tier) };
          },
        });
        const left = inner.lookup(customers, {
          key: (o) => o.tier,
          join: 'left',
          select: (o, c) => {
            assertType<Equal<typeof c, JsonObject | undefined>>(true);
            return o.n;
          },
        });
        assertType<Equal<typeof left, Stream<number>>>(true);
        return left;
      },
    });
    expect(typed.pipeline.description).toBe('decode(json) > map > lookup(customers, inner) > lookup(customers, left)');
  });
});
