import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../engine/errors.js';
import { splitUnwritableRows } from '../../engine/executor/batch-outputs.js';
import type { FileSink } from '../../engine/file-sink/file-sink.js';
import { s3FileSink } from '../../engine/job/index.js';
import type { BlobStore } from '../../engine/ports/blob-store.js';
import type { FileFormat, FileSinkSpec, SinkRow } from '../../engine/ports/sink.js';

/** A file sink on a bucket of its own, and that bucket's objects (to look at the files themselves). */
export type FileSinkFactory = (spec: FileSinkSpec) => Promise<{ sink: FileSink; blobs: BlobStore }>;

const JOB = 'clicks';
const rowsOf = (entries: [string, number][]): SinkRow[] =>
  entries.map(([key, n]) => ({ key, value: { page: key, n, day: n % 2 === 0 ? 'even' : 'odd' } }));

/** Every object under the prefix with its bytes (base64): what a rewrite must leave byte for byte. */
async function objects(blobs: BlobStore, prefix: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const key of await blobs.list(prefix)) out[key] = Buffer.from((await blobs.get(key))!).toString('base64');
  return out;
}

/**
 * The file sink's contract (engine/file-sink/file-sink.ts), as Spark's FileStreamSinkSuite
 * holds FileStreamSink to its log: a batch's files count only once the log lists them, a
 * rewrite of a batch writes the same objects, a later generation supersedes through the log.
 */
