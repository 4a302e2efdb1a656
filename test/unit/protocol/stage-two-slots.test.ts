/**
 * Stage 2's calls (engine/protocol/stage-two.ts stageTwoSlots, key-groups.ts
 * coalesceGroups): contiguous runs of the active groups, as few as their weight allows.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PartitionResult } from '../../../engine/protocol/batch-records.js';
import { coalesceGroups, MAX_KEY_GROUPS, MAX_STAGE_TWO_SLOTS } from '../../../engine/protocol/key-groups.js';
import { GROUP_BYTES, STAGE_TWO_SLOT_BYTES, STATE_ROW_BYTES, stageTwoSlots } from '../../../engine/protocol/stage-two.js';
import { partitionResult } from '../../support/builders.js';

const activeGroups = fc
  .uniqueArray(fc.integer({ min: 0, max: MAX_KEY_GROUPS - 1 }), { maxLength: 300 })
  .map((a) => a.sort((x, y) => x - y));

describe('coalesceGroups', () => {
  it('keeps every group once, in order, in at most maxSlots contiguous runs within the target unless a group alone passes it', () => {
    fc.assert(
      fc.property(
        activeGroups,
        fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: MAX_KEY_GROUPS, maxLength: MAX_KEY_GROUPS }),
        fc.integer({ min: 1, max: 20_000 }),
        fc.integer({ min: 1, max: 50 }),
        (groups, weights, targetBytes, maxSlots) => {
          const weightOf = (g: number) => weights[g]!;
          const slots = coalesceGroups(groups, weightOf, { targetBytes, maxSlots });
          expect(slots.flat()).toEqual(groups);
          expect(slots.length).toBeLessThanOrEqual(Math.max(maxSlots, 0));
          for (const slot of slots) expect(slot.length).toBeGreaterThan(0);
          const greedy = coalesceGroups(groups, weightOf, { targetBytes, maxSlots: Number.MAX_SAFE_INTEGER });
          if (greedy.length <= maxSlots) {
            expect(slots).toEqual(greedy);
            for (const slot of slots) {
              const weight = slot.reduce((total, g) => total + weightOf(g), 0);
              if (slot.length > 1) expect(weight).toBeLessThanOrEqual(targetBytes);
            }
            // Greedy: no slot could have taken the next slot's first group.
            for (let i = 0; i + 1 < slots.length; i += 1) {
              const weight = slots[i]!.reduce((total, g) => total + weightOf(g), 0);
              expect(weight + weightOf(slots[i + 1]![0]!)).toBeGreaterThan(targetBytes);
            }
          }
        },
      ),
    );
  });

  it('falls back to an even split by count when the weights would need more than maxSlots', () => {
    const groups = Array.from({ length: 100 }, (_, g) => g);
    const slots = coalesceGroups(groups, () => 10, { targetBytes: 10, maxSlots: 40 });
    expect(slots).toHaveLength(40);
    expect(slots[0]).toEqual([0, 1, 2]);
    expect(slots.at(-1)).toEqual([98, 99]);
  });
});

describe('stageTwoSlots', () => {
  /** A stage-1 result with rows of `bytes` bytes for each group given. */
  const withRows = (partition: string, bytes: Record<number, number>): PartitionResult => {
    let at = 0;
    const index: Record<string, [number, number]> = {};
    for (const [group, n] of Object.entries(bytes)) {
      index[group] = [at, at + n];
      at += n;
    }
    return partitionResult(partition, { exchange: { index, objectKey: `x/${partition}` } });
  };

  it('runs a batch of small groups in one call, whatever their number', () => {
    const results = [withRows('p0', { 0: 100, 3: 100, 7: 100 }), withRows('p1', { 3: 50 })];
    expect(stageTwoSlots({ keyGroups: 8, dueGroups: [5], results, batchId: 1 })).toEqual([[0, 3, 5, 7]]);
    const all = Array.from({ length: MAX_KEY_GROUPS }, (_, g) => g);
    expect(stageTwoSlots({ keyGroups: MAX_KEY_GROUPS, dueGroups: all, results: [], batchId: 1 })).toHaveLength(
      Math.ceil((MAX_KEY_GROUPS * GROUP_BYTES) / STAGE_TWO_SLOT_BYTES),
    );
  });

  it("weighs a group by its rows from every partition and its state's rows", () => {
    const half = STAGE_TWO_SLOT_BYTES / 2;
    // Group 1's input from two partitions fills a slot with group 0; group 2 goes to the next.
    const results = [withRows('p0', { 0: 1, 1: half - GROUP_BYTES }), withRows('p1', { 1: half - 2 * GROUP_BYTES, 2: 1 })];
    expect(stageTwoSlots({ keyGroups: 4, dueGroups: [], results, batchId: 1 })).toEqual([[0, 1], [2]]);
    // A group whose state alone fills a slot runs alone.
    const groupRows = { 2: STAGE_TWO_SLOT_BYTES / STATE_ROW_BYTES };
    expect(stageTwoSlots({ keyGroups: 4, dueGroups: [3], results: [], batchId: 1, groupRows: { ...groupRows, 3: 1 } })).toEqual([[3]]);
    expect(stageTwoSlots({ keyGroups: 4, dueGroups: [1, 2, 3], results: [], batchId: 1, groupRows })).toEqual([[1], [2], [3]]);
  });

  it('never makes more than 40 calls', () => {
    const all = Array.from({ length: MAX_KEY_GROUPS }, (_, g) => g);
    const groupRows = Object.fromEntries(all.map((g) => [g, STAGE_TWO_SLOT_BYTES]));
    const slots = stageTwoSlots({ keyGroups: MAX_KEY_GROUPS, dueGroups: all, results: [], batchId: 1, groupRows });
    expect(slots).toHaveLength(MAX_STAGE_TWO_SLOTS);
    expect(slots.flat()).toEqual(all);
  });
});
