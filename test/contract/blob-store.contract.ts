/** The rules of engine/ports/blob-store.ts, checked against any adapter (a fresh, empty store per test). */
import { beforeEach, describe, expect, it } from 'vitest';
import type { BlobStore } from '../../engine/ports/blob-store.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

async function putAll(store: BlobStore, keys: readonly string[], concurrency = 16): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < keys.length) {
        const key = keys[next++]!;
        await store.put(key, bytes(key));
      }
    }),
  );
}

export function describeBlobStoreContract(name: string, makeAdapter: () => Promise<BlobStore> | BlobStore): void {
  describe(`BlobStore contract: ${name}`, () => {
    let store: BlobStore;
    beforeEach(async () => {
      store = await makeAdapter();
    });

    it('returns null for a key that was never written', async () => {
      expect(await store.get('jobs/nothing/here')).toBeNull();
    });

    it('returns exactly the bytes put, binary and empty bodies included', async () => {
      const binary = Uint8Array.from({ length: 512 }, (_, i) => (i * 7) % 256);
      await store.put('jobs/a/binary', binary);
      await store.put('jobs/a/empty', new Uint8Array());
      await store.put('jobs/a/text', bytes('{"format":1,"entries":[["ключ","値"]]}'));
      expect(await store.get('jobs/a/binary')).toEqual(binary);
      expect(await store.get('jobs/a/empty')).toEqual(new Uint8Array());
      expect(new TextDecoder().decode((await store.get('jobs/a/text'))!)).toBe('{"format":1,"entries":[["ключ","値"]]}');
    });

    it('reads byte ranges [start, end) of an object, empty ones included, and null for a missing key', async () => {
      const body = Uint8Array.from({ length: 300 }, (_, i) => i % 256);
      await store.put('jobs/a/ranged', body);
      expect(await store.getRange('jobs/a/ranged', 0, 300)).toEqual(body);
      expect(await store.getRange('jobs/a/ranged', 17, 18)).toEqual(body.subarray(17, 18));
      expect(await store.getRange('jobs/a/ranged', 100, 260)).toEqual(body.subarray(100, 260));
      expect(await store.getRange('jobs/a/ranged', 42, 42)).toEqual(new Uint8Array());
      expect(await store.getRange('jobs/a/missing', 0, 10)).toBeNull();
      expect(await store.getRange('jobs/a/missing', 0, 0)).toBeNull();
    });

    it("gives the bytes a range holds of an object shorter than it: those before the object's end, none past it", async () => {
      await store.put('jobs/a/short', bytes('0123456789'));
      expect(await store.getRange('jobs/a/short', 6, 20)).toEqual(bytes('6789'));
      expect(await store.getRange('jobs/a/short', 10, 20)).toEqual(new Uint8Array());
      expect(await store.getRange('jobs/a/short', 12, 20)).toEqual(new Uint8Array());
    });

    it("does not share the caller's buffer", async () => {
      const body = bytes('before');
      await store.put('k', body);
      body.set(bytes('AFTER!'));
      expect(await store.get('k')).toEqual(bytes('before'));
    });

    it('lets the last writer win', async () => {
      await store.put('k', bytes('first'));
      await store.put('k', bytes('second, longer'));
      await store.put('k', bytes('3'));
      expect(await store.get('k')).toEqual(bytes('3'));
      expect(await store.list('')).toEqual(['k']);
    });

    it('keeps keys with characters that need escaping in URLs', async () => {
      const keys = ['jobs/j 1/state/shard%2F1/00000000000000000001.delta', 'jobs/j=1/a+b/c&d', 'jobs/ü/名前'];
      for (const key of keys) await store.put(key, bytes(key));
      for (const key of keys) expect(await store.get(key)).toEqual(bytes(key));
      expect(await store.list('jobs/')).toEqual([...keys].sort());
    });

    it('lists the keys under a prefix in lexical order', async () => {
      const keys = ['a/10', 'a/2', 'a/1', 'ab/1', 'a', 'b/1', 'a/1/x'];
      await putAll(store, keys);
      expect(await store.list('a/')).toEqual(['a/1', 'a/1/x', 'a/10', 'a/2']);
      expect(await store.list('a')).toEqual(['a', 'a/1', 'a/1/x', 'a/10', 'a/2', 'ab/1']);
      expect(await store.list('')).toEqual(['a', 'a/1', 'a/1/x', 'a/10', 'a/2', 'ab/1', 'b/1']);
      expect(await store.list('c/')).toEqual([]);
      expect(await store.list('a/1/')).toEqual(['a/1/x']);
    });

    it('lists every key when there are many', async () => {
      const keys = Array.from({ length: 45 }, (_, i) => `jobs/j/state/p/${String(i).padStart(20, '0')}.delta`);
      await putAll(store, [...keys].reverse());
      await store.put('jobs/k/other', bytes('x'));
      expect(await store.list('jobs/j/')).toEqual(keys);
    });

    it('deletes the keys given, ignores missing ones and keeps the rest', async () => {
      await putAll(store, ['p/1', 'p/2', 'p/3', 'q/1']);
      await store.delete(['p/1', 'p/3', 'p/never-written']);
      await store.delete([]);
      expect(await store.get('p/1')).toBeNull();
      expect(await store.get('p/2')).toEqual(bytes('p/2'));
      expect(await store.list('')).toEqual(['p/2', 'q/1']);
      await store.delete(['p/2', 'q/1']);
      expect(await store.list('')).toEqual([]);
    });

    it('deletes more keys than one request takes', async () => {
      const keys = Array.from({ length: 1_010 }, (_, i) => `bulk/${String(i).padStart(5, '0')}`);
      await putAll(store, [...keys, 'keep/1']);
      await store.delete(keys);
      expect(await store.list('')).toEqual(['keep/1']);
    });
  });
}
