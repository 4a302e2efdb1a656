/**
 * Pipelines are synchronous (engine/job/synchronous.ts): defineJob refuses an async
 * function wherever it takes user code, and a plain function that returns a Promise or
 * another thenable fails its record at its own stage.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { JobSpecError } from '../../../engine/errors.js';
import { migrateEntries } from '../../../engine/executor/migrate-state.js';
import { count, defineJob, kinesisSource, max, memorySink, memorySource, min, reduce, sum, tumbling } from '../../../engine/job/index.js';
import { createTestHarness } from '../../../engine/testing/harness.js';
import { job, PartitionRun, recs } from './harness.js';

const REFUSED = /async functions are not supported, because a batch's output must be a pure function of its input .*lookup join/;

/** Builds a job with `pipeline` (and extra fields) and returns what defineJob threw. */
function refusal(spec: Record<string, unknown>): JobSpecError {
  try {
    defineJob({
      name: 'async-job',
      version: 1,
      source: memorySource({ streamName: 'in' }),
      sink: memorySink({ name: 'out' }),
      pipeline: (s: any) => s,
      ...spec,
    } as never);
  } catch (error) {
    expect(error).toBeInstanceOf(JobSpecError);
    return error as JobSpecError;
  }
  throw new Error('defineJob accepted an async function');
}

describe('defineJob refuses async functions, naming the operator', () => {
  const asyncFn = async (e: any) => e;
  it.each([
    ['map()', (s: any) => s.map(asyncFn)],
    ['filter()', (s: any) => s.filter(async () => true)],
    ['flatMap()', (s: any) => s.flatMap(async (e: any) => [e])],
    ['withWatermark() event time', (s: any) => s.withWatermark(async (e: any) => e.ts, { allowedLatenessMs: 0 })],
    ['keyBy()', (s: any) => s.keyBy(async (e: any) => e.k).aggregate(count())],
    ['sum()', (s: any) => s.keyBy((e: any) => e.k).aggregate(sum((async (e: any) => e.n) as never))],
    ['min()', (s: any) => s.keyBy((e: any) => e.k).aggregate(min((async (e: any) => e.n) as never))],
    ['max()', (s: any) => s.keyBy((e: any) => e.k).aggregate({ top: max((async (e: any) => e.n) as never) })],
    ['reduce().add', (s: any) => s.keyBy((e: any) => e.k).aggregate(reduce({ initial: 0, add: (async (n: number) => n + 1) as never }))],
    [
      'reduce().merge',
      (s: any) =>
        s.keyBy((e: any) => e.k).aggregate(reduce({ initial: 0, add: (n: number) => n + 1, merge: (async (a: number) => a) as never })),
    ],
    [
      'flatMap()',
      (s: any) =>
        s.flatMap(async function* (e: any) {
          yield e;
        }),
    ],
  ])('%s', (operator, pipeline) => {
    const error = refusal({ pipeline });
    expect(error.message).toContain(`pipeline: ${operator} is an async function`);
    expect(error.message).toMatch(REFUSED);
  });

  it('decode, migrations[i].state, the pipeline function itself and a Kinesis source hashKeyOf', () => {
    expect(refusal({ decode: async () => ({}) }).message).toMatch(/decode is an async function: async functions are not supported/);
    expect(refusal({ version: 2, migrations: [{ fromVersion: 1, state: async () => null }] }).message).toMatch(
      /migrations\[0\]\.state is an async function/,
    );
    expect(refusal({ pipeline: async (s: any) => s }).message).toMatch(/pipeline is an async function/);
    const source = () => kinesisSource({ streamName: 's', hashKeyOf: (async () => 1n) as never });
    expect(source).toThrow(JobSpecError);
    expect(source).toThrow(/hashKeyOf is an async function/);
  });

  it('a synchronous function is accepted, whatever its name or shape', () => {
    expect(() =>
      job({
        pipeline: (s) =>
          s
            .map(function then(e: unknown) {
              return e;
            })
            .filter(() => true),
      }),
    ).not.toThrow();
  });
});

