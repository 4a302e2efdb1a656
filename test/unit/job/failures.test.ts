import { describe, expect, it } from 'vitest';
import { count, reduce, sum, tumbling } from '../../../engine/job/index.js';
import { job, PartitionRun, rec, recs } from './harness.js';

function failing(stage: string, reason: string | RegExp) {
  return expect.objectContaining({
    stage,
    reason: typeof reason === 'string' ? expect.stringContaining(reason) : expect.stringMatching(reason),
  });
}

describe('record failures', () => {
  it('reports a record that is not JSON as a decode failure and processes the next one', () => {
    const pipeline = job({ pipeline: (events) => events }).pipeline;
    const records = [rec(1, '{"ok":1}'), rec(2, '{not json'), rec(3, '{"ok":3}')];
    const outcome = new PartitionRun(pipeline).batch(records);
    expect(outcome.failures).toEqual([failing('decode', 'SyntaxError')]);
    expect(outcome.failures[0]?.record).toBe(records[1]);
    expect(outcome.rows.map((r) => r.value)).toEqual([{ ok: 1 }, { ok: 3 }]);
  });

  it.each([
    ['map', (s: any) => s.map((e: any) => (e.bad ? e.missing.field : e))],
    ['filter', (s: any) => s.filter((e: any) => (e.bad ? e.missing.field : true))],
    ['flatMap', (s: any) => s.flatMap((e: any) => (e.bad ? e.missing.field : [e]))],
  ])('reports a throwing %s function with its message and keeps going', (stage, pipeline) => {
    const outcome = new PartitionRun(job({ pipeline }).pipeline).batch(recs([{ n: 1 }, { n: 2, bad: true }, { n: 3 }]));
    expect(outcome.failures).toEqual([failing(stage, "TypeError: Cannot read properties of undefined (reading 'field')")]);
    expect(outcome.failures[0]?.record.offset).toBe('2');
    expect(outcome.rows.map((r) => r.value)).toEqual([{ n: 1 }, { n: 3 }]);
  });

  it('reports a flatMap function that does not return an array', () => {
    const outcome = new PartitionRun(job({ pipeline: (s) => s.flatMap((e) => e.items) }).pipeline).batch(
      recs([{ items: [1] }, { items: 'abc' }]),
    );
    expect(outcome.failures).toEqual([failing('flatMap', 'must return an array, got "abc"')]);
    expect(outcome.rows).toHaveLength(1);
  });

  it.each([
    ['an object', { id: { nested: 1 } }, 'got {"nested":1}'],
    ['undefined', {}, 'got undefined'],
    ['NaN', { id: 'NaN' }, 'got NaN'],
    ['a boolean', { id: true }, 'got true'],
  ])('reports keyBy returning %s', (_what, value, reason) => {
    const pipeline = job({ pipeline: (s) => s.keyBy((e) => (e.id === 'NaN' ? Number.NaN : e.id)).aggregate(count()) }).pipeline;
    const outcome = new PartitionRun(pipeline).batch(recs([{ id: 'a' }, value, { id: 'a' }]));
    expect(outcome.failures).toEqual([failing('keyBy', reason)]);
    expect(outcome.rows).toEqual([{ key: 'a', value: { key: 'a', value: 2 } }]);
  });

  it('reports a keyBy function that throws', () => {
    const pipeline = job({
      pipeline: (s) =>
        s
          .keyBy((e) => {
            if (e.id === undefined) throw new Error('no id');
            return e.id;
          })
          .aggregate(count()),
    }).pipeline;
    const outcome = new PartitionRun(pipeline).batch(recs([{}, { id: 1 }]));
    expect(outcome.failures).toEqual([failing('keyBy', 'Error: no id')]);
    expect(outcome.rows).toEqual([{ key: '1', value: { key: 1, value: 1 } }]);
  });

  it.each([
    ['a string', { ts: '2024-01-01' }, 'got "2024-01-01"'],
    ['missing', {}, 'got undefined'],
    ['infinite', { ts: 'inf' }, 'got Infinity'],
  ])('reports an event time that is %s', (_what, value, reason) => {
    const pipeline = job({
      pipeline: (s) => s.withWatermark((e) => (e.ts === 'inf' ? Infinity : e.ts), { allowedLatenessMs: 0 }),
    }).pipeline;
    const outcome = new PartitionRun(pipeline).batch(recs([{ ts: 5 }, value]));
    expect(outcome.failures).toEqual([failing('eventTime', reason)]);
    expect(outcome.rows).toHaveLength(1);
    expect(outcome.maxEventTimeMs).toBe(5);
  });

  it('reports an event-time function that throws', () => {
    const pipeline = job({ pipeline: (s) => s.withWatermark((e) => e.when.ms, { allowedLatenessMs: 0 }) }).pipeline;
    const outcome = new PartitionRun(pipeline).batch(recs([{}]));
    expect(outcome.failures).toEqual([failing('eventTime', 'TypeError')]);
  });

  it('reports an aggregate function that fails, and leaves the group as it was', () => {
    const pipeline = job({ pipeline: (s) => s.keyBy((e) => e.k).aggregate(sum((e) => e.n)) }).pipeline;
    const run = new PartitionRun(pipeline);
    const outcome = run.batch(
      recs([
        { k: 'a', n: 1 },
        { k: 'a', n: 'two' },
        { k: 'a', n: 3 },
      ]),
    );
    expect(outcome.failures).toEqual([failing('aggregate', 'sum() needs a finite number, the function returned "two"')]);
    expect(outcome.rows).toEqual([{ key: 'a', value: { key: 'a', value: 4 } }]);
    expect(run.stateObject()).toEqual({ '["a"]': 4 });
  });

  it('skips a record as a whole: values of a failing record that were already aggregated are undone', () => {
    const pipeline = job({
      pipeline: (s) =>
        s
          .flatMap((e) => e.parts)
          .keyBy((p) => p.k)
          .aggregate(
            reduce({
              initial: [] as number[],
              add: (acc, p) => {
                if (p.n < 0) throw new RangeError('negative');
                acc.push(p.n);
                return acc;
              },
            }),
          ),
    }).pipeline;
    const run = new PartitionRun(pipeline);
    const outcome = run.batch(
      recs([
        { parts: [{ k: 'a', n: 1 }] },
        {
          parts: [
            { k: 'a', n: 2 },
            { k: 'b', n: 2 },
            { k: 'a', n: -1 },
          ],
        },
        { parts: [{ k: 'a', n: 3 }] },
      ]),
    );
    expect(outcome.failures).toEqual([failing('aggregate', 'RangeError: negative')]);
    expect(outcome.rows).toEqual([{ key: 'a', value: { key: 'a', value: [1, 3] } }]);
    expect(run.stateObject()).toEqual({ '["a"]': [1, 3] });
  });

  it('reports a stateless value that is not JSON as an output failure', () => {
    const pipeline = job({ pipeline: (s) => s.map((e) => (e.date ? { at: new Date(0) } : e)) }).pipeline;
    const outcome = new PartitionRun(pipeline).batch(recs([{ date: true }, { ok: 1 }]));
    expect(outcome.failures).toEqual([failing('output', 'value.at is a Date, which is not JSON')]);
    expect(outcome.rows).toEqual([{ key: 'shard-0:2:0', value: { ok: 1 } }]);
  });

  it('does not count late values or event times of a record that failed', () => {
    const pipeline = job({
      pipeline: (s) =>
        s
          .flatMap((e) => e.events)
          .withWatermark((e) => e.ts, { allowedLatenessMs: 0 })
          .keyBy((e) => e.k)
          .window(tumbling({ sizeMs: 10 }))
          .aggregate(count()),
    }).pipeline;
    const outcome = new PartitionRun(pipeline).batch(
      recs([{ events: [{ ts: 1, k: 'late' }, { ts: 500, k: 'x' }, { ts: 600 }] }, { events: [{ ts: 100, k: 'y' }] }]),
      50,
    );
    expect(outcome.failures).toEqual([failing('keyBy', 'got undefined')]);
    expect(outcome.lateRecords).toBe(0);
    expect(outcome.maxEventTimeMs).toBe(100);
    expect(outcome.rows.map((r) => r.key)).toEqual(['y#100']);
  });

  it('never throws out of run() for bad records: a batch of only bad records yields only failures', () => {
    const pipeline = job({
      pipeline: (s) =>
        s
          .map((e) => e.a.b)
          .keyBy((e) => e)
          .aggregate(count()),
    }).pipeline;
    const outcome = new PartitionRun(pipeline).batch([rec(1, 'x'), rec(2, { a: 1 }), rec(3, { a: null })]);
    expect(outcome.rows).toEqual([]);
    expect(outcome.failures.map((f) => f.stage)).toEqual(['decode', 'keyBy', 'map']);
  });
});
