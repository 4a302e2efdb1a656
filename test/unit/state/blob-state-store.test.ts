import { describe, expect, it } from 'vitest';
import { MemoryBlobStore } from '../../../engine/adapters/memory/memory-blob-store.js';
import { StateCorruptionError } from '../../../engine/errors.js';
import type { JsonValue } from '../../../engine/json.js';
import { BlobStateStore } from '../../../engine/state/blob-state-store.js';
import {
  INLINE_BODY_MAX_BYTES,
  STATE_FORMAT,
  decodeObject,
  encodeObject,
  type ManifestObject,
} from '../../../engine/state/state-format.js';

const write = (store: BlobStateStore, version: number, baseVersion: number, entries: Record<string, JsonValue>, generation?: number) => {
  const full = new Map(Object.entries(entries));
  return store.write({
    jobId: 'j',
    partition: 'p',
    version,
    baseVersion,
    changes: full,
    full,
    snapshotEvery: 10,
    ...(generation === undefined ? {} : { generation }),
  });
};

describe('BlobStateStore', () => {
  it('a warm store reads a version a replay rewrote, not its cached chain of the old generation', async () => {
    const blobs = new MemoryBlobStore();
    const warmExecutor = new BlobStateStore(blobs);
    const replay = new BlobStateStore(blobs); // another process
    // The first run: versions 1 and 2 (a delta on 1); the warm executor has read version 2.
    await write(warmExecutor, 1, 0, { a: 1 });
    await write(warmExecutor, 2, 1, { b: 2 });
    expect(Object.fromEntries(await warmExecutor.load('j', 'p', 2))).toEqual({ a: 1, b: 2 });

    // A replay (generation 1) rewrites version 2 on another base: the new logic never wrote version 1.
    await write(replay, 2, 0, { c: 3 }, 1);
    // The resumed job runs at generation 1: the warm executor must see the replay's version 2.
    expect(Object.fromEntries(await warmExecutor.load('j', 'p', 2, 1))).toEqual({ c: 3 });
  });

  const dir = 'jobs/j/state/p/';
  const name = (version: number, kind: string) => `${dir}${String(version).padStart(20, '0')}.${kind}`;
  const big = (tag: string) => `${tag}${'x'.repeat(INLINE_BODY_MAX_BYTES)}`;
  /** Writes versions 1..n, each a delta on the one before (snapshotEvery 4: versions 4 and 8 are snapshots). */
  const chain = async (store: BlobStateStore, values: JsonValue[]) => {
    const state = new Map<string, JsonValue>();
    const expected: Map<string, JsonValue>[] = [new Map()];
    for (const [i, value] of values.entries()) {
      const changes = new Map<string, JsonValue | undefined>([[`k${i % 3}`, value]]);
      if (i === 5) changes.set('k1', undefined);
      for (const [k, v] of changes) {
        if (v === undefined) state.delete(k);
        else state.set(k, v);
      }
      await store.write({ jobId: 'j', partition: 'p', version: i + 1, baseVersion: i, changes, full: new Map(state), snapshotEvery: 4 });
      expected.push(new Map(state));
    }
    return expected;
  };

  it('writes a small version as one object, its manifest holding the body; a large one as its body, then its manifest', async () => {
    const blobs = new MemoryBlobStore();
    const store = new BlobStateStore(blobs);
    const small = await write(store, 1, 0, { a: 1 });
    expect(await blobs.list(dir)).toEqual([name(1, 'manifest')]);
    const manifest = decodeObject<ManifestObject>((await blobs.get(name(1, 'manifest')))!, 'm');
    expect(manifest.inlineVersions).toEqual([1]);
    expect(manifest.body).toMatchObject({ version: 1 });
    expect(small.bytesWritten).toBe((await blobs.get(name(1, 'manifest')))!.byteLength);

    const large = await write(store, 2, 1, { b: big('b') });
    expect(await blobs.list(dir)).toEqual([name(1, 'manifest'), name(2, 'delta'), name(2, 'manifest')]);
    const second = decodeObject<ManifestObject>((await blobs.get(name(2, 'manifest')))!, 'm');
    expect(second.body).toBeUndefined();
    expect(second.inlineVersions).toEqual([1]);
    expect(large.bytesWritten).toBeGreaterThan(INLINE_BODY_MAX_BYTES);
  });

  it('loads every version of a chain mixing inline and separate bodies, across snapshots, from a fresh store', async () => {
    const blobs = new MemoryBlobStore();
    const values: JsonValue[] = [1, big('two'), { three: 3 }, big('four'), 5, [6], 7, 8, big('nine')];
    const expected = await chain(new BlobStateStore(blobs), values);
    for (let version = 0; version < expected.length; version += 1) {
      expect(await new BlobStateStore(blobs).load('j', 'p', version)).toEqual(expected[version]);
    }
    // Versions 4 and 8 are snapshots: 4 of its own (large), 8 inside its manifest (the large values overwritten by then).
    const keys = await blobs.list(dir);
    expect(keys.filter((k) => !k.endsWith('.manifest'))).toEqual([name(2, 'delta'), name(4, 'snapshot'), name(9, 'delta')]);
    const versions = await new BlobStateStore(blobs).listVersions('j', 'p');
    expect(versions.map((v) => v.kind)).toEqual(['delta', 'delta', 'delta', 'snapshot', 'delta', 'delta', 'delta', 'snapshot', 'delta']);
  });

  it('reads state written before inline bodies (format 1 manifests, a body object per version) and builds on it', async () => {
    const blobs = new MemoryBlobStore();
    const put = (key: string, value: object) => blobs.put(key, encodeObject({ format: STATE_FORMAT, ...value } as never));
    await put(name(1, 'snapshot'), { version: 1, entries: [['a', 1]] });
    await put(name(1, 'manifest'), { version: 1, kind: 'snapshot', snapshotVersion: 1, deltaVersions: [], rows: 1, bytes: 40 });
    await put(name(2, 'delta'), { version: 2, base: 1, puts: [['b', 2]], deletes: ['a'] });
    await put(name(2, 'manifest'), { version: 2, kind: 'delta', snapshotVersion: 1, deltaVersions: [2], rows: 1, bytes: 50 });
    const store = new BlobStateStore(blobs);
    expect(Object.fromEntries(await store.load('j', 'p', 2))).toEqual({ b: 2 });
    const full = new Map<string, JsonValue>([
      ['b', 2],
      ['c', 3],
    ]);
    await store.write({ jobId: 'j', partition: 'p', version: 3, baseVersion: 2, changes: new Map([['c', 3]]), full, snapshotEvery: 10 });
    expect(Object.fromEntries(await new BlobStateStore(blobs).load('j', 'p', 3))).toEqual({ b: 2, c: 3 });
  });

  it('a crash between a large body and its manifest leaves the version missing, and the retry completes it', async () => {
    const blobs = new MemoryBlobStore();
    await write(new BlobStateStore(blobs), 1, 0, { a: 1 });
    const crashing = Object.create(blobs) as MemoryBlobStore;
    crashing.put = async (key, body) => {
      if (key.endsWith('.manifest')) throw new Error('killed');
      return blobs.put(key, body);
    };
    await expect(write(new BlobStateStore(crashing), 2, 1, { b: big('b') })).rejects.toThrow('killed');
    expect(await blobs.list(dir)).toEqual([name(1, 'manifest'), name(2, 'delta')]);
    await expect(new BlobStateStore(blobs).load('j', 'p', 2)).rejects.toBeInstanceOf(StateCorruptionError);
    await write(new BlobStateStore(blobs), 2, 1, { b: big('b') });
    expect((await new BlobStateStore(blobs).load('j', 'p', 2)).get('b')).toBe(big('b'));
  });

  it('a manifest naming an inline body it does not hold is corruption, not an empty delta', async () => {
    const blobs = new MemoryBlobStore();
    await chain(new BlobStateStore(blobs), [1, 2]);
    const { body: _body, ...stripped } = decodeObject<ManifestObject>((await blobs.get(name(1, 'manifest')))!, 'm');
    await blobs.put(name(1, 'manifest'), encodeObject(stripped));
    await expect(new BlobStateStore(blobs).load('j', 'p', 2)).rejects.toThrow(/should hold its delta in its manifest/);
  });

  it('refuses an object of a format it does not know', () => {
    expect(() => decodeObject(encodeObject({ format: 3 } as never), 'k')).toThrow(/format 3; this engine reads formats 1 and 2/);
  });
});
