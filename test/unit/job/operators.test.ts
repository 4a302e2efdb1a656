import { describe, expect, it } from 'vitest';
import { TrackedState } from '../../../engine/executor/tracked-state.js';
import { count, tumbling } from '../../../engine/job/index.js';
import { job, PartitionRun, rec, recs } from './harness.js';

describe('stateless pipelines', () => {
  it('applies filter, map and flatMap in order and writes each output value as a row', () => {
    const pipeline = job({
      pipeline: (events) =>
        events
          .filter((e) => e.type === 'view')
          .map((e) => ({ page: e.page, n: e.n * 10 }))
          .flatMap((e) => (e.n > 10 ? [e, { page: `${e.page}-copy`, n: e.n }] : [e])),
    }).pipeline;
    const outcome = new PartitionRun(pipeline).batch(
      recs([
        { type: 'view', page: 'a', n: 1 },
        { type: 'click', page: 'b', n: 2 },
        { type: 'view', page: 'c', n: 3 },
      ]),
    );
    expect(outcome.failures).toEqual([]);
    expect(outcome.rows).toEqual([
      { key: 'shard-0:1:0', value: { page: 'a', n: 10 } },
      { key: 'shard-0:3:0', value: { page: 'c', n: 30 } },
      { key: 'shard-0:3:1', value: { page: 'c-copy', n: 30 } },
    ]);
  });

  it('wraps values that are not JSON objects as { value }', () => {
    const pipeline = job({ pipeline: (events) => events.flatMap((e) => [e.n, `s${e.n}`, [e.n], null, true]) }).pipeline;
    const outcome = new PartitionRun(pipeline).batch([rec(7, { n: 1 })]);
    expect(outcome.rows.map((r) => r.value)).toEqual([{ value: 1 }, { value: 's1' }, { value: [1] }, { value: null }, { value: true }]);
  });

  it('keys rows by partition, offset and index within the record, so a re-run writes the same keys', () => {
    const pipeline = job({ pipeline: (events) => events.flatMap((e) => e.items) }).pipeline;
    const records = [rec(41, { items: ['x', 'y'] }, { partition: 'shard-9' }), rec(42, { items: [] }, { partition: 'shard-9' })];
    const first = pipeline.run({
      records,
      state: new TrackedState(new Map()),
      watermarkMs: null,
      timeMs: 0,
      batchId: 3,
      partition: 'shard-9',
    });
    const again = pipeline.run({
      records,
      state: new TrackedState(new Map()),
      watermarkMs: null,
      timeMs: 0,
      batchId: 3,
      partition: 'shard-9',
    });
    expect(first.rows.map((r) => r.key)).toEqual(['shard-9:41:0', 'shard-9:41:1']);
    expect(again).toEqual(first);
  });

  it('does not touch state', () => {
    const pipeline = job({ pipeline: (events) => events.map((e) => e) }).pipeline;
    const state = new TrackedState(new Map());
    pipeline.run({ records: recs([{ a: 1 }]), state, watermarkMs: null, timeMs: 0, batchId: 1, partition: 'shard-0' });
    expect(state.changed).toBe(false);
  });

  it('filters on truthiness', () => {
    const pipeline = job({ pipeline: (events) => events.filter((e) => e.keep) }).pipeline;
    const outcome = new PartitionRun(pipeline).batch(recs([{ keep: 1 }, { keep: 0 }, { keep: 'yes' }, {}]));
    expect(outcome.rows.map((r) => r.key)).toEqual(['shard-0:1:0', 'shard-0:3:0']);
  });

  it('returns rows sorted by key', () => {
    const pipeline = job({ pipeline: (events) => events.keyBy((e) => e.k).aggregate(count()) }).pipeline;
    const outcome = new PartitionRun(pipeline).batch(recs([{ k: 'zeta' }, { k: 'alpha' }, { k: 'Mid' }, { k: 'beta' }]));
    expect(outcome.rows.map((r) => r.key)).toEqual(['Mid', 'alpha', 'beta', 'zeta']);
  });
});

describe('decoding', () => {
  it("decodes 'utf8' records as text", () => {
    const pipeline = job({ decode: 'utf8', pipeline: (lines) => lines.map((l) => l.toUpperCase()) }).pipeline;
    const outcome = new PartitionRun(pipeline).batch([rec(1, 'héllo')]);
    expect(outcome.rows).toEqual([{ key: 'shard-0:1:0', value: { value: 'HÉLLO' } }]);
  });

  it('passes the whole record to a decode function', () => {
    const pipeline = job({
      decode: (record) => ({ key: record.key, at: record.arrivalTimeMs, bytes: record.data.length }),
      pipeline: (records) => records,
    }).pipeline;
    const outcome = new PartitionRun(pipeline).batch([rec(5, 'abc', { arrivalTimeMs: 99 })]);
    expect(outcome.rows).toEqual([{ key: 'shard-0:5:0', value: { key: 'k5', at: 99, bytes: 3 } }]);
  });

  it('rejects bytes that are not UTF-8 instead of replacing them', () => {
    const pipeline = job({ decode: 'utf8', pipeline: (lines) => lines }).pipeline;
    const outcome = new PartitionRun(pipeline).batch([rec(1, new Uint8Array([0xff, 0xfe]))]);
    expect(outcome.rows).toEqual([]);
    expect(outcome.failures.map((f) => f.stage)).toEqual(['decode']);
  });
});

describe('pipeline description', () => {
  it('lists the operators in order', () => {
    const definition = job({
      pipeline: (events) =>
        events
          .filter((e) => e.ok)
          .map((e) => e)
          .withWatermark((e) => e.ts, { allowedLatenessMs: 10_000 })
          .keyBy((e) => e.page)
          .window(tumbling({ sizeMs: 60_000 }))
          .aggregate(count()),
    });
    expect(definition.pipeline.description).toBe('decode(json) > filter > map > withWatermark(10s) > keyBy > window(tumbling 1m) > count');
  });
});
