import { describe, expect, it } from 'vitest';
import type { BatchRecord, PartitionResult } from '../../../engine/protocol/batch-records.js';
import { buildCommit } from '../../../engine/protocol/commit.js';
import { inheritedStates } from '../../../engine/protocol/job-versions.js';
import { planNextBatch, type PlanningSettings } from '../../../engine/protocol/planning.js';
import { retentionPlan } from '../../../engine/protocol/retention.js';
import type { PartitionLineage } from '../../../engine/protocol/lineage.js';
import { batchRecord, partitionResult } from '../../support/builders.js';

const settings: PlanningSettings = { startingPosition: 'EARLIEST', maxRecordsPerPartition: 100, allowedLatenessMs: null, jobVersion: 1 };

/** Runs one batch over the listed partitions: each read partition writes state version = batch id; `closing` ones reach their end. */
function runBatch(previous: BatchRecord | null, listed: PartitionLineage[], closing: string[] = []): BatchRecord {
  const plan = planNextBatch({ jobId: 'j', epoch: 1, previous, partitions: listed, settings, nowMs: 10 });
  const results: PartitionResult[] = plan.partitions.map((p) =>
    partitionResult(p.partition, {
      end: { count: 1, lastOffset: String(plan.batchId), ...(closing.includes(p.partition) ? { closed: true } : {}) },
      stateVersion: plan.batchId,
      records: 1,
      outputRows: 1,
      stateRows: 1,
      stateBytesWritten: 1,
      lagMs: 0,
    }),
  );
  return batchRecord(plan, buildCommit({ plan, results, epoch: 1, nowMs: 20 }));
}

const shard = (id: string, ...parentIds: string[]): PartitionLineage => ({ id, parentIds });

describe('handing a finished shard state over to its children', () => {
  it('records the batch whose plan first builds the children from each parent, and carries it forward', () => {
    const before = [shard('p'), shard('q')];
    const split = [...before, shard('c1', 'p'), shard('c2', 'p')];
    const merged = [...split, shard('m', 'c1', 'c2')];
    let batch = runBatch(null, before); // 1
    batch = runBatch(batch, split, ['p']); // 2: p read to its end
    expect(batch.plan.handedOver).toBeUndefined();
    batch = runBatch(batch, split); // 3: both children start, from p's final state
    expect(batch.plan.partitions.find((x) => x.partition === 'c1')?.inherits).toEqual([{ partition: 'p', stateVersion: 2 }]);
    expect(batch.plan.handedOver).toEqual({ p: 3 });
    batch = runBatch(batch, merged, ['c1']); // 4: c1 ends, c2 does not yet: m waits
    expect(batch.plan.handedOver).toEqual({ p: 3 });
    batch = runBatch(batch, merged, ['c2']); // 5
    batch = runBatch(batch, merged); // 6: m starts from both
    expect(batch.plan.handedOver).toEqual({ p: 3, c1: 6, c2: 6 });
    batch = runBatch(batch, merged); // 7: carried forward
    expect(batch.plan.handedOver).toEqual({ p: 3, c1: 6, c2: 6 });
    // Once neither a shard nor a child naming it is listed, it leaves `finished` and `handedOver`.
    batch = runBatch(batch, [shard('q'), shard('c1', 'p'), shard('c2', 'p'), shard('m', 'c1', 'c2')]);
    expect(Object.keys(batch.plan.finished).sort()).toEqual(['c1', 'c2', 'p']);
    batch = runBatch(batch, [shard('q'), shard('m', 'c1', 'c2')]);
    expect(batch.plan.finished).toEqual({ c1: 4, c2: 5 });
    expect(batch.plan.handedOver).toEqual({ c1: 6, c2: 6 });
  });

  it('records the version a parent finished under, and names it to a child that starts under another', () => {
    const listed = [shard('p'), shard('c1', 'p'), shard('c2', 'p')];
    let batch = runBatch(null, [shard('p')]); // 1, version 1
    batch = runBatch(batch, listed, ['p']); // 2: p ends under version 1
    const v2 = { ...settings, jobVersion: 2, migratesFrom: [1] };
    const plan = planNextBatch({ jobId: 'j', epoch: 1, previous: batch, partitions: listed, settings: v2, nowMs: 1 });
    expect(plan.finishedJobVersions).toEqual({ p: 1 });
    expect(plan.partitions.map((x) => x.inherits)).toEqual([
      [{ partition: 'p', stateVersion: 2, jobVersion: 1 }],
      [{ partition: 'p', stateVersion: 2, jobVersion: 1 }],
    ]);
    // Under the version it finished in, nothing to migrate.
    expect(
      planNextBatch({ jobId: 'j', epoch: 1, previous: batch, partitions: listed, settings, nowMs: 1 }).partitions[0]!.inherits,
    ).toEqual([{ partition: 'p', stateVersion: 2 }]);
  });

  it('refuses to start a child from a parent written by a version the code cannot migrate from', () => {
    expect(() =>
      inheritedStates([{ partition: 'p', stateVersion: 4 }], { p: 1 }, { jobId: 'j', child: 'c', codeVersion: 3, migratesFrom: [2] }),
    ).toThrow(/shard c starts from the final state of its parent p, written by job version 1, and this code is version 3/);
  });

  it('marks a partition the source lists as closed, so its executor reads on to its end', () => {
    const plan = planNextBatch({
      jobId: 'j',
      epoch: 1,
      previous: null,
      partitions: [{ id: 'p', parentIds: [], closed: true }, shard('q')],
      settings,
      nowMs: 1,
    });
    expect(plan.partitions.map((p) => [p.partition, p.closed])).toEqual([
      ['p', true],
      ['q', undefined],
    ]);
  });

  it('does not hand over a parent that finished with no state', () => {
    const batch = runBatch(null, [shard('p')]);
    const plan = planNextBatch({
      jobId: 'j',
      epoch: 1,
      previous: {
        ...batch,
        commit: {
          ...batch.commit!,
          partitions: { p: { ...batch.commit!.partitions.p!, end: { count: 0, closed: true }, stateVersion: 0 } },
        },
      },
      partitions: [shard('p'), shard('c', 'p')],
      settings,
      nowMs: 1,
    });
    expect(plan.partitions.map((x) => x.partition)).toEqual(['c']);
    expect(plan.handedOver).toBeUndefined();
    expect(plan.finished).toEqual({ p: 0 });
  });
});

