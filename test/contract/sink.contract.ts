/**
 * The rules of engine/ports/sink.ts, checked against any adapter (a fresh, empty sink per
 * test). Rows carry the batch that wrote them and its replay generation; a write replaces
 * a row only when its (generation, batch) is the same or newer, generation first.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../../engine/errors.js';
import type { JsonObject } from '../../engine/json.js';
import type { Sink, SinkRow, SinkWrite, StoredRow } from '../../engine/ports/sink.js';

/** Attribute names a row value may not use: the DynamoDB sink keeps the key and the batch id in them. */
import { RESERVED_ROW_FIELDS as RESERVED_SINK_ATTRIBUTES } from '../../engine/ports/sink.js';

function rows(count: number, batchId: number, extra: JsonObject = {}): SinkRow[] {
  return Array.from({ length: count }, (_, i) => ({
    key: `page-${String(i).padStart(4, '0')}|2026-01-01T00:0${i % 10}:00Z`,
    value: { count: i * batchId, window: '2026-01-01T00:00:00Z', ...extra },
  }));
}

function write(batchId: number, sinkRows: readonly SinkRow[], partition = 'shardId-000000000000', generation = 0): SinkWrite {
  return { jobId: 'job', batchId, generation, partition, rows: sinkRows };
}

const stored = (row: SinkRow, batchId: number, generation = 0): StoredRow => ({ key: row.key, value: row.value, batchId, generation });

