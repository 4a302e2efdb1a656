/**
 * The rules of engine/ports/state-store.ts, checked against any adapter. `makeAdapter`
 * returns a fresh store and `reopen`, which builds a second store over the same storage:
 * reads through it prove the state is really stored, not just cached by the writer.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { StateCorruptionError } from '../../engine/errors.js';
import type { JsonValue } from '../../engine/json.js';
import type { StateStore, StateWrite } from '../../engine/ports/state-store.js';

export interface StateStoreFixture {
  readonly store: StateStore;
  /** A new store instance over the same storage (no shared caches). */
  reopen(): StateStore;
}

type Changes = Record<string, JsonValue | undefined>;

/** Writes version `version` on top of `base`, applying `changes` to `state` (which it updates). */
async function writeVersion(
  store: StateStore,
  state: Map<string, JsonValue>,
  args: { jobId?: string; partition?: string; version: number; baseVersion: number; changes: Changes; snapshotEvery: number },
) {
  const changes = new Map(Object.entries(args.changes));
  for (const [key, value] of changes) {
    if (value === undefined) state.delete(key);
    else state.set(key, value);
  }
  const request: StateWrite = {
    jobId: args.jobId ?? 'job',
    partition: args.partition ?? 'shardId-000000000000',
    version: args.version,
    baseVersion: args.baseVersion,
    changes,
    full: new Map(state),
    snapshotEvery: args.snapshotEvery,
  };
  return store.write(request);
}

