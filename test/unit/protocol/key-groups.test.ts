import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JobSpecError } from '../../../engine/errors.js';
import { planNextBatch, type PlanningSettings } from '../../../engine/protocol/planning.js';
import { batchCommit, batchPlan, batchRecord } from '../../support/builders.js';
import {
  assignGroupsToSlots,
  checkKeyGroups,
  checkKeyGroupsUnchanged,
  checkStateLayoutUnchanged,
  keyGroupHashRange,
  keyGroupOf,
  keyGroupOfHash,
  keyHashOf,
  checkPayloadEnvelope,
  MAX_KEY_GROUPS,
} from '../../../engine/protocol/key-groups.js';

const groupKey = fc.oneof(fc.string(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }));
const keyGroups = fc.integer({ min: 1, max: MAX_KEY_GROUPS });
const hash32 = fc.integer({ min: 0, max: 2 ** 32 - 1 });

describe('keyGroupOf', () => {
  it('is the documented formula: floor(first four MD5 bytes of JSON.stringify([key]) · G / 2^32)', () => {
    const digest = createHash('md5').update('["fr"]').digest();
    const h = digest.readUInt32BE(0);
    expect(keyHashOf('fr')).toBe(h);
    expect(keyGroupOf('fr', 8)).toBe(Math.floor((h * 8) / 2 ** 32));
    // Pinned values: a key's group must never change between releases (its state lives there).
    expect([keyGroupOf('fr', 8), keyGroupOf('de', 8), keyGroupOf(42, 8), keyGroupOf('42', 8)]).toEqual([4, 3, 5, 0]);
  });

  it('puts every key in a group in 0..G-1, the same one every time', () => {
    fc.assert(
      fc.property(groupKey, keyGroups, (key, g) => {
        const group = keyGroupOf(key, g);
        expect(Number.isInteger(group)).toBe(true);
        expect(group).toBeGreaterThanOrEqual(0);
        expect(group).toBeLessThan(g);
        expect(keyGroupOf(key, g)).toBe(group);
      }),
    );
  });

  it('keeps a number and its string apart, as state keys do', () => {
    expect(keyHashOf(42)).not.toBe(keyHashOf('42'));
  });

  it('spreads keys over the groups (no group holds more than twice its share of 20,000 keys)', () => {
    const counts = new Array<number>(16).fill(0);
    for (let i = 0; i < 20_000; i += 1) counts[keyGroupOf(`user-${i}`, 16)]! += 1;
    for (const c of counts) {
      expect(c).toBeGreaterThan(20_000 / 16 / 2);
      expect(c).toBeLessThan((20_000 / 16) * 2);
    }
  });
});

describe('keyGroupHashRange', () => {
  it('gives each group the contiguous slice of hashes keyGroupOfHash maps to it', () => {
    fc.assert(
      fc.property(hash32, keyGroups, (h, g) => {
        const group = keyGroupOfHash(h, g);
        const range = keyGroupHashRange(group, g);
        expect(h).toBeGreaterThanOrEqual(range.start);
        expect(h).toBeLessThan(range.end);
      }),
    );
  });

  it('covers the hash space exactly once over all groups', () => {
    fc.assert(
      fc.property(keyGroups, (g) => {
        expect(keyGroupHashRange(0, g).start).toBe(0);
        expect(keyGroupHashRange(g - 1, g).end).toBe(2 ** 32);
        for (let i = 1; i < g; i += 1) expect(keyGroupHashRange(i, g).start).toBe(keyGroupHashRange(i - 1, g).end);
      }),
      { numRuns: 50 },
    );
  });

  it("makes regrouping a re-slicing: with G′ = k·G, a key's new group lies inside its old one", () => {
    fc.assert(
      fc.property(hash32, fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 16 }), (h, g, k) => {
        expect(Math.floor(keyGroupOfHash(h, g * k) / k)).toBe(keyGroupOfHash(h, g));
      }),
    );
  });
});

describe('checkKeyGroups', () => {
  it('accepts integers from 1 to the maximum and refuses anything else with a JobSpecError naming the value', () => {
    expect(checkKeyGroups(1)).toBe(1);
    expect(checkKeyGroups(MAX_KEY_GROUPS)).toBe(MAX_KEY_GROUPS);
    for (const bad of [0, -1, 1.5, MAX_KEY_GROUPS + 1, '8', null, undefined, Number.NaN]) {
      expect(() => checkKeyGroups(bad)).toThrow(JobSpecError);
    }
    expect(() => checkKeyGroups(0)).toThrow('keyGroups must be an integer from 1 to 256, got 0');
  });

  it('refuses a change of the number of key groups under an existing checkpoint, naming both and the way out', () => {
    expect(() => checkKeyGroupsUnchanged({ jobId: 'j', checkpointed: 8, declared: 8 })).not.toThrow();
    expect(() => checkKeyGroupsUnchanged({ jobId: 'j', checkpointed: 8, declared: 16 })).toThrow(
      /job j was checkpointed with 8 key groups and now declares 16: .*replay --regroup/,
    );
  });
});

