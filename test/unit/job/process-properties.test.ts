/**
 * Process functions against the engine's own operators, and over a long run: a count
 * per key kept by a process function equals keyBy().aggregate(count()) on any input; and
 * over 1,000 batches of ever new keys, timers and TTLs keep the state bounded.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { count, defineJob, memorySink, memorySource, valueState } from '../../../engine/job/index.js';
import { createTestHarness } from '../../../engine/testing/harness.js';

interface Hit {
  readonly user: string;
}

const MINUTE = 60_000;

const jobs = (keyedBy: 'partitionKey' | undefined) => {
  const common = { version: 1, source: memorySource({ streamName: 'hits' }), ...(keyedBy === undefined ? { keyGroups: 3 } : { keyedBy }) };
  return {
    processed: defineJob<Hit>({
      ...common,
      name: 'counted-by-process',
      sink: memorySink({ name: 'process-counts' }),
      pipeline: (hits) =>
        hits
          .keyBy((h) => h.user)
          .process({
            state: { count: valueState<number>() },
            onValue(_hit, ctx) {
              const n = (ctx.state.count.get() ?? 0) + 1;
              ctx.state.count.set(n);
              ctx.emit({ key: ctx.key, value: n }, { key: String(ctx.key) });
            },
          }),
    }),
    aggregated: defineJob<Hit>({
      ...common,
      name: 'counted-by-aggregate',
      sink: memorySink({ name: 'aggregate-counts' }),
      pipeline: (hits) => hits.keyBy((h) => h.user).aggregate(count()),
    }),
  };
};

describe.each([
  ['key groups and the exchange', undefined],
  ['one stage per partition', 'partitionKey' as const],
])('process functions on %s', (_path, keyedBy) => {
  it('count per key, kept by a process function, equals keyBy().aggregate(count()) (property)', async () => {
    const batches = fc.array(fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c', 'd', 'e'), fc.nat(1)), { maxLength: 8 }), {
      minLength: 1,
      maxLength: 4,
    });
    await fc.assert(
      fc.asyncProperty(batches, async (input) => {
        const { processed, aggregated } = jobs(keyedBy);
        const harnesses = [
          createTestHarness(processed, { partitions: ['p0', 'p1'] }),
          createTestHarness(aggregated, { partitions: ['p0', 'p1'] }),
        ];
        for (const batch of input) {
          for (const t of harnesses) {
            for (const [user, p] of batch) {
              const partition = keyedBy === undefined ? `p${p}` : user < 'c' ? 'p0' : 'p1';
              t.addRecords([{ user }], { partition, key: user });
            }
            await t.runBatch();
          }
        }
        const [byProcess, byAggregate] = await Promise.all(harnesses.map((t) => t.sinkValues()));
        expect(byProcess).toEqual(byAggregate);
      }),
      { numRuns: 20 },
    );
  });

  it('keeps state bounded over 1,000 batches of new keys: TTL and timers release every key', { timeout: 120_000 }, async () => {
    const job = defineJob<Hit>({
      name: 'long-run',
      version: 1,
      source: memorySource({ streamName: 'hits' }),
      sink: memorySink({ name: 'long-run' }),
      pipeline: (hits) =>
        hits
          .keyBy((h) => h.user)
          .process({
            state: { hits: valueState<number>({ ttlMs: 10 * MINUTE }), reported: valueState<boolean>() },
            onValue(_hit, ctx) {
              ctx.state.hits.set((ctx.state.hits.get() ?? 0) + 1);
              if (ctx.state.reported.get() === undefined) ctx.timers.registerProcessingTimeTimer(ctx.timeMs + 2 * MINUTE);
              ctx.state.reported.set(false);
            },
            onTimer(_timer, ctx) {
              ctx.emit({ user: ctx.key, hits: ctx.state.hits.get() ?? 0 });
              ctx.state.reported.clear(); // the hit count stays until its TTL
            },
          }),
      ...(keyedBy === undefined ? { keyGroups: 4 } : { keyedBy }),
    });
    const t = createTestHarness(job, { partitions: ['p0', 'p1'] });
    let maxStateRows = 0;
    let reports = 0;
    for (let i = 0; i < 1_000; i += 1) {
      const user = `u${i}`;
      t.addRecords([{ user }, { user }], { partition: `p${i % 2}`, key: user });
      const batch = await t.runBatch();
      reports += batch.emitted.length;
      maxStateRows = Math.max(maxStateRows, batch.stateRows);
      t.advanceTime(10_000);
    }
    // A key lives 10 minutes (its TTL) after its last write: 60 batches of 10 s, never 1,000.
    expect(maxStateRows).toBeLessThanOrEqual(61);
    expect(maxStateRows).toBeGreaterThanOrEqual(59);
    t.advanceTime(2 * MINUTE); // the last timers fire, without input
    const timers = await t.runBatch();
    expect(timers.records).toBe(0);
    expect(reports + timers.emitted.length).toBe(1_000);
    t.advanceTime(8 * MINUTE); // the last hit counts expire: their groups run without input and release them
    const idle = await t.runBatch();
    expect(idle.records).toBe(0);
    expect(idle.stateRows).toBe(0);
    expect((await t.state()).size).toBe(0);
    expect((await t.sinkRows()).filter((row) => row.value.hits !== 2)).toEqual([]);
  });
});