export function describeFileSinkContract(name: string, factory: FileSinkFactory): void {
  for (const format of ['jsonl', 'parquet'] as const satisfies readonly FileFormat[]) {
    const spec = (extra: { maxFileBytes?: number; logCompactInterval?: number; logCleanupDelayBatches?: number } = {}) =>
      s3FileSink({ prefix: 'lake/clicks', format, partitionBy: (row) => `day=${row.day}`, ...extra });
    const write = (sink: FileSink, batchId: number, generation: number, rows: SinkRow[], partition = 'shard-0') =>
      sink.write({ jobId: JOB, batchId, generation, partition, rows });
    const commit = (sink: FileSink, batchId: number, generation: number) => sink.commitBatch({ jobId: JOB, batchId, generation });
    const committed = async (sink: FileSink) => (await sink.scan()).map((r) => [r.key, r.value.n, r.batchId, r.generation]);

    describe(`file sink contract (as Spark's FileStreamSinkSuite holds its sink log): ${name}, ${format}`, () => {
      it('a written batch is invisible until its commit, then its rows are read through the log, sorted by key per file', async () => {
        const { sink, blobs } = await factory(spec());
        await write(
          sink,
          1,
          0,
          rowsOf([
            ['/c', 3],
            ['/a', 1],
            ['/b', 2],
          ]),
        );
        expect(await sink.scan()).toEqual([]);
        await commit(sink, 1, 0);
        expect(await committed(sink)).toEqual([
          ['/b', 2, 1, 0],
          ['/a', 1, 1, 0],
          ['/c', 3, 1, 0],
        ]);
        const files = await sink.committedFiles();
        expect(files.map((f) => f.path)).toEqual([
          `lake/clicks/day=even/part-clicks-g0-b1-shard-0-0.${format}`,
          `lake/clicks/day=odd/part-clicks-g0-b1-shard-0-0.${format}`,
        ]);
        expect((await blobs.list('lake/clicks/_sluice_log/')).filter((k) => k.endsWith('.json'))).toEqual([
          'lake/clicks/_sluice_log/000000000001-g000000.json',
        ]);
      });

      it('a rewrite of the same batch (a retry, a zombie) writes the same objects with the same bytes', async () => {
        const { sink, blobs } = await factory(spec());
        const rows = rowsOf([
          ['/a', 1],
          ['/b', 2],
          ['/c', 3],
          ['/d', 4],
        ]);
        await write(sink, 1, 0, rows);
        const first = await objects(blobs, 'lake/');
        await write(sink, 1, 0, [...rows].reverse());
        expect(await objects(blobs, 'lake/')).toEqual(first);
        await commit(sink, 1, 0);
        const afterCommit = await objects(blobs, 'lake/');
        // A second commit (a retried Finish, the next plan's repair) changes nothing.
        await commit(sink, 1, 0);
        await write(sink, 1, 0, rows);
        expect(await objects(blobs, 'lake/')).toEqual(afterCommit);
      });

      it("a zombie's write of an older batch after a newer commit changes nothing readers see; an uncommitted batch's files are never read", async () => {
        const { sink } = await factory(spec());
        await write(sink, 1, 0, rowsOf([['/a', 1]]));
        await commit(sink, 1, 0);
        await write(sink, 2, 0, rowsOf([['/a', 2]]));
        await commit(sink, 2, 0);
        const before = await committed(sink);
        await write(sink, 1, 0, rowsOf([['/a', 1]]));
        await write(sink, 3, 0, rowsOf([['/a', 3]]));
        expect(await committed(sink)).toEqual(before);
        expect((await sink.get('/a'))?.value.n).toBe(2);
      });

      it('a newer generation supersedes the older one from its first batch on, through the log, without deleting the old files', async () => {
        const { sink, blobs } = await factory(spec());
        for (const batch of [1, 2, 3]) {
          await write(sink, batch, 0, rowsOf([[`/b${batch}`, batch]]));
          await commit(sink, batch, 0);
        }
        // A replay in generation 1 from batch 2: its batch 2 writes other rows; before its commit nothing changes.
        await write(sink, 2, 1, rowsOf([['/r2', 20]]));
        expect(await committed(sink)).toEqual([
          ['/b1', 1, 1, 0],
          ['/b2', 2, 2, 0],
          ['/b3', 3, 3, 0],
        ]);
        await commit(sink, 2, 1);
        expect(await committed(sink)).toEqual([
          ['/b1', 1, 1, 0],
          ['/r2', 20, 2, 1],
        ]);
        // The old generation's files stay (retention is the bucket's lifecycle rule), only unlisted.
        expect(await blobs.get(`lake/clicks/day=odd/part-clicks-g0-b3-shard-0-0.${format}`)).not.toBeNull();
        // Athena's manifests list exactly the live files.
        const manifests = await blobs.list('lake/clicks/_symlink_format_manifest/');
        const listed: string[] = [];
        for (const key of manifests)
          listed.push(
            ...new TextDecoder()
              .decode((await blobs.get(key))!)
              .split('\n')
              .filter(Boolean),
          );
        expect(listed.map((p) => p.replace(/^s3:\/\/[^/]+\//, '')).sort()).toEqual((await sink.committedFiles()).map((f) => f.path).sort());
        // The replay goes on: batch 3 of generation 1.
        await write(sink, 3, 1, rowsOf([['/r3', 30]]));
        await commit(sink, 3, 1);
        expect((await committed(sink)).map((r) => r[0])).toEqual(['/b1', '/r2', '/r3']);
      });

      it("an empty batch gets a log entry with no files; a replay's empty first batch still supersedes the old generation", async () => {
        const { sink } = await factory(spec());
        await write(sink, 1, 0, rowsOf([['/a', 1]]));
        await commit(sink, 1, 0);
        await commit(sink, 2, 0); // no rows written
        expect((await sink.readLog()).map((e) => [e.batchId, e.generation, e.files.length])).toEqual([
          [1, 0, 1],
          [2, 0, 0],
        ]);
        await commit(sink, 1, 1); // the replay's batch 1 wrote nothing
        expect(await sink.scan()).toEqual([]);
      });

      it('rows no file can take become dead letters before the write: too large, a reserved field, an unsafe partition path', async () => {
        const { sink } = await factory(spec());
        const big: SinkRow = { key: '/big', value: { day: 'odd', blob: 'x'.repeat(401 * 1024) } };
        const reserved: SinkRow = { key: '/r', value: { day: 'odd', pk: 'x' } };
        const unsafe: SinkRow = { key: '/u', value: { day: '../../etc' } };
        const fine: SinkRow = { key: '/f', value: { day: 'odd' } };
        const { rows, unwritable } = splitUnwritableRows([big, reserved, unsafe, fine], sink);
        expect(rows).toEqual([fine]);
        expect(unwritable.map((u) => u.key)).toEqual(['/big', '/r', '/u']);
        expect(sink.rowProblem(unsafe)).toMatch(/partition path/);
        // Handed one anyway, the sink refuses the write rather than write outside its prefix.
        await expect(write(sink, 1, 0, [unsafe])).rejects.toBeInstanceOf(InvalidArgumentError);
      });

      it('cuts parts at maxFileBytes: every row in exactly one part, parts numbered in key order', async () => {
        const { sink } = await factory(spec({ maxFileBytes: 1024 }));
        const rows = Array.from({ length: 40 }, (_, i) => ({
          key: `/p${String(i).padStart(2, '0')}`,
          value: { day: 'even', n: 2 * i, pad: 'y'.repeat(60) },
        }));
        await write(sink, 1, 0, rows);
        await commit(sink, 1, 0);
        const files = await sink.committedFiles();
        expect(files.length).toBeGreaterThan(2);
        expect(
          files
            .map((f) => f.path.replace(/.*-(\d+)\.\w+$/, '$1'))
            .map(Number)
            .sort((a, b) => a - b),
        ).toEqual(files.map((_, i) => i));
        expect((await sink.scan()).map((r) => r.key).sort()).toEqual(rows.map((r) => r.key));
      });

      it('compacts its log every logCompactInterval batches: readers see what a reader of every entry sees, through a retry, a replay and a zombie', async () => {
        const plain = await factory(spec());
        const compacting = await factory(spec({ logCompactInterval: 2, logCleanupDelayBatches: 2 }));
        const run = async (batchId: number, generation: number) => {
          for (const { sink } of [plain, compacting]) {
            await write(sink, batchId, generation, rowsOf([[`/b${batchId}`, batchId * 10 + generation]]));
            await commit(sink, batchId, generation);
          }
        };
        for (const batch of [1, 2, 3, 4, 5, 6]) await run(batch, 0);
        await run(6, 0); // a retried batch: its compact is there, nothing changes
        const logOf = async (blobs: BlobStore) =>
          (await blobs.list('lake/clicks/_sluice_log/')).map((k) => k.slice('lake/clicks/_sluice_log/'.length));
        // Compact 6 covers batches 1-6; the entries and compacts 2 or more batches older are deleted.
        expect(await logOf(compacting.blobs)).toEqual([
          '000000000005-g000000.json',
          '000000000006-g000000.compact.json',
          '000000000006-g000000.json',
        ]);
        expect(await committed(compacting.sink)).toEqual(await committed(plain.sink));
        // A replay in generation 1 from batch 4, after the compaction: its entries supersede the compacted ones.
        for (const batch of [4, 5, 6, 7]) await run(batch, 1);
        // A zombie of generation 0 finishing batch 5 (entry there) and batch 2 (entry deleted, covered): nothing changes.
        await commit(compacting.sink, 5, 0);
        await commit(compacting.sink, 2, 0);
        expect((await committed(compacting.sink)).map((r) => r.slice(0, 3))).toEqual([
          ['/b1', 10, 1],
          ['/b2', 20, 2],
          ['/b3', 30, 3],
          ['/b4', 41, 4],
          ['/b5', 51, 5],
          ['/b6', 61, 6],
          ['/b7', 71, 7],
        ]);
        expect(await committed(compacting.sink)).toEqual(await committed(plain.sink));
        // Generation 1 compacted at 4 and 6 (built on generation 0's compact 6); compact 4 is 2 batches old now.
        expect((await logOf(compacting.blobs)).filter((k) => k.endsWith('.compact.json'))).toEqual([
          '000000000006-g000000.compact.json',
          '000000000006-g000001.compact.json',
        ]);
      });

      it("pages through the committed rows in scan()'s order across files, and refuses a position in a superseded file", async () => {
        const { sink } = await factory(spec());
        await write(sink, 1, 0, rowsOf(Array.from({ length: 7 }, (_, i): [string, number] => [`/p${i}`, i])));
        await commit(sink, 1, 0);
        const pages: [string, unknown][][] = [];
        let after: string | null = null;
        let first: string | null = null;
        do {
          const page = await sink.readPage({ limit: 3, after });
          pages.push(page.rows.map((r): [string, unknown] => [r.key, r.value.n]));
          after = page.next;
          first ??= after;
        } while (after !== null);
        expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
        expect(pages.flat()).toEqual((await committed(sink)).map(([key, n]) => [key, n]));
        // A replay (generation 1) supersedes batch 1: the old position names a file no longer committed.
        await write(sink, 1, 1, rowsOf([['/p0', 10]]));
        await commit(sink, 1, 1);
        await expect(sink.readPage({ limit: 3, after: first })).rejects.toThrow(/read again from the first page/);
      });
    });
  }
}