describe('checkStateLayoutUnchanged', () => {
  it('refuses key groups for state kept per partition, and the reverse, naming both layouts and --regroup', () => {
    expect(() => checkStateLayoutUnchanged({ jobId: 'j', checkpointed: undefined, declared: undefined })).not.toThrow();
    expect(() => checkStateLayoutUnchanged({ jobId: 'j', checkpointed: 4, declared: 4 })).not.toThrow();
    expect(() => checkStateLayoutUnchanged({ jobId: 'j', checkpointed: 4, declared: 8 })).toThrow(/checkpointed with 4 key groups/);
    expect(() => checkStateLayoutUnchanged({ jobId: 'j', checkpointed: undefined, declared: 8 })).toThrow(
      /job j's checkpoint keeps keyed state per source partition, and this version of the job keeps keyed state in 8 key groups: .*replay --regroup/,
    );
    expect(() => checkStateLayoutUnchanged({ jobId: 'j', checkpointed: 8, declared: undefined })).toThrow(JobSpecError);
  });

  it('is what the planner checks every plan with', () => {
    const settings: PlanningSettings = {
      startingPosition: 'EARLIEST',
      maxRecordsPerPartition: 10,
      allowedLatenessMs: null,
      jobVersion: 1,
    };
    const plan = (previous: ReturnType<typeof batchRecord>, keyGroups?: number) =>
      planNextBatch({
        jobId: 'j',
        epoch: 1,
        previous,
        partitions: ['p'],
        settings: { ...settings, ...(keyGroups === undefined ? {} : { keyGroups }) },
        nowMs: 1,
      });
    const perPartition = batchRecord(batchPlan({ jobVersion: 1 }), batchCommit());
    expect(() => plan(perPartition, 8)).toThrow(/replay --regroup/);
    const grouped = batchRecord(batchPlan({ jobVersion: 1, keyGroups: 8, groups: {} }), batchCommit({ groups: {} }));
    expect(plan(grouped, 8)).toMatchObject({ keyGroups: 8 });
    expect(() => plan(grouped)).toThrow(
      /keeps keyed state in 8 key groups, and this version of the job keeps keyed state per source partition/,
    );
  });
});

describe('assignGroupsToSlots', () => {
  const active = fc.uniqueArray(fc.integer({ min: 0, max: MAX_KEY_GROUPS - 1 }), { maxLength: 300 }).map((a) => a.sort((x, y) => x - y));

  it('keeps every group once, in order, in at most maxSlots runs whose sizes differ by at most one', () => {
    fc.assert(
      fc.property(active, fc.integer({ min: 1, max: 60 }), (groups, maxSlots) => {
        const runs = assignGroupsToSlots(groups, maxSlots);
        expect(runs.flat()).toEqual(groups);
        expect(runs.length).toBe(Math.min(maxSlots, groups.length));
        const sizes = runs.map((r) => r.length);
        if (sizes.length > 0) expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
        for (const run of runs) expect(run.length).toBeGreaterThan(0);
      }),
    );
  });

  it('gives each of up to 40 active groups its own call, and shares calls beyond 40', () => {
    expect(assignGroupsToSlots([0, 3, 5])).toEqual([[0], [3], [5]]);
    const many = Array.from({ length: 100 }, (_, i) => i);
    const runs = assignGroupsToSlots(many);
    expect(runs).toHaveLength(40);
    expect(runs[0]).toEqual([0, 1, 2]);
    expect(runs[19]).toEqual([57, 58, 59]);
    expect(runs[39]).toEqual([98, 99]);
  });
});

describe('checkPayloadEnvelope', () => {
  it('accepts up to 2,048 (partition, key group) pairs and refuses more, naming the numbers and what to do', () => {
    expect(() => checkPayloadEnvelope({ jobId: 'j', keyGroups: 256, partitions: 8 })).not.toThrow();
    expect(() => checkPayloadEnvelope({ jobId: 'j', keyGroups: 8, partitions: 256 })).not.toThrow();
    expect(() => checkPayloadEnvelope({ jobId: 'j', keyGroups: 64, partitions: 33 })).toThrow(
      'job j would run a batch over 33 partitions and 64 key groups: 2112 (partition, key group) pairs, above the 2048',
    );
  });
});
