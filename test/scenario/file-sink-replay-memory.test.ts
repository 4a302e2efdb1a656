import { describe, expect, it } from 'vitest';
import type { MemoryPorts } from '../../engine/adapters/memory/index.js';
import { runDriver } from '../../engine/driver/run-driver.js';
import type { FileSink } from '../../engine/file-sink/file-sink.js';
import { replayJob } from '../../engine/replay/replay-job.js';
import { SimulatedCrash, withCrash } from '../support/crash.js';
import { CAP, copiesJob, copiesWorld, EVENTS } from '../support/file-sink-copies.js';

/**
 * A replay in place (a new generation) over a file sink, on the memory adapters: the
 * replayed batches' files supersede the old generation's through the log, from the first
 * replayed batch on, and the old files stay in the bucket (unlisted).
 */

const copies = (fixed: boolean) => copiesJob(fixed, { prefix: 'lake/copies', format: 'parquet' });

const committedIds = async (ports: MemoryPorts) =>
  (await (ports.sink(copies(true).sink) as FileSink).scan()).map((r) => r.value.id as number).sort((a, b) => a - b);

/** Batches 1..from as first run (every event), the replayed ones fixed (ok events only). */
const expectedIds = (from: number) => EVENTS.filter((e) => e.id < from * CAP || e.ok).map((e) => e.id);

describe('file sink: a replay in place supersedes through the log', () => {
  it('replays batches 3.. in generation 1: readers see the fixed rows from batch 3 on, the old files stay unlisted', async () => {
    const ports = copiesWorld();
    await runDriver(copies(false), ports, { executorAttempts: 1 });
    expect(await committedIds(ports)).toEqual(EVENTS.map((e) => e.id));
    const before = await ports.blobs.list('lake/copies/');

    await replayJob({ jobId: 'copies', fromBatchId: 2 }, { ports, job: copies(true), executorAttempts: 1 });
    expect(await committedIds(ports)).toEqual(expectedIds(2));
    const sink = ports.sink(copies(true).sink) as FileSink;
    const live = await sink.readLog();
    expect(live.filter((e) => e.generation === 1).map((e) => e.batchId)[0]).toBe(3);
    // Nothing was deleted: every data file of generation 0 is still there.
    const after = new Set(await ports.blobs.list('lake/copies/'));
    for (const key of before.filter((k) => k.endsWith('.parquet'))) expect(after.has(key)).toBe(true);
    // Athena's manifests list generation 1's files from batch 3 on, and none of the superseded ones.
    const manifests = await ports.blobs.list('lake/copies/_symlink_format_manifest/');
    const listed = (await Promise.all(manifests.map(async (k) => new TextDecoder().decode((await ports.blobs.get(k))!)))).join('');
    expect(listed).not.toMatch(/-g0-b[3-9]/);
    expect(listed).toMatch(/-g1-b3-/);
  });

  it('a replay of batches 3..4 hides the old batches 5.. until the job resumes and runs them again in generation 1', async () => {
    const ports = copiesWorld();
    await runDriver(copies(false), ports, { executorAttempts: 1 });
    await replayJob({ jobId: 'copies', fromBatchId: 2, toBatchId: 4 }, { ports, job: copies(true), executorAttempts: 1 });
    // The WAL archived batches 5..: their old files are history, as the log says.
    expect(await committedIds(ports)).toEqual(expectedIds(2).filter((id) => id < 4 * CAP));
    await runDriver(copies(true), ports, { executorAttempts: 1 });
    expect(await committedIds(ports)).toEqual(expectedIds(2));
  });

  it("a replay that crashed between a batch's WAL commit and its log entry writes the entry when it is resumed", async () => {
    const ports = copiesWorld();
    await runDriver(copies(false), ports, { executorAttempts: 1 });
    const crashing = withCrash(ports, { point: 'after-commit', batchId: 4 });
    await expect(
      replayJob({ jobId: 'copies', fromBatchId: 2 }, { ports: crashing, job: copies(true), executorAttempts: 1 }),
    ).rejects.toBeInstanceOf(SimulatedCrash);
    const sink = ports.sink(copies(true).sink) as FileSink;
    expect((await sink.readLog()).filter((e) => e.generation === 1).map((e) => e.batchId)).toEqual([3]);
    await replayJob({ jobId: 'copies', fromBatchId: 2 }, { ports, job: copies(true), executorAttempts: 1 });
    expect((await sink.readLog()).filter((e) => e.generation === 1).map((e) => e.batchId)).toEqual([3, 4, 5, 6]);
    expect(await committedIds(ports)).toEqual(expectedIds(2));
  });
});
