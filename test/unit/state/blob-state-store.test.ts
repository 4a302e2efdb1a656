import { describe, expect, it } from 'vitest';
import { MemoryBlobStore } from '../../../engine/adapters/memory/memory-blob-store.js';
import type { JsonValue } from '../../../engine/json.js';
import { BlobStateStore } from '../../../engine/state/blob-state-store.js';

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
});