describe('retentionPlan with finished partitions', () => {
  /** Batches 1..9: p ends in batch 2 and its children c1, c2 start in batch 3; r ends in batch 1 and has no child listed yet. */
  function history(): BatchRecord[] {
    const records: BatchRecord[] = [];
    let batch = runBatch(null, [shard('p'), shard('q'), shard('r')], ['r']);
    records.push(batch);
    batch = runBatch(batch, [shard('p'), shard('q'), shard('r')], ['p']);
    records.push(batch);
    const listed = [shard('p'), shard('q'), shard('r'), shard('c1', 'p'), shard('c2', 'p')];
    while (records.length < 9) {
      batch = runBatch(batch, listed);
      records.push(batch);
    }
    return records;
  }

  it('deletes a parent whose children inherited before the oldest kept batch, and keeps one still to be inherited', () => {
    const records = history();
    const oldestKept = records[4 - 1]!.plan; // batch 4: p was handed over in batch 3
    expect(oldestKept.finished).toEqual({ p: 2, r: 1 });
    expect(oldestKept.handedOver).toEqual({ p: 3 });
    const plan = retentionPlan({ committedBatchId: 6, retainBatches: 3, oldestKeptPlan: oldestKept });
    expect(plan).toEqual({ deleteBatchesBelow: 4, keepStateFrom: { p: 4, q: 3, c1: 3, c2: 3 } });
  });

  it('keeps a parent while the oldest kept batch is the one that hands it over', () => {
    const records = history();
    const plan = retentionPlan({ committedBatchId: 5, retainBatches: 3, oldestKeptPlan: records[3 - 1]!.plan });
    expect(plan).toEqual({ deleteBatchesBelow: 3, keepStateFrom: { q: 2, c1: 0, c2: 0 } });
  });

  it('touches no partition the oldest kept batch neither reads nor keeps finished (it lists no state)', () => {
    const records = history();
    const { finished: _, ...rest } = records[7 - 1]!.plan;
    // p's finished entry dropped (it and its children expired): its hand-over alone does not delete it.
    const plan = retentionPlan({ committedBatchId: 9, retainBatches: 3, oldestKeptPlan: { ...rest, finished: { r: 1 } } });
    expect(plan?.keepStateFrom).toEqual({ q: 6, c1: 6, c2: 6 });
  });

  it('keeps finished partitions of plans that predate hand-over records', () => {
    const records = history();
    const { handedOver: _, ...old } = records[5 - 1]!.plan;
    const plan = retentionPlan({ committedBatchId: 7, retainBatches: 3, oldestKeptPlan: old });
    expect(plan?.keepStateFrom).toEqual({ q: 4, c1: 4, c2: 4 });
  });
});
