/**
 * The rules a stream sink (Kinesis, Kafka) keeps, checked against any adapter and its
 * memory twin (a fresh, empty stream or topic per test): at-least-once, every record with
 * a deterministic id (engine/sinks/kinesis-records.ts sluiceIdOf, the Kafka sink's too), and
 * a deduped view (`scan`) that keeps per row key the record of the highest (generation,
 * batch), generation first. Each sink's contract file says what is its own: what it calls
 * a record, the batch scope its writes carry, its size limit and its request size.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { Sink, SinkRow, SinkWrite } from '../../engine/ports/sink.js';
import { type KinesisSinkEnvelope, sluiceIdOf } from '../../engine/sinks/kinesis-records.js';

export interface StreamSinkUnderTest {
  readonly sink: Sink;
  /** Every record in the stream or topic (or the twin's list), duplicates included; the Kafka sink's envelope is the Kinesis one. */
  records(): Promise<readonly KinesisSinkEnvelope[]>;
}

/** What differs between the stream sinks: the names in the test titles and the limits. */
export interface StreamSinkTraits {
  /** The sink, as the suite's title names it ('Kinesis sink'). */
  readonly title: string;
  /** What one row becomes: 'record', 'message'. */
  readonly unit: string;
  /** The batch scope (`SinkWrite.partition`) the writes carry, which the id is made from. */
  readonly partition: string;
  /** The largest row the sink takes, the limit its refusal names, and what the title calls it. */
  readonly tooLarge: { readonly bytes: number; readonly reason: RegExp; readonly title: string };
  /** The most rows one request carries, how many rows to write to need several, and what a request is called. */
  readonly requests: { readonly perRequest: number; readonly rows: number; readonly title: string };
}

const rows = (count: number, tag: string): SinkRow[] =>
  Array.from({ length: count }, (_, i) => ({ key: `page-${i}`, value: { count: i, tag } }));

export function describeStreamSinkContract(traits: StreamSinkTraits, name: string, make: () => Promise<StreamSinkUnderTest>): void {
  const { unit, partition, tooLarge, requests } = traits;
  const write = (batchId: number, sinkRows: readonly SinkRow[], generation = 0): SinkWrite => ({
    jobId: 'job',
    batchId,
    generation,
    partition,
    rows: sinkRows,
  });

  describe(`${traits.title} contract: ${name}`, () => {
    let t: StreamSinkUnderTest;
    beforeEach(async () => {
      t = await make();
    });

    it(`writes one ${unit} per row, each with its deterministic id, its (generation, batch) and its value`, async () => {
      const given = rows(3, 'a');
      expect(await t.sink.write(write(5, given))).toEqual({ written: 3, skipped: 0 });
      const records = await t.records();
      expect(records).toHaveLength(3);
      for (const row of given) {
        expect(records.find((r) => r.key === row.key)).toEqual({
          sluiceId: sluiceIdOf({ jobId: 'job', generation: 0, batchId: 5, partition }, row.key),
          jobId: 'job',
          generation: 0,
          batchId: 5,
          partition,
          key: row.key,
          value: row.value,
        });
      }
      expect(await t.sink.scan()).toEqual(given.map((row) => ({ key: row.key, value: row.value, batchId: 5, generation: 0 })));
      expect(await t.sink.get('page-1')).toEqual({ key: 'page-1', value: { count: 1, tag: 'a' }, batchId: 5, generation: 0 });
      expect(await t.sink.get('nothing')).toBeNull();
    });

    it('rewriting the same batch (a retry) writes duplicates with the same ids and values: the deduped view is exact', async () => {
      const given = rows(4, 'a');
      await t.sink.write(write(7, given));
      await t.sink.write(write(7, given));
      const records = await t.records();
      expect(records).toHaveLength(8);
      expect(new Set(records.map((r) => r.sluiceId)).size).toBe(4);
      // Every duplicate is identical to its first copy.
      for (const r of records)
        expect(records.filter((o) => o.sluiceId === r.sluiceId).every((o) => JSON.stringify(o) === JSON.stringify(r))).toBe(true);
      expect(await t.sink.scan()).toEqual(given.map((row) => ({ key: row.key, value: row.value, batchId: 7, generation: 0 })));
    });

    it('a zombie write of an older batch after a newer one: the deduped view keeps the newer', async () => {
      await t.sink.write(write(9, rows(3, 'newer')));
      await t.sink.write(write(8, rows(3, 'zombie')));
      expect(await t.records()).toHaveLength(6);
      expect((await t.sink.scan()).map((r) => [r.key, r.value.tag, r.batchId])).toEqual([
        ['page-0', 'newer', 9],
        ['page-1', 'newer', 9],
        ['page-2', 'newer', 9],
      ]);
    });

    it('a newer generation (a replay) wins over later batches of an older one, and an older generation never wins', async () => {
      await t.sink.write(write(12, rows(2, 'superseded'), 0));
      await t.sink.write(write(8, rows(2, 'replayed'), 1));
      await t.sink.write(write(40, rows(2, 'old-zombie'), 0));
      expect((await t.sink.scan()).map((r) => [r.key, r.value.tag, r.generation, r.batchId])).toEqual([
        ['page-0', 'replayed', 1, 8],
        ['page-1', 'replayed', 1, 8],
      ]);
      // A replay's records have ids of their own: a consumer never drops them as duplicates.
      expect(new Set((await t.records()).map((r) => r.sluiceId)).size).toBe(6);
    });

    it(`lets the last row of a key win within one write: one ${unit} per key`, async () => {
      const result = await t.sink.write(
        write(3, [
          { key: 'k', value: { n: 1 } },
          { key: 'other', value: { n: 5 } },
          { key: 'k', value: { n: 2 } },
        ]),
      );
      expect(result).toEqual({ written: 3, skipped: 0 });
      const records = await t.records();
      expect(records).toHaveLength(2);
      expect(records.map((r) => [r.key, r.value])).toEqual(
        expect.arrayContaining([
          ['k', { n: 2 }],
          ['other', { n: 5 }],
        ]),
      );
    });

    it('an empty batch writes nothing', async () => {
      expect(await t.sink.write(write(1, []))).toEqual({ written: 0, skipped: 0 });
      expect(await t.records()).toEqual([]);
    });

    it(`a row too large for ${tooLarge.title} is refused (a dead letter), the others are written`, async () => {
      const big = { key: 'big', value: { padding: 'x'.repeat(tooLarge.bytes) } };
      const result = await t.sink.write(write(2, [...rows(2, 'ok'), big]));
      expect(result.written).toBe(2);
      expect(result.rejected).toHaveLength(1);
      expect(result.rejected![0]!.key).toBe('big');
      expect(result.rejected![0]!.reason).toMatch(tooLarge.reason);
      expect((await t.sink.scan()).map((r) => r.key)).toEqual(['page-0', 'page-1']);
    });

    it(`writes more than ${requests.perRequest.toLocaleString('en-US')} rows (several ${requests.title})`, async () => {
      const many = rows(requests.rows, 'many');
      expect(await t.sink.write(write(4, many))).toEqual({ written: requests.rows, skipped: 0 });
      expect(await t.sink.scan()).toHaveLength(requests.rows);
      expect(new Set((await t.records()).map((r) => r.sluiceId)).size).toBe(requests.rows);
    });
  });
}