describe('a function that returns a Promise fails its record at its own stage', () => {
  let unhandled: unknown[];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  beforeEach(() => {
    unhandled = [];
    process.on('unhandledRejection', onUnhandled);
  });
  afterEach(() => {
    process.off('unhandledRejection', onUnhandled);
  });

  // biome-ignore lint/suspicious/noThenProperty: a Promise-like object on purpose
  const thenable = { then: () => undefined };
  it.each([
    ['map', 'returned a Promise: ', (s: any) => s.map((e: any) => (e.bad ? Promise.resolve(e) : e))],
    ['filter', 'returned a Promise: ', (s: any) => s.filter((e: any) => (e.bad ? Promise.resolve(false) : true))],
    ['flatMap', 'returned a Promise-like object (it has a then method): ', (s: any) => s.flatMap((e: any) => (e.bad ? thenable : [e]))],
    [
      'eventTime',
      'returned a Promise: ',
      (s: any) => s.withWatermark((e: any) => (e.bad ? Promise.resolve(e.ts) : e.ts), { allowedLatenessMs: 0 }),
    ],
  ])('%s', (stage, reason, pipeline) => {
    const outcome = new PartitionRun(job({ pipeline }).pipeline).batch(
      recs([
        { n: 1, ts: 1 },
        { n: 2, ts: 2, bad: true },
        { n: 3, ts: 3 },
      ]),
    );
    expect(outcome.failures).toHaveLength(1);
    expect(outcome.failures[0]).toMatchObject({ stage, record: { offset: '2' } });
    expect(outcome.failures[0]!.reason).toMatch(new RegExp(`^${reason.replace(/[()]/g, '\\$&')}async results are not supported`));
    expect(outcome.failures[0]!.reason).toContain('lookup join');
    expect(outcome.rows).toHaveLength(2);
  });

  it('keyBy, an aggregate function and a decode function: on the exchange path, through the harness', async () => {
    const cases = [
      { stage: 'keyBy', pipeline: (s: any) => s.keyBy((e: any) => (e.bad ? Promise.resolve(e.k) : e.k)).aggregate(count()) },
      {
        stage: 'aggregate',
        why: 'sum() returned a Promise: ',
        pipeline: (s: any) => s.keyBy((e: any) => e.k).aggregate(sum((e: any) => (e.bad ? (Promise.resolve(1) as never) : 1))),
      },
      {
        stage: 'aggregate',
        why: 'reduce().add returned a Promise: ',
        pipeline: (s: any) =>
          s
            .keyBy((e: any) => e.k)
            .aggregate(reduce({ initial: 0, add: (n: number, e: any) => (e.bad ? (Promise.resolve(n) as never) : n + 1) })),
      },
      {
        stage: 'decode',
        decode: (r: { data: Uint8Array }) => {
          const e = JSON.parse(new TextDecoder().decode(r.data));
          return e.bad ? Promise.resolve(e) : e;
        },
        pipeline: (s: any) => s.keyBy((e: any) => e.k).aggregate(count()),
      },
    ];
    for (const c of cases) {
      const t = createTestHarness(job({ pipeline: c.pipeline, ...(c.decode ? { decode: c.decode as never } : {}), keyGroups: 4 }));
      t.addRecords([{ k: 'a' }, { k: 'a', bad: true }, { k: 'b' }]);
      const batch = await t.runBatch();
      expect(batch.deadLetters, c.stage).toHaveLength(1);
      expect(batch.deadLetters[0]).toMatchObject({ stage: c.stage, offset: expect.any(String) });
      expect(batch.deadLetters[0]!.reason).toContain(c.why ?? 'returned a Promise: async results are not supported');
      expect(Object.values(await t.sinkValues()).map((v) => v.value)).toEqual([1, 1]);
    }
  });

  it('an async map no longer reaches withWatermark as a Promise (the event-time message was misleading)', async () => {
    const t = createTestHarness(
      job({
        // A plain function around an async one: defineJob cannot see it, the run does.
        pipeline: (s) =>
          s
            .map((e: any) => (async () => e)())
            .withWatermark((e: any) => e.ts, { allowedLatenessMs: 0 })
            .keyBy((e: any) => e.k)
            .window(tumbling({ sizeMs: 10 }))
            .aggregate(count()),
      }),
    );
    t.addRecords([{ k: 'a', ts: 1 }]);
    const [letter] = (await t.runBatch()).deadLetters;
    expect(letter).toMatchObject({ stage: 'map', reason: expect.stringMatching(/^returned a Promise: /) });
  });

  it('a rejected Promise is not left unhandled', async () => {
    const outcome = new PartitionRun(job({ pipeline: (s) => s.map(() => Promise.reject(new Error('lookup failed'))) }).pipeline).batch(
      recs([{ n: 1 }]),
    );
    expect(outcome.failures).toMatchObject([{ stage: 'map' }]);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(unhandled).toEqual([]);
  });

  it('a state migration or a hashKeyOf that returns a Promise fails with a JobSpecError naming it', () => {
    const where = { jobId: 'j', batchId: 2, partition: 'p' };
    const migration = { fromVersion: 1, state: () => Promise.resolve(null) as never };
    expect(() => migrateEntries(new Map([['k', 1]]), migration, where)).toThrow(JobSpecError);
    expect(() => migrateEntries(new Map([['k', 1]]), migration, where)).toThrow(
      /migration from version 1 returned a Promise: .* \(for key k\)/,
    );
    const source = kinesisSource({ streamName: 's', hashKeyOf: (() => Promise.resolve(1n)) as never });
    expect(() => source.hashKeyOf!('k')).toThrow(/hashKeyOf returned a Promise: async results are not supported/);
  });
});
