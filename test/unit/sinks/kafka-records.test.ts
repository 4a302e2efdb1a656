/**
 * The Kafka sink's messages (engine/sinks/kafka-records.ts), as properties: the produce
 * requests keep the order and the limits; and whatever duplicates, zombie writes and
 * reorderings a topic ends up with, the deduped view is the view of each write applied
 * once in (generation, batch) order.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SinkWrite } from '../../../engine/ports/sink.js';
import {
  chunkMessages,
  dedupedView,
  KAFKA_MAX_MESSAGES_PER_SEND,
  kafkaMessagesOf,
  type KafkaSinkEnvelope,
} from '../../../engine/sinks/kafka-records.js';

describe('chunkMessages', () => {
  it('keeps every message, in order, in requests of at most 1,000 messages and the byte limit', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 600 }), { maxLength: 2_500 }), fc.integer({ min: 600, max: 5_000 }), (sizes, max) => {
        const messages = sizes.map((bytes, i) => ({ bytes, i }));
        const chunks = chunkMessages(messages, max);
        expect(chunks.flat().map((m) => m.i)).toEqual(messages.map((m) => m.i));
        for (const chunk of chunks) {
          expect(chunk.length).toBeGreaterThan(0);
          expect(chunk.length).toBeLessThanOrEqual(KAFKA_MAX_MESSAGES_PER_SEND);
          expect(chunk.reduce((sum, m) => sum + m.bytes, 0)).toBeLessThanOrEqual(max);
        }
      }),
    );
  });
});

/** A permutation of the messages (Fisher-Yates driven by a linear congruential sequence from the seed). */
function shuffle<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let state = seed >>> 0;
  for (let i = out.length - 1; i > 0; i -= 1) {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const writeArb = fc.record({
  generation: fc.integer({ min: 0, max: 2 }),
  batchId: fc.integer({ min: 1, max: 6 }),
  keys: fc.uniqueArray(fc.constantFrom('a', 'b', 'c', 'd'), { minLength: 1 }),
});

describe('the deduped view of a topic with duplicates', () => {
  it('equals each distinct write applied once in (generation, batch) order, whatever the copies and their order', () => {
    fc.assert(
      fc.property(
        fc.array(writeArb, { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        fc.integer(),
        (writes, copies, seed) => {
          // A write's rows are a function of its (generation, batch): the same batch is the same rows on every run.
          const toWrite = (w: (typeof writes)[number]): SinkWrite => ({
            jobId: 'job',
            generation: w.generation,
            batchId: w.batchId,
            partition: 'kg-0',
            rows: w.keys.map((key) => ({ key, value: { at: `${w.generation}/${w.batchId}` } })),
          });
          const distinct = new Map(writes.map((w) => [`${w.generation}/${w.batchId}`, w]));
          const sent: KafkaSinkEnvelope[] = [];
          for (const w of distinct.values()) sent.push(...kafkaMessagesOf(toWrite(w)).messages.map((m) => m.envelope));
          // Retries and zombies: copies of some writes, in any order.
          const all = [...distinct.values()];
          for (const c of copies) sent.push(...kafkaMessagesOf(toWrite(all[c % all.length]!)).messages.map((m) => m.envelope));
          const shuffled = shuffle(sent, seed);
          // Each write once, in (generation, batch) order: the newest per key wins.
          const expected = new Map<string, unknown>();
          for (const w of [...all].sort((x, y) => x.generation - y.generation || x.batchId - y.batchId)) {
            for (const key of w.keys) expected.set(key, `${w.generation}/${w.batchId}`);
          }
          const view = dedupedView(shuffled);
          expect(Object.fromEntries(view.map((r) => [r.key, r.value.at]))).toEqual(Object.fromEntries(expected));
        },
      ),
    );
  });
});
