import { describe, expect, it } from 'vitest';
import { MemoryBlobStore } from '../../../engine/adapters/memory/memory-blob-store.js';
import { TransientError } from '../../../engine/errors.js';
import { BlobExchangeStore } from '../../../engine/state/exchange-store.js';

const bytes = (text: string) => new TextEncoder().encode(text);

describe('BlobExchangeStore.readSlice', () => {
  it('reads bytes [start, end) of an exchange object', async () => {
    const store = new BlobExchangeStore(new MemoryBlobStore());
    await store.put('exchange/j/g0/1/p', bytes('{"a":1}\n{"b":2}\n'));
    expect((await store.readSlice('exchange/j/g0/1/p', 8, 16)).toString('utf8')).toBe('{"b":2}\n');
  });

  it('a missing object (its batch committed since) is a TransientError', async () => {
    const store = new BlobExchangeStore(new MemoryBlobStore());
    await expect(store.readSlice('exchange/j/g0/1/p', 0, 8)).rejects.toBeInstanceOf(TransientError);
  });

  it('an object shorter than the range (being written again by a twin of its stage 1, where writes are not atomic) is a TransientError', async () => {
    const blobs = new MemoryBlobStore();
    const store = new BlobExchangeStore(blobs);
    // What a reader sees of an object a store truncates and then rewrites: its first bytes only.
    await blobs.put('exchange/j/g0/1/p', bytes('{"a":1}\n{"b"'));
    const read = store.readSlice('exchange/j/g0/1/p', 8, 16);
    await expect(read).rejects.toBeInstanceOf(TransientError);
    await expect(read).rejects.toThrow(
      'exchange object exchange/j/g0/1/p ends at byte 12, before the end of the range [8, 16) its index names',
    );
    // Once the write is done, the retry reads the slice whole.
    await blobs.put('exchange/j/g0/1/p', bytes('{"a":1}\n{"b":2}\n'));
    expect((await store.readSlice('exchange/j/g0/1/p', 8, 16)).toString('utf8')).toBe('{"b":2}\n');
  });
});
