/**
 * The keyed-operator framework (engine/job/keyed-operator.ts, operator-stages.ts) with a
 * small operator of the test's own: it counts each key's values, fails a value whose `n`
 * is negative, and emits a key's count (then forgets the key) once the watermark passes
 * the key's last event time + 10 s, or once the batch time passes the key's first
 * arrival + 60 s. Run on both paths: key groups and the exchange, and one stage per
 * partition (keyedBy: 'partitionKey').
 */
import { describe, expect, it } from 'vitest';
import { defineJob, memorySink, memorySource } from '../../../engine/job/index.js';
import type { KeyedOperator } from '../../../engine/job/keyed-operator.js';
import { stateKeyOf } from '../../../engine/job/keyed-groups.js';
import { endWithOperator, type KeyedStream } from '../../../engine/job/stream.js';
import type { JsonObject } from '../../../engine/json.js';
import { createTestHarness } from '../../../engine/testing/harness.js';

interface Event {
  readonly user: string;
  readonly n: number;
  readonly ts: number;
}

const countUntilQuiet: KeyedOperator = {
  description: 'countUntilQuiet',
  inputs: 1,
  apply({ values, state, watermarkMs, timeMs }) {
    const rows = [];
    const failures = [];
    for (const v of values) {
      if (((v.value as JsonObject).n as number) < 0) {
        failures.push({ value: v, stage: 'aggregate' as const, reason: 'negative n' });
        continue;
      }
      const key = stateKeyOf(v.key, null);
      const s = (state.get(key) as { c: number; last: number; first: number } | undefined) ?? { c: 0, last: 0, first: timeMs };
      state.put(key, { c: s.c + 1, last: Math.max(s.last, v.eventTimeMs!), first: s.first });
    }
    let dueAtWatermarkMs: number | null = null;
    let dueAtMs: number | null = null;
    for (const [key, value] of [...state.entries()]) {
      const s = value as { c: number; last: number; first: number };
      const quiet = watermarkMs !== null && watermarkMs >= s.last + 10_000;
      if (quiet || timeMs >= s.first + 60_000) {
        const user = JSON.parse(key)[0] as string;
        rows.push({ key: `${user}@${s.last}`, value: { user, count: s.c, why: quiet ? 'quiet' : 'timeout' } });
        state.delete(key);
      } else {
        dueAtWatermarkMs = Math.min(dueAtWatermarkMs ?? Infinity, s.last + 10_000);
        dueAtMs = Math.min(dueAtMs ?? Infinity, s.first + 60_000);
      }
    }
    return { rows, failures, dueAtWatermarkMs, dueAtMs };
  },
};

const job = (keyedBy?: 'partitionKey') =>
  defineJob<Event>({
    name: 'quiet',
    version: 1,
    source: memorySource({ streamName: 'events' }),
    sink: memorySink({ name: 'quiet' }),
    pipeline: (events) =>
      endWithOperator(
        events.withWatermark((e) => e.ts, { allowedLatenessMs: 0 }).keyBy((e) => e.user) as KeyedStream<unknown>,
        countUntilQuiet,
      ),
    ...(keyedBy === undefined ? { keyGroups: 4 } : { keyedBy }),
  });

describe.each([
  ['key groups and the exchange', undefined],
  ['one stage per partition', 'partitionKey' as const],
])('a keyed operator on %s', (_path, keyedBy) => {
  it('applies values per key, fails bad values alone, and runs a key group with an event-time timer due and no input', async () => {
    const t = createTestHarness(job(keyedBy), { partitions: ['p0', 'p1'] });
    t.addRecords([{ user: 'a', n: 1, ts: 1_000 }], { partition: 'p0', key: 'a' });
    t.addRecords(
      [
        { user: 'a', n: 1, ts: 2_000 },
        { user: 'a', n: -1, ts: 2_500 },
      ],
      { partition: keyedBy === undefined ? 'p1' : 'p0', key: 'a' },
    );
    t.addRecords([{ user: 'b', n: 1, ts: 30_000 }], { partition: 'p1', key: 'b' });
    const first = await t.runBatch();
    expect(first.emitted).toEqual([]);
    expect(first.deadLetters.map((d) => [d.stage, d.partition, d.reason])).toEqual([
      ['aggregate', keyedBy === undefined ? 'p1' : 'p0', 'negative n'],
    ]);
    // The next batch has no records; its watermark (30 s) passes a's last event + 10 s: a's group runs.
    const second = await t.runBatch();
    expect(second.records).toBe(0);
    expect(second.emitted.map((r) => r.value)).toEqual([{ user: 'a', count: 2, why: 'quiet' }]);
    expect([...(await t.state()).keys()].map((k) => k.replace(/^p\d\//, ''))).toEqual(['["b"]']);
  });

  it('runs a key group whose processing-time timer is due, by the plan’s time', async () => {
    const t = createTestHarness(job(keyedBy), { partitions: ['p0'] });
    t.addRecords([{ user: 'c', n: 1, ts: 5_000 }], { key: 'c' });
    await t.runBatch();
    expect((await t.runBatch()).emitted).toEqual([]);
    t.advanceTime(60_000);
    const due = await t.runBatch();
    expect(due.records).toBe(0);
    expect(due.emitted.map((r) => r.value)).toEqual([{ user: 'c', count: 1, why: 'timeout' }]);
    expect((await t.state()).size).toBe(0);
  });
});
