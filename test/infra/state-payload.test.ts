/**
 * The Step Functions payload limit (256 KiB per state input or output) against the largest
 * state of a two-stage batch, built at its largest for the envelope
 * infra/state-machines/batches-definition.ts promises: every number at its widest, every
 * inline body at its share of INLINE_EXCHANGE_TOTAL_BYTES and made of characters JSON
 * escapes, every index entry present.
 */
import { describe, expect, it } from 'vitest';
import type { DriverInfo, LoopState, PlannedBatch } from '../../engine/driver/tasks.js';
import type { GroupResult, PartitionResult } from '../../engine/protocol/batch-records.js';
import { INLINE_EXCHANGE_TOTAL_BYTES } from '../../engine/protocol/exchange-format.js';
import { assignGroupsToSlots } from '../../engine/protocol/key-groups.js';
import { batchesDefinition } from '../../infra/state-machines/definitions.js';

const LIMIT = 256 * 1024;
const WIDE = Number.MAX_SAFE_INTEGER;

/** The size Step Functions measures: the state as UTF-8 JSON. */
const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value), 'utf8');

function largestState(args: { partitions: number; keyGroups: number; inlineTotal: number }) {
  const { partitions, keyGroups, inlineTotal } = args;
  const groups = Array.from({ length: keyGroups }, (_, g) => g);
  const driver: DriverInfo = {
    jobId: 'j'.repeat(128),
    jobName: 'n'.repeat(128),
    // The job's parameters, at their 4 KiB limit (engine/driver/job-control.ts).
    parameters: { p: 'x'.repeat(4_080) },
    trigger: { type: 'interval', intervalMs: WIDE, maxIdleIntervalMs: WIDE, idleBackoffFactor: 1.5 },
    generation: WIDE,
    epoch: WIDE,
  };
  const ids = Array.from({ length: partitions }, (_, p) => `shardId-${String(p).padStart(12, '0')}`);
  const batch: PlannedBatch = {
    idle: false,
    jobId: driver.jobId,
    epoch: WIDE,
    batchId: WIDE,
    partitions: ids,
    twoStage: true,
    keyGroups,
    dueGroups: groups,
    groupRows: Object.fromEntries(groups.map((g) => [g, WIDE])),
    resumed: false,
    watermarkMs: WIDE,
    stop: false,
    startedAt: WIDE,
  };
  // Quotes and newlines: each byte of the body takes two in the state.
  const body = (n: number) => '"\n'.repeat(Math.ceil(n / 2)).slice(0, n);
  const results: PartitionResult[] = ids.map((partition) => ({
    partition,
    end: { count: WIDE, lastOffset: '9'.repeat(56), closed: true },
    stateVersion: WIDE,
    records: WIDE,
    outputRows: WIDE,
    deadLetters: WIDE,
    lateRecords: WIDE,
    maxEventTimeMs: WIDE,
    stateRows: WIDE,
    stateBytesWritten: WIDE,
    lagMs: WIDE,
    caughtUp: false,
    skippedOffsets: WIDE,
    exchange: {
      index: Object.fromEntries(groups.map((g) => [g, [99_999_999, 99_999_999] as const])),
      inline: body(Math.floor(inlineTotal / partitions)),
    },
  }));
  const slots = assignGroupsToSlots(groups);
  const groupResults: GroupResult[][] = slots.map((slot) =>
    slot.map((group) => ({
      group,
      stateVersion: WIDE,
      outputRows: WIDE,
      deadLetters: WIDE,
      stateRows: WIDE,
      stateBytesWritten: WIDE,
      dueAtWatermarkMs: WIDE,
    })),
  );
  const loop: LoopState & Record<string, unknown> = {
    action: 'continue',
    reason: null,
    waitMs: WIDE,
    waitUntil: new Date(8.64e15).toISOString(),
    idleStreak: WIDE,
    batch: { batchId: WIDE, resumed: false, committedNow: true, caughtUp: false, watermarkMs: WIDE, metrics: {} },
  };
  // ExecuteGroups' output, Finish's input: the child's input and every ResultPath on the way.
  const finishInput = { driver, loop, batch, results, route: { slots }, groupResults };
  const routeInput = { driver, loop, batch, results };
  const groupsIteration = { driver, batchId: batch.batchId, groups: slots[0], stageOne: results };
  return { finishInput, routeInput, groupsIteration };
}

describe('the Step Functions payload limit on a two-stage batch', () => {
  it('the states on the way to Finish write just the paths the largest state is built from', () => {
    const states = batchesDefinition().States;
    const written = Object.values(states)
      .map((s) => s.ResultPath)
      .filter((p) => typeof p === 'string');
    expect(new Set(written)).toEqual(new Set(['$.batch', '$.results', '$.route', '$.groupResults', '$.loop']));
  });

  it.each([
    { partitions: 8, keyGroups: 256 },
    { partitions: 32, keyGroups: 64 },
    { partitions: 1, keyGroups: 256 },
  ])('fits for $keyGroups key groups, all active, over $partitions partitions', ({ partitions, keyGroups }) => {
    const { finishInput, routeInput, groupsIteration } = largestState({ partitions, keyGroups, inlineTotal: INLINE_EXCHANGE_TOTAL_BYTES });
    expect(bytes(finishInput)).toBeLessThan(LIMIT);
    expect(bytes(routeInput)).toBeLessThan(bytes(finishInput));
    expect(bytes(groupsIteration)).toBeLessThan(bytes(finishInput));
  });

  it('would not with the inline budget at 192 KiB: escaped, the inline bodies alone pass the limit', () => {
    const { finishInput } = largestState({ partitions: 4, keyGroups: 8, inlineTotal: 192 * 1024 });
    expect(bytes(finishInput)).toBeGreaterThan(LIMIT);
  });
});
