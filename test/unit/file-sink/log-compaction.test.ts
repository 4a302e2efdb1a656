import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryBlobStore } from '../../../engine/adapters/memory/memory-blob-store.js';
import { FileSink } from '../../../engine/file-sink/file-sink.js';
import { s3FileSink } from '../../../engine/job/index.js';
import type { BlobStore } from '../../../engine/ports/blob-store.js';
import { COMPACT_SUFFIX } from '../../../engine/protocol/file-sink-compaction.js';

const JOB = 'clicks';
const PREFIX = 'lake/clicks';

/** A memory bucket that can die before the next PUT of a key a predicate picks, and counts GETs. */
class CrashingBlobs implements BlobStore {
  readonly inner = new MemoryBlobStore();
  gets = 0;
  private crashBefore: ((key: string) => boolean) | null = null;
  fired = false;

  arm(predicate: (key: string) => boolean): void {
    this.crashBefore = predicate;
    this.fired = false;
  }
  async put(key: string, body: Uint8Array): Promise<void> {
    if (this.crashBefore?.(key)) {
      this.crashBefore = null;
      this.fired = true;
      throw new Error(`crash before PUT ${key}`);
    }
    return this.inner.put(key, body);
  }
  get(key: string) {
    this.gets += 1;
    return this.inner.get(key);
  }
  getRange(key: string, start: number, end: number) {
    return this.inner.getRange(key, start, end);
  }
  list(prefix: string) {
    return this.inner.list(prefix);
  }
  delete(keys: readonly string[]) {
    return this.inner.delete(keys);
  }
}

function sinkOn(blobs: BlobStore, log: { logCompactInterval: number; logDeletion: boolean; logCleanupDelayBatches?: number }) {
  return new FileSink({ blobs, bucket: 'lake', spec: s3FileSink({ prefix: PREFIX, format: 'jsonl', ...log }) });
}

/** Writes a batch's rows (one file) and commits it: what an executor and then Finish do. */
async function runBatch(sink: FileSink, batchId: number, generation: number): Promise<void> {
  await sink.write({ jobId: JOB, batchId, generation, partition: 'shard-0', rows: [{ key: `/k${batchId}`, value: { generation } }] });
  await sink.commitBatch({ jobId: JOB, batchId, generation });
}

const paths = async (sink: FileSink) => (await sink.committedFiles()).map((f) => f.path);

type Op =
  | { readonly kind: 'batch' }
  | { readonly kind: 'retry' }
  | { readonly kind: 'replay'; readonly from: number }
  | { readonly kind: 'zombie'; readonly pick: number }
  | { readonly kind: 'crash'; readonly before: 'compact' | 'entry'; readonly after: 'retry' | 'replay'; readonly from: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: fc.constant({ kind: 'batch' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'retry' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('replay' as const), from: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('zombie' as const), pick: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('crash' as const),
      before: fc.constantFrom('compact' as const, 'entry' as const),
      after: fc.constantFrom('retry' as const, 'replay' as const),
      from: fc.nat(),
    }),
  },
);

