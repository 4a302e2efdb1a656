/**
 * The Kafka sink under a crash between the sink write and the commit (test/support/crash.ts
 * 'after-sink-write'), on the memory adapters: the recovered driver runs the batch again,
 * so the sink sends its messages again (at-least-once, every duplicate with the id, key,
 * headers and value of its first copy) and the deduped view is exact. Rows the sink
 * refuses for good (too large, no key) become dead letters and the job goes on.
 */
import { describe, expect, it } from 'vitest';
import { kafkaSink } from '../../engine/job/index.js';
import type { KafkaSinkSpec } from '../../engine/ports/sink.js';
import { dedupedView } from '../../engine/sinks/kafka-records.js';
import { crashAfterSinkWrite, FINAL_COUNTS, pagesWorld, runToCaughtUp } from '../support/stream-sink-world-memory.js';

describe('Kafka sink under a crash between the sink write and the commit (memory adapters)', () => {
  it('batch 1 is sent again: every duplicate carries the id, key, headers and value of its first copy; the deduped view is exact', async () => {
    const spec = kafkaSink({ topic: 'page-counts-out' });
    const world = await crashAfterSinkWrite(spec);
    const { ports } = world;
    const sentBeforeRecovery = ports.sink(spec as KafkaSinkSpec).sends.length;
    expect(sentBeforeRecovery).toBeGreaterThan(0);
    await runToCaughtUp(world);

    const sends = ports.sink(spec as KafkaSinkSpec).sends;
    const byId = new Map<string, string[]>();
    for (const s of sends) byId.set(s.envelope.sluiceId, [...(byId.get(s.envelope.sluiceId) ?? []), JSON.stringify(s)]);
    const duplicated = [...byId.values()].filter((copies) => copies.length > 1);
    // Every message sent before the crash was sent again by the recovery, identical.
    expect(duplicated.length).toBe(sentBeforeRecovery);
    for (const copies of duplicated) expect(new Set(copies).size).toBe(1);
    expect(sends.filter((s) => byId.get(s.envelope.sluiceId)!.length > 1).every((s) => s.envelope.batchId === 1)).toBe(true);
    // The message key is the row key; the headers repeat the id and the (generation, batch).
    for (const s of sends) {
      expect(s.key).toBe(s.envelope.key);
      expect(s.headers).toEqual({
        'sluice-id': s.envelope.sluiceId,
        'sluice-generation': String(s.envelope.generation),
        'sluice-batch': String(s.envelope.batchId),
      });
    }
    expect(Object.fromEntries((await ports.sink(spec).scan()).map((r) => [r.key, r.value.value]))).toEqual(FINAL_COUNTS);
    // A compacted topic keyed by row key keeps each key's last message: here, in send order, also exact
    // (no zombie sent an older batch after a newer one, which compaction could not undo).
    const compacted = new Map<string, unknown>();
    for (const s of sends) compacted.set(s.key, (s.envelope.value as { value: unknown }).value);
    expect(Object.fromEntries(compacted)).toEqual(FINAL_COUNTS);
    expect(dedupedView(sends.map((s) => s.envelope))).toEqual(await ports.sink(spec).scan());
  });

  it('a row larger than maxMessageBytes becomes a dead letter (stage sink); the batch commits and the rest is written', async () => {
    const spec = kafkaSink({ topic: 'pages-out', maxMessageBytes: 2_048 });
    const world = pagesWorld(spec, [
      { page: 'a', pad: '' },
      { page: 'b', pad: 'x'.repeat(3_000) },
    ]);
    const { ports } = world;
    await runToCaughtUp(world);
    const letters = await ports.deadLetters.list('pages');
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ stage: 'sink', reason: expect.stringContaining('above the 2048-byte limit of a message') });
    expect((await ports.sink(spec as KafkaSinkSpec).scan()).map((r) => r.value.page)).toEqual(['a']);
    expect((await ports.wal.listBatches('pages')).every((b) => b.status === 'COMMITTED')).toBe(true);
  });
});
