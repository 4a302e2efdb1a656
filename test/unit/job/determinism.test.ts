import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TrackedState } from '../../../engine/executor/tracked-state.js';
import type { JsonValue } from '../../../engine/json.js';
import { count, max, reduce, sum, tumbling, type CompiledPipeline } from '../../../engine/job/index.js';
import { job, rec } from './harness.js';

const pipelines: Record<string, CompiledPipeline> = {
  windowedUpdate: job({
    pipeline: (s) =>
      s
        .filter((e) => e.kind !== 'skip')
        .withWatermark((e) => e.ts, { allowedLatenessMs: 20 })
        .keyBy((e) => e.k)
        .window(tumbling({ sizeMs: 50 }))
        .aggregate({ n: count(), total: sum((e) => e.v), top: max((e) => e.v) }),
  }).pipeline,
  windowedAppend: job({
    outputMode: 'append',
    pipeline: (s) =>
      s
        .withWatermark((e) => e.ts, { allowedLatenessMs: 20 })
        .keyBy((e) => e.k)
        .window(tumbling({ sizeMs: 50 }))
        .aggregate(reduce({ initial: [] as number[], add: (acc, e) => [...acc, e.v] })),
  }).pipeline,
  running: job({ pipeline: (s) => s.keyBy((e) => e.k).aggregate(sum((e) => e.v)) }).pipeline,
  stateless: job({ pipeline: (s) => s.flatMap((e) => (e.kind === 'skip' ? [] : [e, e.v])) }).pipeline,
};

const eventArb = fc.oneof(
  fc.record({
    k: fc.constantFrom('a', 'b', 7),
    ts: fc.integer({ min: 0, max: 300 }),
    v: fc.integer({ min: -100, max: 100 }),
    kind: fc.constantFrom('ok', 'skip'),
  }),
  fc.constant('not json'),
  fc.record({ k: fc.constant(null), ts: fc.constant('bad') }),
);

function runOnce(pipeline: CompiledPipeline, base: Map<string, JsonValue>, values: unknown[], watermarkMs: number | null) {
  const state = new TrackedState(base);
  const records = values.map((v, i) => rec(i + 1, v));
  const outcome = pipeline.run({ records, state, watermarkMs, timeMs: 0, batchId: 9, partition: 'shard-0' });
  return { outcome: JSON.stringify(outcome), changes: JSON.stringify([...state.changeSet()]), next: state.materialize() };
}

describe('determinism', () => {
  it.each(Object.keys(pipelines))('%s: the same records, state and watermark give the same rows and state', (name) => {
    const pipeline = pipelines[name]!;
    fc.assert(
      fc.property(
        fc.array(fc.array(eventArb, { maxLength: 10 }), { minLength: 1, maxLength: 4 }),
        fc.option(fc.integer({ min: 0, max: 300 }), { nil: null }),
        (batches, watermarkMs) => {
          let base = new Map<string, JsonValue>();
          for (const values of batches) {
            const first = runOnce(pipeline, base, values, watermarkMs);
            const second = runOnce(pipeline, base, values, watermarkMs);
            expect(second.outcome).toBe(first.outcome);
            expect(second.changes).toBe(first.changes);
            base = first.next;
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('produces the same rows whatever order the state entries come in', () => {
    const pipeline = pipelines.windowedAppend!;
    const entries: [string, JsonValue][] = [
      ['["b",0]', [1]],
      ['["a",0]', [2]],
      ['[7,50]', [3]],
    ];
    const forward = pipeline.run({
      records: [],
      state: new TrackedState(new Map(entries)),
      watermarkMs: 100,
      timeMs: 0,
      batchId: 1,
      partition: 'p',
    });
    const backward = pipeline.run({
      records: [],
      state: new TrackedState(new Map([...entries].reverse())),
      watermarkMs: 100,
      timeMs: 0,
      batchId: 1,
      partition: 'p',
    });
    expect(forward.rows.map((r) => r.key)).toEqual(['7#50', 'a#0', 'b#0']);
    expect(backward).toEqual(forward);
  });
});
