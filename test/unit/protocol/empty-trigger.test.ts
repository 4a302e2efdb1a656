import { describe, expect, it } from 'vitest';
import { dueTimerGroup, reasonToPlan, type TriggerFacts } from '../../../engine/protocol/empty-trigger.js';
import { defineJob, memorySink, memorySource, type JobDefinition, type Stream } from '../../../engine/job/index.js';
import { batchCommit, batchPlan, batchRecord, partitionCommit, partitionPlan } from '../../support/builders.js';

interface Click {
  readonly page: string;
  readonly ts: number;
}

const LATENESS = 10_000;

/** A caught-up job on two partitions whose last batch moved nothing and left nothing due. */
function facts(overrides: Partial<TriggerFacts> = {}): TriggerFacts {
  const plan = batchPlan({
    batchId: 7,
    watermarkMs: 40_000,
    maxEventTimeMs: 50_000,
    keyGroups: 4,
    partitions: [partitionPlan('p0'), partitionPlan('p1')],
  });
  const commit = batchCommit({ batchId: 7, maxEventTimeMs: 50_000, groups: { 0: { version: 3, rows: 2, dueAtMs: 90_000 } } });
  return {
    latest: batchRecord(plan, commit),
    nextPartitions: ['p0', 'p1'],
    allowedLatenessMs: LATENESS,
    firesByProcessingTime: false,
    nowMs: 60_000,
    stopRequested: false,
    ...overrides,
  };
}

describe('whether a trigger must plan a batch (reasonToPlan)', () => {
  it('leaves it to the source when the job is caught up with nothing due', () => {
    expect(reasonToPlan(facts())).toBeNull();
    expect(reasonToPlan(facts({ nextPartitions: ['p1', 'p0'] }))).toBeNull();
  });

  it('plans the first batch, and resumes a batch in flight', () => {
    expect(reasonToPlan(facts({ latest: null }))).toBe('no batch was committed yet');
    expect(reasonToPlan(facts({ latest: batchRecord(batchPlan({ batchId: 8 })) }))).toBe('batch 8 is in flight');
  });

  it('does not skip when a stop was requested', () => {
    expect(reasonToPlan(facts({ stopRequested: true }))).toBe('a stop was requested');
  });

  it("plans when a key group's processing-time timer is due at the trigger's time, not before", () => {
    expect(reasonToPlan(facts({ nowMs: 89_999 }))).toBeNull();
    expect(reasonToPlan(facts({ nowMs: 90_000 }))).toBe('key group 0 has a timer due');
  });

  it('plans the no-data batch the last batch left due (it advanced the watermark, a group is due at the new one)', () => {
    const plan = batchPlan({ batchId: 7, watermarkMs: 40_000, keyGroups: 4, partitions: [partitionPlan('p0')] });
    const commit = batchCommit({ batchId: 7, maxEventTimeMs: 70_000, groups: { 2: { version: 3, rows: 1, dueAtWatermarkMs: 50_000 } } });
    expect(reasonToPlan(facts({ latest: batchRecord(plan, commit), nextPartitions: ['p0'] }))).toBe(
      'batch 7 advanced the watermark: a no-data batch is due',
    );
  });

  it('plans once more when the last batch stopped at its cap on some partition: only a batch that reached the tail says caught up', () => {
    const capped = (caughtUp: boolean) => {
      const base = facts();
      const commit = { ...base.latest!.commit!, partitions: { p0: partitionCommit(), p1: partitionCommit({ caughtUp }) } };
      return facts({ latest: batchRecord(base.latest!.plan, commit) });
    };
    expect(reasonToPlan(capped(false))).toBe('batch 7 did not reach the tail of every partition');
    expect(reasonToPlan(capped(true))).toBeNull();
  });

  it('plans when the partitions changed: a shard split, finished or added', () => {
    expect(reasonToPlan(facts({ nextPartitions: ['p0', 'p2', 'p3'] }))).toBe('the partitions changed since batch 7 (p0,p1 -> p0,p2,p3)');
    expect(reasonToPlan(facts({ nextPartitions: ['p0'] }))).toMatch(/^the partitions changed/);
    expect(reasonToPlan(facts({ nextPartitions: ['p0', 'p1', 'p2'] }))).toMatch(/^the partitions changed/);
  });

  it('never skips a one-stage job whose operator may fire by processing time (no due time is recorded there)', () => {
    const oneStage = (job: JobDefinition) => {
      const plan = batchPlan({ batchId: 7, partitions: [partitionPlan('p0')] });
      return facts({
        latest: batchRecord(plan, batchCommit({ batchId: 7 })),
        nextPartitions: ['p0'],
        firesByProcessingTime: job.pipeline.firesByProcessingTime === true,
      });
    };
    const job = (name: string, pipeline: (e: Stream<Click>) => unknown, keyed = true) =>
      defineJob<Click>({
        name,
        version: 1,
        source: memorySource({ streamName: 'clicks' }),
        sink: memorySink({ name }),
        ...(keyed ? { keyedBy: 'partitionKey' as const } : {}),
        pipeline: pipeline as any,
      });
    const process = job('process', (e) =>
      e.keyBy((c) => c.page).process({ onValue: (c, ctx) => ctx.emit({ page: c.page }, { key: c.page }) }),
    );
    const ttl = job('ttl', (e) => e.dropDuplicates((c) => c.page, { ttlMs: 60_000 }));
    const watermark = job('watermark', (e) =>
      e.withWatermark((c) => c.ts, { allowedLatenessMs: 0 }).dropDuplicatesWithinWatermark((c) => c.page),
    );
    const stateless = job('stateless', (e) => e.map((c) => ({ page: c.page })), false);
    expect(reasonToPlan(oneStage(process))).toMatch(/processing-time/);
    expect(reasonToPlan(oneStage(ttl))).toMatch(/processing-time/);
    expect(reasonToPlan(oneStage(watermark))).toBeNull();
    expect(reasonToPlan(oneStage(stateless))).toBeNull();
  });

  it('dueTimerGroup names the group due, or null', () => {
    const commit = batchCommit({ groups: { 1: { version: 1, rows: 1 }, 5: { version: 1, rows: 1, dueAtMs: 10 } } });
    expect(dueTimerGroup(commit, 9)).toBeNull();
    expect(dueTimerGroup(commit, 10)).toBe('5');
    expect(dueTimerGroup(undefined, 10)).toBeNull();
  });
});
