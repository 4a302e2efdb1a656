/**
 * `replay --into` a new job whose sink is a file sink, on the memory adapters: the new job
 * re-runs the batches after the one it starts from with the fixed logic and writes its own
 * files, under its own prefix and log, named for its own job id; the source job's files and
 * log are left exactly as they were. A crash between a batch's WAL commit and its log entry
 * is resumed by running the replay again.
 */
import { describe, expect, it } from 'vitest';
import type { MemoryPorts } from '../../../engine/adapters/memory/index.js';
import { runDriver } from '../../../engine/driver/run-driver.js';
import type { FileSink } from '../../../engine/file-sink/file-sink.js';
import { replayJob } from '../../../engine/replay/replay-job.js';
import { SimulatedCrash, withCrash } from '../../support/crash.js';
import { CAP, copiesJob, copiesWorld, EVENTS } from '../../support/file-sink-copies.js';

/** The first logic copies every event; the fixed one only the ok ones, to its own prefix. */
const copies = (fixed: boolean) => copiesJob(fixed, { prefix: fixed ? 'lake/copies-fixed' : 'lake/copies', format: 'jsonl' });

const sinkOf = (ports: MemoryPorts, fixed: boolean) => ports.sink(copies(fixed).sink) as FileSink;
const committedIds = async (ports: MemoryPorts, fixed: boolean) =>
  (await sinkOf(ports, fixed).scan()).map((r) => r.value.id as number).sort((a, b) => a - b);

/** What the new job's sink must hold after a replay into it from batch `from`: the fixed rows of batches from+1.. only. */
const intoIds = (from: number) => EVENTS.filter((e) => e.id >= from * CAP && e.ok).map((e) => e.id);

async function snapshot(ports: MemoryPorts, prefix: string): Promise<Map<string, string>> {
  const keys = await ports.blobs.list(`${prefix}/`);
  return new Map(await Promise.all(keys.map(async (k) => [k, new TextDecoder().decode((await ports.blobs.get(k))!)] as [string, string])));
}

describe('file sink: replay --into a new job', () => {
  it("writes the new job's files under its own prefix and log, and leaves the source job's files and log as they were", async () => {
    const ports = copiesWorld();
    await runDriver(copies(false), ports, { executorAttempts: 1 });
    const source = await snapshot(ports, 'lake/copies');

    const outcome = await replayJob(
      { jobId: 'copies', fromBatchId: 2, intoJobId: 'copies-fixed' },
      { ports, job: copies(true), executorAttempts: 1 },
    );
    expect(outcome.scope).toMatchObject({ mode: 'into', targetJobId: 'copies-fixed' });
    expect(await committedIds(ports, true)).toEqual(intoIds(2));
    const log = await sinkOf(ports, true).readLog();
    expect(log.map((e) => [e.jobId, e.batchId])).toEqual([3, 4, 5, 6].map((b) => ['copies-fixed', b]));
    for (const file of log.flatMap((e) => e.files)) expect(file.path).toMatch(/^lake\/copies-fixed\/part-copies-fixed-g\d+-b[3-6]-/);
    // The source job: the same objects, byte for byte, and every event still committed once.
    expect(await snapshot(ports, 'lake/copies')).toEqual(source);
    expect(await committedIds(ports, false)).toEqual(EVENTS.map((e) => e.id));
  });

  it("a replay into a new job that crashed between a batch's WAL commit and its log entry completes the log when run again", async () => {
    const ports = copiesWorld();
    await runDriver(copies(false), ports, { executorAttempts: 1 });
    const request = { jobId: 'copies', fromBatchId: 2, intoJobId: 'copies-fixed' };
    await expect(
      replayJob(request, { ports: withCrash(ports, { point: 'after-commit', batchId: 4 }), job: copies(true), executorAttempts: 1 }),
    ).rejects.toBeInstanceOf(SimulatedCrash);
    expect((await sinkOf(ports, true).readLog()).map((e) => e.batchId)).toEqual([3]);
    await replayJob(request, { ports, job: copies(true), executorAttempts: 1 });
    expect((await sinkOf(ports, true).readLog()).map((e) => e.batchId)).toEqual([3, 4, 5, 6]);
    expect(await committedIds(ports, true)).toEqual(intoIds(2));
  });
});
