/** The re-slicing of a regroup (engine/replay/regroup-entries.ts): pure. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConflictError, JobSpecError } from '../../../engine/errors.js';
import { count, defineJob, max, memorySink, memorySource, reduce, sum, tumbling } from '../../../engine/job/index.js';
import type { JsonValue } from '../../../engine/json.js';
import { keyGroupOf } from '../../../engine/protocol/key-groups.js';
import { regroupEntries, type ScopeEntries } from '../../../engine/replay/regroup-entries.js';

interface View {
  readonly user: string;
  readonly bytes: number;
  readonly ts: number;
}

const job = (aggregate: 'count' | 'named' | 'mergeless' | 'windowed') =>
  defineJob<View>({
    name: 'per-user',
    version: 1,
    source: memorySource({ streamName: 'views' }),
    sink: memorySink({ name: 'per-user' }),
    pipeline: (views) => {
      if (aggregate === 'windowed') {
        return views
          .withWatermark((v) => v.ts, { allowedLatenessMs: 0 })
          .keyBy((v) => v.user)
          .window(tumbling({ sizeMs: 1000 }))
          .aggregate(count());
      }
      const keyed = views.keyBy((v) => v.user);
      if (aggregate === 'named') return keyed.aggregate({ views: count(), bytes: sum((v) => v.bytes), most: max((v) => v.bytes) });
      if (aggregate === 'mergeless') return keyed.aggregate(reduce<View, number>({ initial: 0, add: (acc) => acc + 1 }));
      return keyed.aggregate(count());
    },
    keyGroups: 4,
  });

const scope = (name: string, entries: Record<string, JsonValue>): ScopeEntries => ({
  scope: name,
  entries: new Map(Object.entries(entries)),
});

describe('regroupEntries', () => {
  it('puts every key in the group its rows go to, whatever the number of groups, keeping every value', () => {
    const keys = fc.uniqueArray(fc.oneof(fc.string({ maxLength: 8 }), fc.integer({ min: -1000, max: 1000 })), {
      maxLength: 60,
      selector: (k) => JSON.stringify([k]),
    });
    fc.assert(
      fc.property(keys, fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 5 }), (all, keyGroups, scopes) => {
        // The keys spread over `scopes` scopes, each key in one only: G -> G' (or partitions -> G').
        const from = Array.from({ length: scopes }, (_, s) =>
          scope(`keygroup-000${s}`, Object.fromEntries(all.filter((_, i) => i % scopes === s).map((k, i) => [JSON.stringify([k]), i]))),
        );
        const regrouped = regroupEntries({ jobId: 'j', scopes: from, keyGroups, pipeline: job('count').pipeline });
        expect(regrouped.mergedKeys).toBe(0);
        const seen = new Map<string, JsonValue>();
        for (const [group, { entries, dueAtWatermarkMs }] of regrouped.groups) {
          expect(entries.size).toBeGreaterThan(0);
          expect(dueAtWatermarkMs).toBeNull();
          for (const [key, value] of entries) {
            expect(keyGroupOf(JSON.parse(key)[0], keyGroups)).toBe(group);
            seen.set(key, value);
          }
        }
        expect(seen).toEqual(new Map(from.flatMap((s) => [...s.entries])));
        expect([...regrouped.groups.keys()]).toEqual([...regrouped.groups.keys()].sort((a, b) => a - b));
      }),
    );
  });

  it("merges the shares several partitions kept of one key with the aggregate's merge, in scope order", () => {
    const regrouped = regroupEntries({
      jobId: 'j',
      scopes: [
        scope('shard-1', { '["fr"]': { views: 1, bytes: 10, most: 10 }, '["de"]': { views: 2, bytes: 4, most: 3 } }),
        scope('shard-0', { '["fr"]': { views: 3, bytes: 5, most: 4 } }),
        scope('shard-2', { '["fr"]': { views: 2, bytes: 1, most: 1 } }),
      ],
      keyGroups: 4,
      pipeline: job('named').pipeline,
    });
    expect(regrouped.mergedKeys).toBe(1);
    const all = new Map([...regrouped.groups.values()].flatMap((g) => [...g.entries]));
    expect(all).toEqual(
      new Map<string, JsonValue>([
        ['["fr"]', { views: 6, bytes: 16, most: 10 }],
        ['["de"]', { views: 2, bytes: 4, most: 3 }],
      ]),
    );
  });

  it('refuses a key held by two scopes when the aggregate has no merge, naming the keys and the scopes', () => {
    const scopes = [
      scope('shard-0', { '["a"]': 1, '["b"]': 1, '["c"]': 1, '["d"]': 1, '["e"]': 7 }),
      scope('shard-1', { '["a"]': 2, '["b"]': 2, '["c"]': 2, '["d"]': 2 }),
    ];
    const run = () => regroupEntries({ jobId: 'j', scopes, keyGroups: 4, pipeline: job('mergeless').pipeline });
    expect(run).toThrow(ConflictError);
    expect(run).toThrow(
      'job j: 4 state keys are held by more than one scope of the checkpoint: ["a"] (in shard-0, shard-1), ["b"] (in shard-0, shard-1), ' +
        '["c"] (in shard-0, shard-1) and 1 more.',
    );
    // Without a key in two scopes, a merge-less aggregate regroups.
    const alone = regroupEntries({ jobId: 'j', scopes: [scopes[0]!], keyGroups: 2, pipeline: job('mergeless').pipeline });
    expect([...alone.groups.values()].reduce((n, g) => n + g.entries.size, 0)).toBe(5);
  });

  it('refuses a key that is not one of the pipeline’s, rather than guessing its group', () => {
    for (const key of ['user-1', '["a",1000]', '[ "a"]', '[true]', '[]']) {
      expect(() =>
        regroupEntries({ jobId: 'j', scopes: [scope('shard-0', { [key]: 1 })], keyGroups: 4, pipeline: job('count').pipeline }),
      ).toThrow(JobSpecError);
    }
    expect(() =>
      regroupEntries({ jobId: 'j', scopes: [scope('shard-0', { '["a"]': 1 })], keyGroups: 4, pipeline: job('windowed').pipeline }),
    ).toThrow(/state key \["a"\] of shard-0 is not a group key of this job's pipeline/);
  });

  it('keeps windows apart, merges each window of a key, and says when each group has a window due', () => {
    const regrouped = regroupEntries({
      jobId: 'j',
      scopes: [scope('shard-0', { '["a",0]': 2, '["a",1000]': 1, '["b",3000]': 4 }), scope('shard-1', { '["a",1000]': 5 })],
      keyGroups: 1,
      pipeline: job('windowed').pipeline,
    });
    expect(regrouped.mergedKeys).toBe(1);
    const [only] = [...regrouped.groups.values()];
    expect(only!.entries).toEqual(
      new Map([
        ['["a",0]', 2],
        ['["a",1000]', 6],
        ['["b",3000]', 4],
      ]),
    );
    // The earliest window held ends at 1000.
    expect(only!.dueAtWatermarkMs).toBe(1000);
  });
});
