/** The plan of a replayed batch (engine/replay/replay-plan.ts): pure. */
import { describe, expect, it } from 'vitest';
import { ConflictError, JobSpecError } from '../../../engine/errors.js';
import { BatchStatus, type BatchCommit, type BatchPlan, type BatchRecord } from '../../../engine/protocol/batch-records.js';
import { readsSameRanges, replayPlanOf, stateVersionsAfter } from '../../../engine/replay/replay-plan.js';
import { batchCommit, batchPlan, batchRecord, metrics, partitionCommit, partitionPlan } from '../../support/builders.js';

const RANGE = { start: '0', end: '170141183460469231731687303715884105727' };

/** Batch 8 as its first run planned it: partition a goes on, child c joins after parent p closed in batch 7. */
const original: BatchPlan = batchPlan({
  batchId: 8,
  epoch: 3,
  watermarkMs: 500,
  maxEventTimeMs: 900,
  partitions: [
    partitionPlan('a', { start: { type: 'AFTER', offset: '70' }, baseStateVersion: 6 }),
    partitionPlan('c', { inherits: [{ partition: 'p', stateVersion: 7 }], hashKeyRange: RANGE }),
    partitionPlan('k', { start: { type: 'AT_OFFSET', offset: '40' }, baseStateVersion: 5, endBefore: '50', endIsTail: true }),
  ],
  finished: { p: 7, old: 2 },
  handedOver: { p: 8 },
  jobVersion: 1,
  generation: 0,
});

/** The replay's batch 7: the same ends as the first run's, other state versions and event times. */
function replayedSeven(overrides: { a?: Partial<BatchCommit['partitions'][string]>; plan?: Partial<BatchPlan> } = {}): BatchRecord {
  const plan: BatchPlan = {
    ...original,
    batchId: 7,
    watermarkMs: 300,
    partitions: [],
    finished: { old: 2 },
    generation: 2,
    jobVersion: 2,
    ...overrides.plan,
  };
  const commit: BatchCommit = batchCommit({
    batchId: 7,
    epoch: 9,
    maxEventTimeMs: 1_400,
    partitions: {
      a: partitionCommit({
        end: { count: 10, lastOffset: '70' },
        nextStart: { type: 'AFTER', offset: '70' },
        stateVersion: 4,
        caughtUp: false,
        ...overrides.a,
      }),
      p: partitionCommit({ end: { count: 2, lastOffset: '9', closed: true }, nextStart: { type: 'AFTER', offset: '9' }, stateVersion: 7 }),
      k: partitionCommit({
        end: { count: 10, lastOffset: '39' },
        nextStart: { type: 'AT_OFFSET', offset: '40' },
        stateVersion: 3,
        caughtUp: false,
      }),
    },
    metrics: metrics({ records: 22, outputRows: 3, stateRows: 3, stateBytesWritten: 9, durationMs: 5 }),
  });
  return batchRecord(plan, commit);
}

const v2 = { version: 2, allowedLatenessMs: 100, migratesFrom: [1] };

