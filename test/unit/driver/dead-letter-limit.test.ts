/** The dead-letter ratio guard's verdict (engine/driver/dead-letter-limit.ts) and the job option it reads. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { deadLetterLimitReason, firstDeadLetterOf, overDeadLetterLimit } from '../../../engine/driver/dead-letter-limit.js';
import { JobSpecError } from '../../../engine/errors.js';
import { firstDeadLetterOf as summaryOf, FIRST_DEAD_LETTER_MAX_LENGTH } from '../../../engine/executor/first-dead-letter.js';
import { count, defineJob, memorySink, memorySource, type JobSpec } from '../../../engine/job/index.js';
import { partitionResult } from '../../support/builders.js';

const LIMIT = { maxRatio: 0.5, minRecords: 100 };

describe('overDeadLetterLimit', () => {
  it('is more than maxRatio of at least minRecords records', () => {
    expect(overDeadLetterLimit({ records: 1_000, deadLetters: 890 }, LIMIT)).toBe(true);
    expect(overDeadLetterLimit({ records: 1_000, deadLetters: 501 }, LIMIT)).toBe(true);
    expect(overDeadLetterLimit({ records: 1_000, deadLetters: 500 }, LIMIT)).toBe(false);
    expect(overDeadLetterLimit({ records: 100, deadLetters: 51 }, LIMIT)).toBe(true);
    // Fewer records than minRecords: not judged, even all dead-lettered.
    expect(overDeadLetterLimit({ records: 99, deadLetters: 99 }, LIMIT)).toBe(false);
    // No records (a batch of timers only): never.
    expect(overDeadLetterLimit({ records: 0, deadLetters: 3 }, { maxRatio: 0.5, minRecords: 1 })).toBe(false);
    // Turned off.
    expect(overDeadLetterLimit({ records: 1_000, deadLetters: 1_000 }, null)).toBe(false);
  });

  it('a ratio equal to the limit is never over it, one letter more always is (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 1, max: 1_000 }), (percent, scale) => {
        const limit = { maxRatio: percent / 100, minRecords: 1 };
        const records = 100 * scale;
        const atLimit = percent * scale;
        expect(overDeadLetterLimit({ records, deadLetters: atLimit }, limit)).toBe(false);
        if (atLimit < records) expect(overDeadLetterLimit({ records, deadLetters: atLimit + 1 }, limit)).toBe(true);
      }),
    );
  });
});

describe('deadLetterLimitReason', () => {
  it('names the batch, the counts, the share, the limit and the first dead letter, and says nothing is lost', () => {
    const reason = deadLetterLimitReason({
      jobId: 'totals',
      batchId: 12,
      metrics: { records: 1_000, deadLetters: 890 },
      limit: LIMIT,
      first: "shardId-000000000001@17 aggregate: the group's accumulator 3 has no field views: did the aggregate change?",
    });
    expect(reason).toBe(
      "batch 12 dead-lettered 890 of 1,000 records (89 %), over the job's limit of 50 %; the first: shardId-000000000001@17 aggregate: " +
        "the group's accumulator 3 has no field views: did the aggregate change?. The batch is committed: its dead letters are in the " +
        'dead-letter table (sluice jobs dead-letters totals), nothing is lost. Fix the job or its input, then resume it (or replay ' +
        "from batch 11 with the fix); the job's deadLetterLimit sets the limit.",
    );
    expect(
      deadLetterLimitReason({
        jobId: 'j',
        batchId: 3,
        metrics: { records: 3_000, deadLetters: 2_000 },
        limit: { maxRatio: 0.125, minRecords: 1 },
      }),
    ).toMatch(/^batch 3 dead-lettered 2,000 of 3,000 records \(66\.67 %\), over the job's limit of 12\.5 %\. The batch is committed/);
    expect(deadLetterLimitReason({ jobId: 'j', batchId: 3, metrics: { records: 1_000, deadLetters: 500 }, limit: LIMIT })).toBeNull();
  });

  it("takes the first dead letter an executor reported, stage 1's before stage 2's", () => {
    const results = [partitionResult('p0'), partitionResult('p1', { firstDeadLetter: 'p1@4 decode: bad JSON' })];
    expect(firstDeadLetterOf(results, [])).toBe('p1@4 decode: bad JSON');
    const group = { group: 3, stateVersion: 1, outputRows: 0, deadLetters: 1, stateRows: 0, stateBytesWritten: 0, dueAtWatermarkMs: null };
    expect(firstDeadLetterOf([partitionResult('p0')], [group, { ...group, firstDeadLetter: 'keygroup-0003@9 aggregate: x' }])).toBe(
      'keygroup-0003@9 aggregate: x',
    );
    expect(firstDeadLetterOf([partitionResult('p0')])).toBeUndefined();
  });

  it("an executor's summary of its first letter is one short line", () => {
    const letter = { jobId: 'j', partition: 'p0', offset: '7', batchId: 1, stage: 'map', payloadBase64: '', recordedAt: 0 };
    expect(summaryOf([])).toEqual({});
    expect(
      summaryOf([
        { ...letter, reason: 'TypeError:\n  x is undefined' },
        { ...letter, offset: '8', reason: 'other' },
      ]),
    ).toEqual({
      firstDeadLetter: 'p0@7 map: TypeError: x is undefined',
    });
    const long = summaryOf([{ ...letter, reason: 'x'.repeat(1_000) }]).firstDeadLetter!;
    expect(long).toHaveLength(FIRST_DEAD_LETTER_MAX_LENGTH);
    expect(long.endsWith('…')).toBe(true);
  });
});

describe('the job option deadLetterLimit', () => {
  const spec = (deadLetterLimit?: unknown): JobSpec => ({
    name: 'counts',
    version: 1,
    source: memorySource({ streamName: 'in' }),
    pipeline: (s) => s.keyBy((e) => e.k).aggregate(count()),
    sink: memorySink({ name: 'out' }),
    ...(deadLetterLimit === undefined ? {} : { deadLetterLimit: deadLetterLimit as JobSpec['deadLetterLimit'] }),
  });

  it('is on by default (half of at least 100 records), takes either setting alone, and false turns it off', () => {
    expect(defineJob(spec()).deadLetterLimit).toEqual({ maxRatio: 0.5, minRecords: 100 });
    expect(defineJob(spec({ maxRatio: 0.1 })).deadLetterLimit).toEqual({ maxRatio: 0.1, minRecords: 100 });
    expect(defineJob(spec({ minRecords: 10 })).deadLetterLimit).toEqual({ maxRatio: 0.5, minRecords: 10 });
    expect(defineJob(spec(false)).deadLetterLimit).toBeNull();
  });

  it('names what is wrong with it', () => {
    const problem = (value: unknown) => {
      try {
        defineJob(spec(value));
      } catch (error) {
        expect(error).toBeInstanceOf(JobSpecError);
        return (error as Error).message;
      }
      throw new Error('defineJob did not throw');
    };
    expect(problem({ maxRatio: 0 })).toBe(
      "job counts: deadLetterLimit.maxRatio must be a number in (0, 1] (0.5: half of a batch's records), got 0",
    );
    expect(problem({ maxRatio: 50 })).toMatch(/deadLetterLimit\.maxRatio must be a number in \(0, 1\]/);
    expect(problem({ minRecords: 0 })).toBe('job counts: deadLetterLimit.minRecords must be a positive integer, got 0');
    expect(problem({ ratio: 0.5 })).toBe(
      'job counts: deadLetterLimit.ratio is not a dead-letter limit setting (maxRatio, minRecords), or set deadLetterLimit: false',
    );
    expect(problem(true)).toMatch(/^job counts: deadLetterLimit must be an object/);
  });
});