export function describeSinkContract(name: string, makeAdapter: () => Promise<Sink> | Sink): void {
  describe(`Sink contract: ${name}`, () => {
    let sink: Sink;
    beforeEach(async () => {
      sink = await makeAdapter();
    });

    it('starts empty', async () => {
      expect(await sink.get('nothing')).toBeNull();
      expect(await sink.scan()).toEqual([]);
    });

    it('stores rows with the batch that wrote them, values exactly as given', async () => {
      const given: SinkRow[] = [
        { key: 'a', value: { count: 3, sum: -0.25, tags: ['x', 'y'], nested: { ok: true, none: null }, empty: '', unicode: 'ñ 名前' } },
        { key: 'b|2026-01-01T00:00:00Z', value: {} },
        { key: 'c', value: { list: [1, [2, [3]], { k: 'v' }], big: 9_007_199_254_740_991 } },
      ];
      expect(await sink.write(write(5, given))).toEqual({ written: 3, skipped: 0 });
      for (const row of given) expect(await sink.get(row.key)).toEqual(stored(row, 5));
      expect(await sink.scan()).toEqual(given.map((row) => stored(row, 5)));
    });

    it('rewrites the same rows for the same batch (a retry or a replay)', async () => {
      const batch = rows(10, 7);
      await sink.write(write(7, batch));
      expect(await sink.write(write(7, batch))).toEqual({ written: 10, skipped: 0 });
      expect(await sink.scan()).toEqual(batch.map((row) => stored(row, 7)));
    });

    it('replaces rows with a newer batch', async () => {
      await sink.write(write(7, rows(10, 7)));
      const newer = rows(10, 8, { updated: true });
      expect(await sink.write(write(8, newer))).toEqual({ written: 10, skipped: 0 });
      expect(await sink.scan()).toEqual(newer.map((row) => stored(row, 8)));
    });

    it('never overwrites a row of a newer batch with an older batch (a zombie), up to 100 rows in a write', async () => {
      const newer = rows(30, 9);
      await sink.write(write(9, newer.slice(0, 20)));
      const older = rows(30, 4, { zombie: true });
      // 20 of the 30 rows are newer in the sink; 10 are new.
      expect(await sink.write(write(4, older))).toEqual({ written: 10, skipped: 20 });
      for (let i = 0; i < 30; i += 1) {
        expect(await sink.get(older[i]!.key)).toEqual(i < 20 ? stored(newer[i]!, 9) : stored(older[i]!, 4));
      }
      expect(await sink.write(write(4, older.slice(0, 20)))).toEqual({ written: 0, skipped: 20 });
    });

    it('never overwrites a row of a newer batch with an older batch, with more than 100 rows in a write', async () => {
      const newer = rows(250, 9);
      await sink.write(
        write(
          9,
          newer.filter((_, i) => i % 2 === 0),
        ),
      );
      const older = rows(250, 4, { zombie: true });
      expect(await sink.write(write(4, older))).toEqual({ written: 125, skipped: 125 });
      const all = await sink.scan();
      expect(all).toHaveLength(250);
      expect(all).toEqual(older.map((row, i) => (i % 2 === 0 ? stored(newer[i]!, 9) : stored(row, 4))));
    });

    it('leaves the rows as if each batch wrote once when a retry after a crash mid-write races a zombie, more than 100 rows', async () => {
      // Batch 5 crashed after writing 60 of its 150 rows; batch 6 then wrote every third key.
      const retried = rows(150, 5);
      await sink.write(write(5, retried.slice(0, 60)));
      const newer = rows(150, 6, { newer: true }).filter((_, i) => i % 3 === 0);
      await sink.write(write(6, newer));
      // The retry of batch 5 and a zombie still running batch 4 write all 150 rows at once.
      const zombie = rows(150, 4, { zombie: true });
      const [retry, stale] = await Promise.all([sink.write(write(5, retried)), sink.write(write(4, zombie))]);
      expect(retry).toEqual({ written: 100, skipped: 50 });
      // The zombie's puts that landed before the retry's were replaced by it: none survives.
      expect(stale.written + stale.skipped).toBe(150);
      expect(await sink.scan()).toEqual(retried.map((row, i) => (i % 3 === 0 ? stored(newer[i / 3]!, 6) : stored(row, 5))));
    });

    it('writes exactly 100 rows, and large writes of big rows in full', async () => {
      expect(await sink.write(write(1, rows(100, 1)))).toEqual({ written: 100, skipped: 0 });
      expect(await sink.scan()).toHaveLength(100);
      // 300 rows of ~5 KB: more than one page of a DynamoDB scan.
      const big = rows(300, 2, { padding: 'p'.repeat(5_000) });
      expect(await sink.write(write(2, big))).toEqual({ written: 300, skipped: 0 });
      const all = await sink.scan();
      expect(all).toHaveLength(300);
      expect(all).toEqual(big.map((row) => stored(row, 2)));
    });

    it('lets the last row of a key win within one write', async () => {
      const result = await sink.write(
        write(3, [
          { key: 'k', value: { count: 1 } },
          { key: 'other', value: { count: 5 } },
          { key: 'k', value: { count: 2 } },
        ]),
      );
      expect(result).toEqual({ written: 3, skipped: 0 });
      expect(await sink.get('k')).toEqual({ key: 'k', value: { count: 2 }, batchId: 3, generation: 0 });
      expect(await sink.scan()).toHaveLength(2);
    });

    describe('replay generations', () => {
      const p = 'shardId-000000000000';

      it('lets a newer generation overwrite a newer batch of an older generation (a replay supersedes it)', async () => {
        const superseded = rows(30, 12, { stale: true });
        await sink.write(write(12, superseded));
        const replayed = rows(30, 8, { replayed: true });
        expect(await sink.write(write(8, replayed, p, 1))).toEqual({ written: 30, skipped: 0 });
        expect(await sink.scan()).toEqual(replayed.map((row) => stored(row, 8, 1)));
      });

      it('never lets an older generation overwrite a newer one, whatever the batches, up to 100 rows and beyond', async () => {
        for (const count of [30, 250]) {
          const replayed = rows(count, 3, { replayed: true });
          await sink.write(write(3, replayed, p, 2));
          // A zombie of the superseded run (generation 1, a later batch) comes back.
          const zombie = rows(count, 40, { zombie: true });
          expect(await sink.write(write(40, zombie, p, 1))).toEqual({ written: 0, skipped: count });
          expect(await sink.write(write(40, zombie, p, 0))).toEqual({ written: 0, skipped: count });
          expect(await sink.scan()).toEqual(replayed.map((row) => stored(row, 3, 2)));
        }
      });

      it('orders rows of one generation by batch, as without replays', async () => {
        await sink.write(write(9, rows(5, 9), p, 3));
        expect(await sink.write(write(4, rows(5, 4), p, 3))).toEqual({ written: 0, skipped: 5 });
        expect(await sink.write(write(9, rows(5, 9), p, 3))).toEqual({ written: 5, skipped: 0 });
        const later = rows(5, 10, { later: true });
        expect(await sink.write(write(10, later, p, 3))).toEqual({ written: 5, skipped: 0 });
        expect(await sink.scan()).toEqual(later.map((row) => stored(row, 10, 3)));
      });

      it('writes a mix of older and newer rows row by row: only the rows it may replace change', async () => {
        const base = rows(20, 5);
        await sink.write(write(5, base.slice(0, 10), p, 0));
        await sink.write(write(2, base.slice(10, 20), p, 2));
        const replay = rows(20, 6, { g1: true });
        // Rows 0-9 are of generation 0 (replaced), rows 10-19 of generation 2 (kept).
        expect(await sink.write(write(6, replay, p, 1))).toEqual({ written: 10, skipped: 10 });
        const all = await sink.scan();
        expect(all).toEqual(replay.map((row, i) => (i < 10 ? stored(row, 6, 1) : stored(base[i]!, 2, 2))));
      });
    });

    it('accepts an empty write', async () => {
      expect(await sink.write(write(1, []))).toEqual({ written: 0, skipped: 0 });
    });

    it('rejects values that use a reserved attribute name, writing nothing', async () => {
      for (const name of RESERVED_SINK_ATTRIBUTES) {
        const bad = [...rows(3, 1), { key: 'bad', value: { [name]: 'x', count: 1 } }];
        await expect(sink.write(write(1, bad))).rejects.toBeInstanceOf(InvalidArgumentError);
      }
      expect(await sink.scan()).toEqual([]);
    });

    it('pages through every stored row once with readPage, when the sink has it', async () => {
      if (sink.readPage === undefined) return;
      const given = rows(23, 4);
      await sink.write(write(4, given));
      const seen: StoredRow[] = [];
      let after: string | null = null;
      let pages = 0;
      do {
        const page = await sink.readPage({ limit: 10, after });
        expect(page.rows.length).toBeLessThanOrEqual(10);
        seen.push(...page.rows);
        after = page.next;
        pages += 1;
      } while (after !== null && pages < 10);
      expect(pages).toBeGreaterThanOrEqual(3);
      expect(seen.sort((a, b) => (a.key < b.key ? -1 : 1))).toEqual(given.map((row) => stored(row, 4)));
    });
  });
}