describe('replayPlanOf', () => {
  it("keeps the first run's ranges and takes state versions, watermark and event time from the replay's previous batch", () => {
    const plan = replayPlanOf({ original, previous: replayedSeven(), jobId: 'job', epoch: 9, generation: 2, nowMs: 5_000, job: v2 });
    expect(plan).toEqual({
      jobId: 'job',
      batchId: 8,
      epoch: 9,
      plannedAt: 5_000,
      // max(300, 1400 - 100): from the replay's batch 7, not the first run's 500.
      watermarkMs: 1_300,
      maxEventTimeMs: 1_400,
      partitions: [
        { partition: 'a', start: { type: 'AFTER', offset: '70' }, maxRecords: 10, baseStateVersion: 4 },
        // The child inherits the parent's final state as the replay left it (7 here).
        {
          partition: 'c',
          start: { type: 'EARLIEST' },
          maxRecords: 10,
          baseStateVersion: 0,
          inherits: [{ partition: 'p', stateVersion: 7 }],
          hashKeyRange: RANGE,
        },
        {
          partition: 'k',
          start: { type: 'AT_OFFSET', offset: '40' },
          maxRecords: 10,
          baseStateVersion: 3,
          endBefore: '50',
          endIsTail: true,
        },
      ],
      startingPosition: { type: 'EARLIEST' },
      finished: { p: 7, old: 2 },
      handedOver: { p: 8 },
      finishedJobVersions: { p: 2 },
      jobVersion: 2,
      generation: 2,
    });
    expect(readsSameRanges(plan, original)).toBe(true);
  });

  it("takes a finished parent's final state version from the replay", () => {
    const previous = replayedSeven();
    const p = previous.commit!.partitions.p!;
    const moved: BatchRecord = {
      ...previous,
      commit: { ...previous.commit!, partitions: { ...previous.commit!.partitions, p: { ...p, stateVersion: 5 } } },
    };
    const plan = replayPlanOf({ original, previous: moved, jobId: 'job', epoch: 9, generation: 2, nowMs: 5_000, job: v2 });
    expect(plan.partitions[1]!.inherits).toEqual([{ partition: 'p', stateVersion: 5 }]);
    expect(plan.finished).toEqual({ p: 5, old: 2 });
    expect(stateVersionsAfter(moved)).toEqual(
      new Map([
        ['old', 2],
        ['p', 5],
        ['a', 4],
        ['k', 3],
      ]),
    );
  });

  it('leaves out, after a batch, the finished partitions already handed over to their children', () => {
    const seven = replayedSeven({ plan: { finished: { old: 2, gone: 1 }, handedOver: { gone: 5 } } });
    expect(stateVersionsAfter(seven)).toEqual(
      new Map([
        ['old', 2],
        ['p', 7],
        ['a', 4],
        ['k', 3],
      ]),
    );
  });

  it("names the version a child's parent finished under when it is not the code's, and fails without a migration from it", () => {
    // The replay's batch 7 ran (and finished p) under version 1; the code is version 2.
    const underV1 = replayedSeven({ plan: { jobVersion: 1 } });
    const plan = replayPlanOf({ original, previous: underV1, jobId: 'job', epoch: 9, generation: 2, nowMs: 1, job: v2 });
    expect(plan.partitions[1]!.inherits).toEqual([{ partition: 'p', stateVersion: 7, jobVersion: 1 }]);
    expect(plan.finishedJobVersions).toEqual({ p: 1 });
    expect(() =>
      replayPlanOf({ original, previous: underV1, jobId: 'job', epoch: 9, generation: 2, nowMs: 1, job: { ...v2, migratesFrom: [] } }),
    ).toThrow(
      /shard c starts from the final state of its parent p, written by job version 1, and this code is version 2, which declares no state migration from version 1/,
    );
  });

  it('migrates when the previous batch was written by another version that the job migrates from', () => {
    const previous = replayedSeven({ plan: { jobVersion: 1 } });
    expect(replayPlanOf({ original, previous, jobId: 'job', epoch: 9, generation: 2, nowMs: 1, job: v2 }).migrateFromVersion).toBe(1);
    expect(() =>
      replayPlanOf({ original, previous, jobId: 'job', epoch: 9, generation: 2, nowMs: 1, job: { ...v2, migratesFrom: [] } }),
    ).toThrow(JobSpecError);
  });

  it("refuses a batch that does not start where the replay's previous batch ended", () => {
    const previous = replayedSeven({ a: { nextStart: { type: 'AFTER', offset: '71' } } });
    expect(() => replayPlanOf({ original, previous, jobId: 'job', epoch: 9, generation: 2, nowMs: 1, job: v2 })).toThrow(ConflictError);
    expect(() => replayPlanOf({ original, previous, jobId: 'job', epoch: 9, generation: 2, nowMs: 1, job: v2 })).toThrow(
      /partition a starts elsewhere than batch 7 ended/,
    );
    expect(() =>
      replayPlanOf({
        original,
        previous: { ...replayedSeven(), status: BatchStatus.PLANNED },
        jobId: 'job',
        epoch: 9,
        generation: 2,
        nowMs: 1,
        job: v2,
      }),
    ).toThrow(/not committed/);
  });

  it('plans the first batch from the empty state', () => {
    const first: BatchPlan = { ...original, batchId: 1, partitions: [partitionPlan('a')], finished: {} };
    const plan = replayPlanOf({ original: first, previous: null, jobId: 'job', epoch: 1, generation: 1, nowMs: 1, job: v2 });
    expect(plan).toMatchObject({ batchId: 1, watermarkMs: null, maxEventTimeMs: null, finished: {}, generation: 1, jobVersion: 2 });
    expect(plan.partitions).toEqual(first.partitions);
    expect(plan.migrateFromVersion).toBeUndefined();
  });
});

