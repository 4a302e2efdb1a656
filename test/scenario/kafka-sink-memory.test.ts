/**
 * The Kafka sink under a crash between the sink write and the commit (test/support/crash.ts
 * 'after-sink-write'), on the memory adapters: the recovered driver runs the batch again,
 * so the sink sends its messages again (at-least-once, every duplicate with the id, key,
 * headers and value of its first copy) and the deduped view is exact. Rows the sink
 * refuses for good (too large, no key) become dead letters and the job goes on.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryPorts } from '../../engine/adapters/memory/index.js';
import { runDriver } from '../../engine/driver/run-driver.js';
import { count, defineJob, kafkaSink, memorySource } from '../../engine/job/index.js';
import type { KafkaSinkSpec, SinkSpec } from '../../engine/ports/sink.js';
import { dedupedView } from '../../engine/sinks/kafka-records.js';
import { SimulatedCrash, withCrash } from '../support/crash.js';

const PARTITIONS = ['p0', 'p1'];

function world(sink: SinkSpec) {
  const ports = createMemoryPorts();
  ports.source.createStream('clicks', PARTITIONS);
  const enc = new TextEncoder();
  for (const p of PARTITIONS) {
    ports.source.append(
      'clicks',
      p,
      Array.from({ length: 10 }, (_, i) => ({ key: `${p}-k${i % 3}`, data: enc.encode(JSON.stringify({ page: `${p}-k${i % 3}` })) })),
    );
  }
  const job = defineJob({
    name: 'page-counts',
    version: 1,
    source: memorySource({ streamName: 'clicks' }),
    pipeline: (s) => s.keyBy((e) => e.page).aggregate(count()),
    sink,
    trigger: { type: 'availableNow' },
    maxRecordsPerPartition: 4,
  });
  return { ports, job };
}

/** The final counts: 10 records per partition over 3 keys. */
const FINAL = { 'p0-k0': 4, 'p0-k1': 3, 'p0-k2': 3, 'p1-k0': 4, 'p1-k1': 3, 'p1-k2': 3 };

describe('Kafka sink under a crash between the sink write and the commit (memory adapters)', () => {
  it('batch 1 is sent again: every duplicate carries the id, key, headers and value of its first copy; the deduped view is exact', async () => {
    const spec = kafkaSink({ topic: 'page-counts-out' });
    const { ports, job } = world(spec);
    const crashing = withCrash(ports, { point: 'after-sink-write', batchId: 1 });
    await expect(runDriver(job, crashing, { executorAttempts: 1 })).rejects.toBeInstanceOf(SimulatedCrash);
    expect(crashing.fired()).toBe(true);
    expect(await ports.wal.getLatestBatch(job.name)).toMatchObject({ status: 'PLANNED', plan: { batchId: 1 } });
    const sentBeforeRecovery = ports.sink(spec as KafkaSinkSpec).sends.length;
    expect(sentBeforeRecovery).toBeGreaterThan(0);
    expect((await runDriver(job, ports)).stoppedBy).toBe('caught-up');

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
    expect(Object.fromEntries((await ports.sink(spec).scan()).map((r) => [r.key, r.value.value]))).toEqual(FINAL);
    // A compacted topic keyed by row key keeps each key's last message: here, in send order, also exact
    // (no zombie sent an older batch after a newer one, which compaction could not undo).
    const compacted = new Map<string, unknown>();
    for (const s of sends) compacted.set(s.key, (s.envelope.value as { value: unknown }).value);
    expect(Object.fromEntries(compacted)).toEqual(FINAL);
    expect(dedupedView(sends.map((s) => s.envelope))).toEqual(await ports.sink(spec).scan());
  });

  it('a row larger than maxMessageBytes becomes a dead letter (stage sink); the batch commits and the rest is written', async () => {
    const ports = createMemoryPorts();
    ports.source.createStream('clicks', ['p0']);
    const enc = new TextEncoder();
    ports.source.append('clicks', 'p0', [
      { key: 'a', data: enc.encode(JSON.stringify({ page: 'a', pad: '' })) },
      { key: 'b', data: enc.encode(JSON.stringify({ page: 'b', pad: 'x'.repeat(3_000) })) },
    ]);
    const spec = kafkaSink({ topic: 'pages-out', maxMessageBytes: 2_048 });
    const job = defineJob({
      name: 'pages',
      version: 1,
      source: memorySource({ streamName: 'clicks' }),
      pipeline: (s) => s.map((e) => ({ page: e.page, pad: e.pad })),
      sink: spec,
      trigger: { type: 'availableNow' },
    });
    expect((await runDriver(job, ports)).stoppedBy).toBe('caught-up');
    const letters = await ports.deadLetters.list('pages');
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ stage: 'sink', reason: expect.stringContaining('above the 2048-byte limit of a message') });
    expect((await ports.sink(spec as KafkaSinkSpec).scan()).map((r) => r.value.page)).toEqual(['a']);
    expect((await ports.wal.listBatches('pages')).every((b) => b.status === 'COMMITTED')).toBe(true);
  });
});
