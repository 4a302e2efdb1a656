/**
 * The Kinesis sink and the user sink under a crash between the sink write and the commit
 * (test/support/crash.ts 'after-sink-write'), on the memory adapters: the recovered driver
 * runs the batch again, so the Kinesis sink appends its records again (at-least-once,
 * every duplicate with the id of its first copy) and the user sink's function is called
 * again with the same rows and the same idempotency key. Rows a sink refuses for good
 * become dead letters.
 */
import { describe, expect, it } from 'vitest';
import { runDriver } from '../../engine/driver/run-driver.js';
import { SinkRejectedError, idempotencyKeyOf, kinesisSink, userSink, type UserSinkBatch } from '../../engine/job/index.js';
import type { SinkSpec } from '../../engine/ports/sink.js';
import { crashAfterSinkWrite, FINAL_COUNTS, pageCountsWorld, pagesWorld, runToCaughtUp } from '../support/stream-sink-world-memory.js';

describe('stream and user sinks under a crash between the sink write and the commit (memory adapters)', () => {
  it('Kinesis sink: batch 1 is put again, every duplicate carries the id and data of its first copy, the deduped view is exact', async () => {
    const spec = kinesisSink({ streamName: 'page-counts-out' });
    const crashed = await crashAfterSinkWrite(spec);
    await runToCaughtUp(crashed);
    const { ports } = crashed;
    const sink = ports.sink(spec as Extract<SinkSpec, { type: 'kinesis' }>);
    const puts = sink.puts;
    const byId = new Map<string, string[]>();
    for (const put of puts) byId.set(put.envelope.sluiceId, [...(byId.get(put.envelope.sluiceId) ?? []), JSON.stringify(put)]);
    // At least one record of batch 1 was put twice (before the crash, and by the recovery).
    const duplicated = [...byId.values()].filter((copies) => copies.length > 1);
    expect(duplicated.length).toBeGreaterThan(0);
    for (const copies of duplicated) expect(new Set(copies).size).toBe(1);
    expect(puts.filter((p) => byId.get(p.envelope.sluiceId)!.length > 1).every((p) => p.envelope.batchId === 1)).toBe(true);
    // Records are routed by the row key.
    expect(puts.every((p) => p.partitionKey === p.envelope.key)).toBe(true);
    expect(Object.fromEntries((await sink.scan()).map((r) => [r.key, r.value.value]))).toEqual(FINAL_COUNTS);
  });

  it('user sink: the function is called again for batch 1 with the same rows and the same idempotency key', async () => {
    const keys: { batch: UserSinkBatch; key: string }[] = [];
    const spec = userSink({
      name: 'counts-api',
      write: async (batch) => {
        keys.push({ batch: structuredClone(batch), key: idempotencyKeyOf(batch) });
      },
    });
    const crashed = await crashAfterSinkWrite(spec);
    await runToCaughtUp(crashed);
    const { ports } = crashed;
    const calls = ports.sink(spec as Extract<SinkSpec, { type: 'user' }>).calls;
    const first = calls.filter((c) => c.batch.batchId === 1);
    // The crashed run called it for at least one partition (here: key-group scope) of batch 1; the recovery for every one.
    const scopes = [...new Set(first.map((c) => c.batch.partition))];
    const repeated = scopes.filter((p) => first.filter((c) => c.batch.partition === p).length > 1);
    expect(repeated.length).toBeGreaterThan(0);
    for (const partition of repeated) {
      const same = keys.filter((k) => k.batch.batchId === 1 && k.batch.partition === partition);
      expect(new Set(same.map((k) => JSON.stringify(k.batch))).size).toBe(1);
      expect(new Set(same.map((k) => k.key)).size).toBe(1);
    }
    expect(calls.every((c) => c.outcome === 'written')).toBe(true);
    expect(Object.fromEntries((await ports.sink(spec).scan()).map((r) => [r.key, r.value.value]))).toEqual(FINAL_COUNTS);
  });

  it('user sink: rows refused with SinkRejectedError become dead letters (stage sink), the batch commits and the job goes on', async () => {
    const spec = userSink({
      name: 'counts-api',
      write: (batch) => {
        const bad = batch.rows.filter((r) => r.key === 'p1-k2').map((r) => r.key);
        if (bad.length > 0) throw new SinkRejectedError('tenant p1-k2 is closed', { keys: bad });
      },
    });
    const { ports, job } = pageCountsWorld(spec);
    expect((await runDriver(job, ports)).stoppedBy).toBe('caught-up');
    const letters = await ports.deadLetters.list(job.name);
    expect(letters.length).toBeGreaterThan(0);
    expect(letters.every((l) => l.stage === 'sink' && l.rowKey === 'p1-k2' && l.reason.includes('tenant p1-k2 is closed'))).toBe(true);
    const { 'p1-k2': _refused, ...rest } = FINAL_COUNTS;
    expect(Object.fromEntries((await ports.sink(spec).scan()).map((r) => [r.key, r.value.value]))).toEqual(rest);
    const batches = await ports.wal.listBatches(job.name);
    expect(batches.every((b) => b.status === 'COMMITTED')).toBe(true);
  });

  it('Kinesis sink on the one-stage path: a row its partitionKey cannot route becomes a dead letter (stage sink), the rest is written', async () => {
    const spec = kinesisSink({
      streamName: 'pages-out',
      // A partition key function that refuses one row: the row, not the partition, pays for it.
      partitionKey: (row) => (row.value.page === 'b' ? (undefined as unknown as string) : String(row.value.page)),
    });
    const world = pagesWorld(spec, [{ page: 'a' }, { page: 'b' }]);
    const { ports } = world;
    await runToCaughtUp(world);
    const letters = await ports.deadLetters.list('pages');
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ stage: 'sink', reason: expect.stringContaining('partitionKey must return a string') });
    const view = await ports.sink(spec as Extract<SinkSpec, { type: 'kinesis' }>).scan();
    expect(view.map((r) => r.value)).toEqual([{ page: 'a' }]);
  });

  it('user sink: a thrown error is retried (the executor runs again) with the same rows and key, then the batch commits', async () => {
    let failures = 0;
    const spec = userSink({
      name: 'flaky-api',
      write: async (batch) => {
        if (batch.batchId === 2 && failures < 2) {
          failures += 1;
          throw new Error('503 from the API');
        }
      },
    });
    const { ports, job } = pageCountsWorld(spec);
    expect((await runDriver(job, ports)).stoppedBy).toBe('caught-up');
    expect(failures).toBe(2);
    const calls = ports.sink(spec as Extract<SinkSpec, { type: 'user' }>).calls.filter((c) => c.batch.batchId === 2);
    expect(calls.filter((c) => c.outcome === 'failed')).toHaveLength(2);
    // Every call of a (batch, partition) got the same rows, so the same idempotency key names the same payload.
    for (const partition of new Set(calls.map((c) => c.batch.partition))) {
      const same = calls.filter((c) => c.batch.partition === partition);
      expect(new Set(same.map((c) => JSON.stringify(c.batch))).size).toBe(1);
    }
    expect(Object.fromEntries((await ports.sink(spec).scan()).map((r) => [r.key, r.value.value]))).toEqual(FINAL_COUNTS);
    expect(await ports.deadLetters.list(job.name)).toEqual([]);
  });
});