describe('readsSameRanges', () => {
  it('compares partitions, starts, caps, fixed ends and byte bounds', () => {
    expect(readsSameRanges(original, original)).toBe(true);
    const other = (i: number, change: object): BatchPlan => ({
      ...original,
      partitions: original.partitions.map((p, j) => (j === i ? { ...p, ...change } : p)),
    });
    expect(readsSameRanges(other(0, { start: { type: 'AFTER', offset: '71' } }), original)).toBe(false);
    expect(readsSameRanges(other(0, { maxRecords: 11 }), original)).toBe(false);
    expect(readsSameRanges(other(2, { endBefore: '51' }), original)).toBe(false);
    expect(readsSameRanges(other(2, { maxBytes: 1_000 }), original)).toBe(false);
    expect(readsSameRanges(other(0, { baseStateVersion: 1 }), original)).toBe(true);
    expect(readsSameRanges({ ...original, partitions: original.partitions.slice(1) }, original)).toBe(false);
  });
});

describe('replayPlanOf: the layout of the state', () => {
  const groups = { '0': { version: 6, rows: 3 }, '2': { version: 7, rows: 1, dueAtWatermarkMs: 2_000 } };
  /** The replay's batch 7 of a job in 4 key groups: partitions hold no state. */
  const groupedSeven = (): BatchRecord => {
    const seven = replayedSeven({ plan: { keyGroups: 4, groups: {} } });
    const partitions = Object.fromEntries(Object.entries(seven.commit!.partitions).map(([p, c]) => [p, { ...c, stateVersion: 0 }]));
    return { ...seven, commit: { ...seven.commit!, partitions, groups } };
  };
  const grouped: BatchPlan = {
    ...original,
    keyGroups: 4,
    groups: {},
    partitions: original.partitions.map((p) => ({ ...p, baseStateVersion: 0 })),
  };

  it("takes the previous batch's key groups and each group's state, and keeps partitions stateless", () => {
    const plan = replayPlanOf({
      original: grouped,
      previous: groupedSeven(),
      jobId: 'job',
      epoch: 9,
      generation: 2,
      nowMs: 1,
      job: { ...v2, keyGroups: 4 },
    });
    expect(plan).toMatchObject({ keyGroups: 4, groups, finished: { p: 0, old: 0 } });
    expect(plan.partitions.map((p) => [p.partition, p.baseStateVersion, p.inherits])).toEqual([
      ['a', 0, undefined],
      ['c', 0, undefined],
      ['k', 0, undefined],
    ]);
    expect(stateVersionsAfter(groupedSeven())).toEqual(
      new Map([
        ['keygroup-0000', 6],
        ['keygroup-0002', 7],
      ]),
    );
  });

  it('refuses code that declares another layout than the state it builds on, pointing at --regroup', () => {
    for (const [previous, keyGroups] of [
      [groupedSeven(), 8],
      [groupedSeven(), undefined],
      [replayedSeven(), 4],
    ] as const) {
      const job = keyGroups === undefined ? v2 : { ...v2, keyGroups };
      expect(() => replayPlanOf({ original, previous, jobId: 'job', epoch: 9, generation: 2, nowMs: 1, job })).toThrow(JobSpecError);
      expect(() => replayPlanOf({ original, previous, jobId: 'job', epoch: 9, generation: 2, nowMs: 1, job })).toThrow(/replay --regroup/);
    }
  });

  it("plans the first batch after a regroup in place with the regrouped groups, in the code's version: no migration", () => {
    const regrouped = { keyGroups: 8, groups: { '5': { version: 7, rows: 9 } } };
    const underV1 = replayedSeven({ plan: { jobVersion: 1 } });
    const plan = replayPlanOf({
      original,
      previous: underV1,
      jobId: 'job',
      epoch: 9,
      generation: 2,
      nowMs: 1,
      job: { ...v2, keyGroups: 8 },
      regrouped,
    });
    expect(plan).toMatchObject({ keyGroups: 8, groups: regrouped.groups, jobVersion: 2, finished: { p: 0, old: 0 } });
    expect(plan.migrateFromVersion).toBeUndefined();
    expect(plan.partitions.every((p) => p.baseStateVersion === 0 && p.inherits === undefined)).toBe(true);
  });

  it("plans from the empty state with the code's layout", () => {
    const first: BatchPlan = { ...original, batchId: 1, partitions: [partitionPlan('a')], finished: {} };
    const plan = replayPlanOf({
      original: first,
      previous: null,
      jobId: 'job',
      epoch: 1,
      generation: 1,
      nowMs: 1,
      job: { ...v2, keyGroups: 16 },
    });
    expect(plan).toMatchObject({ keyGroups: 16, groups: {} });
  });
});
