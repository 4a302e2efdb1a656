import { describe, expect, it } from 'vitest';
import { commitGroups, dueGroups } from '../../../engine/protocol/stage-two.js';
import { batchPlan } from '../../support/builders.js';

describe('dueGroups: the key groups that run without input', () => {
  const groups = {
    0: { version: 3, rows: 1 },
    1: { version: 3, rows: 1, dueAtWatermarkMs: 60_000 },
    2: { version: 3, rows: 1, dueAtMs: 5_000 },
    3: { version: 3, rows: 1, dueAtWatermarkMs: 120_000, dueAtMs: 9_000 },
  };

  it('a group is due once the plan’s watermark reaches its dueAtWatermarkMs', () => {
    expect(dueGroups(batchPlan({ keyGroups: 4, groups, watermarkMs: 59_999, plannedAt: 0 }))).toEqual([]);
    expect(dueGroups(batchPlan({ keyGroups: 4, groups, watermarkMs: 60_000, plannedAt: 0 }))).toEqual([1]);
    expect(dueGroups(batchPlan({ keyGroups: 4, groups, watermarkMs: null, plannedAt: 0 }))).toEqual([]);
  });

  it('a group is due once the plan’s time reaches its dueAtMs (processing-time timers, TTLs), whatever the watermark', () => {
    expect(dueGroups(batchPlan({ keyGroups: 4, groups, watermarkMs: null, plannedAt: 4_999 }))).toEqual([]);
    expect(dueGroups(batchPlan({ keyGroups: 4, groups, watermarkMs: null, plannedAt: 5_000 }))).toEqual([2]);
    expect(dueGroups(batchPlan({ keyGroups: 4, groups, watermarkMs: 200_000, plannedAt: 9_000 }))).toEqual([1, 2, 3]);
  });

  it('a migration runs every group with state', () => {
    expect(dueGroups(batchPlan({ keyGroups: 4, groups, watermarkMs: null, plannedAt: 0, migrateFromVersion: 1 }))).toEqual([0, 1, 2, 3]);
  });
});

describe('commitGroups: what the commit records of the groups that ran', () => {
  it('keeps a result’s dueAtMs and drops an absent or null one', () => {
    const plan = batchPlan({ batchId: 7, keyGroups: 4, groups: { 2: { version: 3, rows: 1, dueAtMs: 5_000 } }, plannedAt: 6_000 });
    const result = (group: number, dueAtMs: number | null | undefined) => ({
      group,
      stateVersion: 7,
      outputRows: 0,
      deadLetters: 0,
      stateRows: 1,
      stateBytesWritten: 10,
      dueAtWatermarkMs: null,
      ...(dueAtMs === undefined ? {} : { dueAtMs }),
    });
    expect(commitGroups(plan, [], [result(2, 8_000)])).toEqual({ 2: { version: 7, rows: 1, dueAtMs: 8_000 } });
    expect(commitGroups(plan, [], [result(2, null)])).toEqual({ 2: { version: 7, rows: 1 } });
    expect(commitGroups(plan, [], [result(2, undefined)])).toEqual({ 2: { version: 7, rows: 1 } });
  });
});