export function describeStateStoreContract(name: string, makeAdapter: () => Promise<StateStoreFixture> | StateStoreFixture): void {
  describe(`StateStore contract: ${name}`, () => {
    let fixture: StateStoreFixture;
    let store: StateStore;
    const P = 'shardId-000000000000';
    beforeEach(async () => {
      fixture = await makeAdapter();
      store = fixture.store;
    });

    it('loads version 0 as the empty state, for any job and partition', async () => {
      expect(await store.load('job', P, 0)).toEqual(new Map());
      expect(await store.load('never-ran', 'p', 0)).toEqual(new Map());
      expect(await store.listVersions('job', P)).toEqual([]);
      expect(await store.listPartitions('job')).toEqual([]);
    });

    it('throws StateCorruptionError for a version that was never written', async () => {
      await expect(store.load('job', P, 3)).rejects.toBeInstanceOf(StateCorruptionError);
      await writeVersion(store, new Map(), { version: 1, baseVersion: 0, changes: { a: 1 }, snapshotEvery: 10 });
      await expect(fixture.reopen().load('job', P, 2)).rejects.toBeInstanceOf(StateCorruptionError);
    });

    it('round-trips JSON values through a chain of deltas, every version still loadable', async () => {
      const state = new Map<string, JsonValue>();
      const expected: Map<string, JsonValue>[] = [new Map()];
      const steps: Changes[] = [
        { a: 1, b: { nested: [1, 'two', null, true, { deep: -0.5 }] }, ключ: 'значение', '': 'empty key' },
        { a: 2, c: null, b: undefined },
        { a: undefined, d: [], e: {}, f: 'x'.repeat(2_000) },
        { a: 'back', f: undefined, '': undefined, 'window:2026-01-01T00:00:00Z|/home': { count: 3, sum: 1e21 } },
      ];
      for (const [i, changes] of steps.entries()) {
        const result = await writeVersion(store, state, { version: i + 1, baseVersion: i, changes, snapshotEvery: 100 });
        expect(result.kind).toBe('delta');
        expect(result.bytesWritten).toBeGreaterThan(0);
        expected.push(new Map(state));
      }
      const reader = fixture.reopen();
      for (let version = 0; version < expected.length; version += 1) {
        expect(await reader.load('job', P, version)).toEqual(expected[version]);
      }
      const versions = await reader.listVersions('job', P);
      expect(versions.map((v) => v.version)).toEqual([1, 2, 3, 4]);
      expect(versions.map((v) => v.kind)).toEqual(['delta', 'delta', 'delta', 'delta']);
      expect(versions.map((v) => v.rows)).toEqual(expected.slice(1).map((m) => m.size));
    });

    it('round-trips bodies too large to go inside their manifest, mixed with small ones, across a snapshot', async () => {
      const state = new Map<string, JsonValue>();
      const expected: Map<string, JsonValue>[] = [new Map()];
      const large = (tag: string) => `${tag}:${'y'.repeat(70_000)}`;
      const steps: Changes[] = [{ a: large('a') }, { b: 2 }, { c: large('c'), a: undefined }, { d: 4 }, { c: 'small again' }];
      for (const [i, changes] of steps.entries()) {
        await writeVersion(store, state, { version: i + 1, baseVersion: i, changes, snapshotEvery: 3 });
        expected.push(new Map(state));
      }
      const reader = fixture.reopen();
      for (let version = 0; version < expected.length; version += 1) {
        expect(await reader.load('job', P, version)).toEqual(expected[version]);
      }
      expect((await reader.listVersions('job', P)).map((v) => v.kind)).toEqual(['delta', 'delta', 'snapshot', 'delta', 'delta']);
    });

    it('writes snapshots as snapshotEvery says and loads across them', async () => {
      const snapshotEvery = 3;
      const state = new Map<string, JsonValue>();
      const expected = new Map<number, Map<string, JsonValue>>();
      const kinds: string[] = [];
      for (let version = 1; version <= 10; version += 1) {
        const changes: Changes = { [`k${version}`]: version, total: version * 10 };
        if (version % 4 === 0) changes[`k${version - 2}`] = undefined;
        const { kind } = await writeVersion(store, state, { version, baseVersion: version - 1, changes, snapshotEvery });
        kinds.push(kind);
        expected.set(version, new Map(state));
      }
      const reader = fixture.reopen();
      const versions = await reader.listVersions('job', P);
      expect(versions.map((v) => v.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(versions.map((v) => v.kind)).toEqual(kinds);
      expect(kinds.filter((k) => k === 'snapshot').length).toBeGreaterThanOrEqual(2);
      for (const info of versions) {
        if (info.kind === 'snapshot') expect(info.snapshotVersion).toBe(info.version);
        else expect(info.snapshotVersion).toBeLessThan(info.version);
        // No chain is longer than snapshotEvery deltas.
        expect(info.version - info.snapshotVersion).toBeLessThanOrEqual(snapshotEvery);
        expect(info.rows).toBe(expected.get(info.version)!.size);
        expect(await reader.load('job', P, info.version)).toEqual(expected.get(info.version));
      }
    });

    it('handles sparse versions: a version builds on an older base', async () => {
      const state = new Map<string, JsonValue>();
      await writeVersion(store, state, { version: 1, baseVersion: 0, changes: { a: 1 }, snapshotEvery: 10 });
      const at1 = new Map(state);
      await writeVersion(store, state, { version: 4, baseVersion: 1, changes: { b: 2 }, snapshotEvery: 10 });
      await writeVersion(store, state, { version: 9, baseVersion: 4, changes: { a: undefined, c: 3 }, snapshotEvery: 10 });
      const reader = fixture.reopen();
      expect(await reader.load('job', P, 9)).toEqual(
        new Map<string, JsonValue>([
          ['b', 2],
          ['c', 3],
        ]),
      );
      expect(await reader.load('job', P, 1)).toEqual(at1);
      expect((await reader.listVersions('job', P)).map((v) => v.version)).toEqual([1, 4, 9]);
      await expect(reader.load('job', P, 5)).rejects.toBeInstanceOf(StateCorruptionError);
    });

    it('lets a version be written again with the same content (a retry or a zombie)', async () => {
      const state = new Map<string, JsonValue>();
      await writeVersion(store, state, { version: 1, baseVersion: 0, changes: { a: 1 }, snapshotEvery: 2 });
      const before = new Map(state);
      await writeVersion(store, state, { version: 2, baseVersion: 1, changes: { b: 2 }, snapshotEvery: 2 });
      await writeVersion(fixture.reopen(), new Map(before), { version: 2, baseVersion: 1, changes: { b: 2 }, snapshotEvery: 2 });
      await writeVersion(store, state, { version: 3, baseVersion: 2, changes: { c: 3 }, snapshotEvery: 2 });
      const reader = fixture.reopen();
      expect(await reader.load('job', P, 2)).toEqual(
        new Map<string, JsonValue>([
          ['a', 1],
          ['b', 2],
        ]),
      );
      expect(await reader.load('job', P, 3)).toEqual(state);
      expect((await reader.listVersions('job', P)).map((v) => v.version)).toEqual([1, 2, 3]);
    });

    it('keeps partitions and jobs apart and lists the partitions of a job', async () => {
      const partitions = ['shardId-000000000001', 'topic/0', 'a b%c'];
      for (const [i, partition] of partitions.entries()) {
        await writeVersion(store, new Map(), { partition, version: 1, baseVersion: 0, changes: { who: partition, i }, snapshotEvery: 5 });
      }
      await writeVersion(store, new Map(), { jobId: 'job-2', version: 1, baseVersion: 0, changes: { other: true }, snapshotEvery: 5 });
      const reader = fixture.reopen();
      expect(await reader.listPartitions('job')).toEqual([...partitions].sort());
      expect(await reader.listPartitions('job-2')).toEqual([P]);
      expect(await reader.listPartitions('jo')).toEqual([]);
      for (const [i, partition] of partitions.entries()) {
        expect(await reader.load('job', partition, 1)).toEqual(
          new Map<string, JsonValue>([
            ['who', partition],
            ['i', i],
          ]),
        );
      }
      expect(await reader.load('job-2', P, 1)).toEqual(new Map([['other', true]]));
      await expect(reader.load('job', P, 1)).rejects.toBeInstanceOf(StateCorruptionError);
    });

    it('deletes versions below a kept one but never the chain the kept version reads', async () => {
      const snapshotEvery = 3;
      const state = new Map<string, JsonValue>();
      const expected = new Map<number, Map<string, JsonValue>>();
      for (let version = 1; version <= 10; version += 1) {
        await writeVersion(store, state, { version, baseVersion: version - 1, changes: { [`k${version % 4}`]: version }, snapshotEvery });
        expected.set(version, new Map(state));
      }
      await writeVersion(store, new Map(), { partition: 'other', version: 1, baseVersion: 0, changes: { x: 1 }, snapshotEvery });
      const keep = 8;
      const chainStart = (await store.listVersions('job', P)).find((v) => v.version === keep)!.snapshotVersion;
      expect(chainStart).toBeGreaterThan(1);

      const deleted = await store.deleteVersionsBelow('job', P, keep);
      expect(deleted).toBeGreaterThan(0);
      const reader = fixture.reopen();
      const left = (await reader.listVersions('job', P)).map((v) => v.version);
      expect(left).toEqual(Array.from({ length: 10 - chainStart + 1 }, (_, i) => chainStart + i));
      for (let version = keep; version <= 10; version += 1) {
        expect(await reader.load('job', P, version)).toEqual(expected.get(version));
      }
      await expect(reader.load('job', P, chainStart - 1)).rejects.toBeInstanceOf(StateCorruptionError);
      expect(await reader.load('job', 'other', 1)).toEqual(new Map([['x', 1]]));

      // The job goes on from the kept versions.
      await writeVersion(reader, state, { version: 11, baseVersion: 10, changes: { k11: 11 }, snapshotEvery });
      expect(await fixture.reopen().load('job', P, 11)).toEqual(state);
      expect(await store.deleteVersionsBelow('job', P, keep)).toBe(0);
      expect(await store.deleteVersionsBelow('job', P, 0)).toBe(0);
    });

    it('keeps the chain of the first version at or above the bound when the bound itself is no version', async () => {
      // Sparse versions, as an idle partition writes them: 2, 5, 9, 12 (a snapshot every 2).
      const state = new Map<string, JsonValue>();
      const expected = new Map<number, Map<string, JsonValue>>();
      let base = 0;
      for (const version of [2, 5, 9, 12]) {
        await writeVersion(store, state, { version, baseVersion: base, changes: { [`k${version}`]: version }, snapshotEvery: 2 });
        expected.set(version, new Map(state));
        base = version;
      }
      const chainOf9 = (await store.listVersions('job', P)).find((v) => v.version === 9)!.snapshotVersion;
      await store.deleteVersionsBelow('job', P, 7);
      const reader = fixture.reopen();
      expect((await reader.listVersions('job', P)).map((v) => v.version)).toEqual([2, 5, 9, 12].filter((v) => v >= chainOf9));
      expect(await reader.load('job', P, 9)).toEqual(expected.get(9));
      expect(await reader.load('job', P, 12)).toEqual(expected.get(12));
    });

    it('judges what to keep by the stored chain, not one this instance cached before a replay rewrote it', async () => {
      // First run, a snapshot every 2: version 8 is a snapshot (this instance caches its manifest).
      const state = new Map<string, JsonValue>();
      for (let version = 1; version <= 8; version += 1) {
        await writeVersion(store, state, { version, baseVersion: version - 1, changes: { [`k${version}`]: version }, snapshotEvery: 2 });
      }
      // A replay (generation 1, another instance) rewrites 8 as a delta on 7, whose chain starts at snapshot 6.
      const replayed = new Map(state);
      replayed.set('k8', 'replayed');
      await fixture.reopen().write({
        jobId: 'job',
        partition: P,
        version: 8,
        baseVersion: 7,
        changes: new Map([['k8', 'replayed']]),
        full: replayed,
        snapshotEvery: 100,
        generation: 1,
      });
      await store.deleteVersionsBelow('job', P, 8);
      expect(await fixture.reopen().load('job', P, 8, 1)).toEqual(replayed);
    });

    it('deletes every version of a partition when none is at or above the bound', async () => {
      const state = new Map<string, JsonValue>();
      for (const version of [1, 2, 3]) {
        await writeVersion(store, state, { version, baseVersion: version - 1, changes: { k: version }, snapshotEvery: 2 });
      }
      await writeVersion(store, new Map(), { partition: 'other', version: 1, baseVersion: 0, changes: { x: 1 }, snapshotEvery: 2 });
      expect(await store.deleteVersionsBelow('job', P, 10)).toBeGreaterThan(0);
      const reader = fixture.reopen();
      expect(await reader.listVersions('job', P)).toEqual([]);
      expect(await reader.listPartitions('job')).toEqual(['other']);
      await expect(reader.load('job', P, 3)).rejects.toBeInstanceOf(StateCorruptionError);
      expect(await reader.load('job', 'other', 1)).toEqual(new Map([['x', 1]]));
    });
  });
}