describe('file sink log compaction (as Spark compacts FileStreamSinkLog)', () => {
  it('as a property: a reader of the compacted log sees exactly the files a reader of every entry sees, over batches, retries, crashes, replays and zombies', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          interval: fc.integer({ min: 1, max: 6 }),
          deletion: fc.boolean(),
          extraDelay: fc.nat(6),
          ops: fc.array(op, { minLength: 1, maxLength: 60 }),
        }),
        async ({ interval, deletion, extraDelay, ops }) => {
          const blobs = new CrashingBlobs();
          const compacted = sinkOn(blobs, {
            logCompactInterval: interval,
            logDeletion: deletion,
            logCleanupDelayBatches: interval + extraDelay,
          });
          // The reference never compacts within the run and deletes nothing: every entry stays.
          const reference = sinkOn(new MemoryBlobStore(), { logCompactInterval: 1_000_000, logDeletion: false });
          const both = (batchId: number, generation: number) =>
            Promise.all([runBatch(compacted, batchId, generation), runBatch(reference, batchId, generation)]);
          let generation = 0;
          let next = 1;
          const committed: { batchId: number; generation: number }[] = [];
          const left: { batchId: number; generation: number }[] = [];
          const replay = async (from: number) => {
            generation += 1;
            next = 1 + (from % next);
          };
          for (const o of ops) {
            if (o.kind === 'batch') {
              await both(next, generation);
              committed.push({ batchId: next, generation });
              next += 1;
            } else if (o.kind === 'retry' && next > 1) {
              await both(next - 1, generation);
            } else if (o.kind === 'replay') {
              await replay(o.from);
            } else if (o.kind === 'zombie') {
              // An older generation's Finish of a batch it committed (its entry written, or left unwritten by a crash).
              const candidates = [...committed, ...left].filter((c) => c.generation < generation);
              const target = candidates[o.pick % Math.max(1, candidates.length)];
              if (target !== undefined) await both(target.batchId, target.generation);
            } else if (o.kind === 'crash') {
              blobs.arm((key) => key.startsWith(`${PREFIX}/_sluice_log/`) && (o.before === 'entry') !== key.endsWith(COMPACT_SUFFIX));
              const batch = { batchId: next, generation };
              await compacted.write({ jobId: JOB, ...batch, partition: 'shard-0', rows: [{ key: `/k${next}`, value: { generation } }] });
              const died = await compacted.commitBatch({ jobId: JOB, ...batch }).then(
                () => false,
                () => true,
              );
              blobs.arm(() => false);
              next += 1;
              // A death before the compact's PUT comes after the entry's: the batch is in the log.
              const inLog = !died || o.before === 'compact';
              if (inLog) {
                await runBatch(reference, batch.batchId, batch.generation);
                committed.push(batch);
              }
              if (died && o.after === 'retry') {
                await both(batch.batchId, batch.generation);
                if (!inLog) committed.push(batch);
              } else if (died) {
                // Finish died; the job is replayed, and a zombie may finish the batch later.
                if (!inLog) left.push(batch);
                await replay(o.from);
              }
            }
            expect(await paths(compacted)).toEqual(await paths(reference));
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  it('with deletion, the log keeps a bounded number of objects, and a reader GETs one compact and the entries after it', async () => {
    const blobs = new CrashingBlobs();
    const sink = sinkOn(blobs, { logCompactInterval: 10, logDeletion: true, logCleanupDelayBatches: 20 });
    const plain = new CrashingBlobs();
    const reference = sinkOn(plain, { logCompactInterval: 1_000_000, logDeletion: false });
    for (let b = 1; b <= 205; b += 1) {
      await runBatch(sink, b, 0);
      await runBatch(reference, b, 0);
    }
    const log = await blobs.list(`${PREFIX}/_sluice_log/`);
    // Entries 181..205 (the covered ones above batch 200 - 20 stay) and the compacts of 190 and 200.
    expect(log.filter((k) => k.endsWith(COMPACT_SUFFIX)).map((k) => k.slice(`${PREFIX}/_sluice_log/`.length))).toEqual([
      '000000000190-g000000.compact.json',
      '000000000200-g000000.compact.json',
    ]);
    expect(log.length).toBe(25 + 2);
    blobs.gets = 0;
    plain.gets = 0;
    await sink.readLog();
    await reference.readLog();
    expect(blobs.gets).toBe(1 + 5);
    expect(plain.gets).toBe(205);
    expect(await paths(sink)).toEqual(await paths(reference));
  });

  it('a reader whose listing went stale under a deletion lists again', async () => {
    const blobs = new CrashingBlobs();
    const sink = sinkOn(blobs, { logCompactInterval: 2, logDeletion: true, logCleanupDelayBatches: 2 });
    for (let b = 1; b <= 5; b += 1) await runBatch(sink, b, 0);
    const expected = await paths(sink);
    // The reader lists; then batches 6 and 7 commit, and everything that listing named is deleted
    // (as later compactions would): its compact is gone when the reader GETs it.
    const list = blobs.list.bind(blobs);
    let raced = false;
    blobs.list = async (prefix: string) => {
      const keys = await list(prefix);
      if (!raced && prefix.endsWith('_sluice_log/')) {
        raced = true;
        blobs.list = list;
        for (const b of [6, 7]) await runBatch(sink, b, 0);
        // Drop what the stale listing names, as the deletion of a later compaction would.
        await blobs.delete(keys);
      }
      return keys;
    };
    const after = await sink.readLog();
    expect(raced).toBe(true);
    expect(after.map((e) => e.batchId)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect((await paths(sink)).slice(0, expected.length)).toEqual(expected);
  });
});
