/**
 * The Kafka sink's rules (engine/sinks/kafka-records.ts, engine/adapters/kafka/kafka-sink.ts),
 * checked against the adapter on librdkafka's mock cluster and its memory twin:
 * at-least-once, every message with a deterministic id, and a deduped view (`scan`) that
 * keeps per row key the message of the highest (generation, batch).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { Sink, SinkRow, SinkWrite } from '../../engine/ports/sink.js';
import { KAFKA_DEFAULT_MAX_MESSAGE_BYTES, type KafkaSinkEnvelope } from '../../engine/sinks/kafka-records.js';
import { sluiceIdOf } from '../../engine/sinks/kinesis-records.js';

export interface KafkaSinkUnderTest {
  readonly sink: Sink;
  /** Every message in the topic (or the twin's list), duplicates included. */
  records(): Promise<readonly KafkaSinkEnvelope[]>;
}

const rows = (count: number, tag: string): SinkRow[] =>
  Array.from({ length: count }, (_, i) => ({ key: `page-${i}`, value: { count: i, tag } }));

const write = (batchId: number, sinkRows: readonly SinkRow[], generation = 0, partition = 'kg-3'): SinkWrite => ({
  jobId: 'job',
  batchId,
  generation,
  partition,
  rows: sinkRows,
});

export function describeKafkaSinkContract(name: string, make: () => Promise<KafkaSinkUnderTest>): void {
  describe(`Kafka sink contract: ${name}`, () => {
    let t: KafkaSinkUnderTest;
    beforeEach(async () => {
      t = await make();
    });

    it('writes one message per row, each with its deterministic id (the Kinesis sink rule), its (generation, batch) and its value', async () => {
      const given = rows(3, 'a');
      expect(await t.sink.write(write(5, given))).toEqual({ written: 3, skipped: 0 });
      const records = await t.records();
      expect(records).toHaveLength(3);
      for (const row of given) {
        expect(records.find((r) => r.key === row.key)).toEqual({
          sluiceId: sluiceIdOf({ jobId: 'job', generation: 0, batchId: 5, partition: 'kg-3' }, row.key),
          jobId: 'job',
          generation: 0,
          batchId: 5,
          partition: 'kg-3',
          key: row.key,
          value: row.value,
        });
      }
      expect(await t.sink.scan()).toEqual(given.map((row) => ({ key: row.key, value: row.value, batchId: 5, generation: 0 })));
      expect(await t.sink.get('page-1')).toEqual({ key: 'page-1', value: { count: 1, tag: 'a' }, batchId: 5, generation: 0 });
      expect(await t.sink.get('nothing')).toBeNull();
    });

    it('rewriting the same batch (a retry) sends duplicates with the same ids and values: the deduped view is exact', async () => {
      const given = rows(4, 'a');
      await t.sink.write(write(7, given));
      await t.sink.write(write(7, given));
      const records = await t.records();
      expect(records).toHaveLength(8);
      expect(new Set(records.map((r) => r.sluiceId)).size).toBe(4);
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
      // A replay's messages have ids of their own: a consumer never drops them as duplicates.
      expect(new Set((await t.records()).map((r) => r.sluiceId)).size).toBe(6);
    });

    it('lets the last row of a key win within one write: one message per key', async () => {
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

    it('an empty batch sends nothing', async () => {
      expect(await t.sink.write(write(1, []))).toEqual({ written: 0, skipped: 0 });
      expect(await t.records()).toEqual([]);
    });

    it('a row too large for a Kafka message (1 MiB by default) is refused (a dead letter), the others are written', async () => {
      const big = { key: 'big', value: { padding: 'x'.repeat(KAFKA_DEFAULT_MAX_MESSAGE_BYTES) } };
      const result = await t.sink.write(write(2, [...rows(2, 'ok'), big]));
      expect(result.written).toBe(2);
      expect(result.rejected).toHaveLength(1);
      expect(result.rejected![0]!.key).toBe('big');
      expect(result.rejected![0]!.reason).toMatch(/above the 1048576-byte limit of a message/);
      expect((await t.sink.scan()).map((r) => r.key)).toEqual(['page-0', 'page-1']);
    });

    it('writes more than 1,000 rows (several produce requests)', async () => {
      const many = rows(1_250, 'many');
      expect(await t.sink.write(write(4, many))).toEqual({ written: 1_250, skipped: 0 });
      expect(await t.sink.scan()).toHaveLength(1_250);
      expect(new Set((await t.records()).map((r) => r.sluiceId)).size).toBe(1_250);
    });
  });
}
