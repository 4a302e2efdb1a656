/** The stored format of batch records and its one decoder (engine/protocol/batch-record-format.ts). */
import { describe, expect, it } from 'vitest';
import { StateCorruptionError } from '../../../engine/errors.js';
import { decodeBatchRecord, encodeBatchRecord, WAL_FORMAT_VERSION } from '../../../engine/protocol/batch-record-format.js';
import type { BatchPlan, BatchRecord } from '../../../engine/protocol/batch-records.js';
import { batchCommit, batchPlan, batchRecord, metrics, partitionCommit, partitionPlan } from '../../support/builders.js';

const AT = { jobId: 'clicks', batchId: 42 };
const OFFSET = '49590338271490256608559692538361571095921575989136588898';

/** A plan with every optional field of a plan and of a partition's plan set. */
function fullPlan(): BatchPlan {
  return batchPlan({
    jobId: 'clicks',
    batchId: 42,
    epoch: 3,
    watermarkMs: 1_500,
    maxEventTimeMs: 2_500,
    partitions: [
      partitionPlan('shardId-000000000001', { start: { type: 'AFTER', offset: OFFSET }, baseStateVersion: 41, closed: true }),
      partitionPlan('shardId-000000000002', {
        start: { type: 'AT_TIMESTAMP', timestamp: 1_000 },
        inherits: [{ partition: 'shardId-000000000000', stateVersion: 40, jobVersion: 1 }],
        hashKeyRange: { start: '0', end: '170141183460469231731687303715884105727' },
      }),
      partitionPlan('7', {
        start: { type: 'AT_OFFSET', offset: '60' },
        endBefore: '90',
        endIsTail: false,
        maxBytes: 64 * 2 ** 20,
        skipped: { from: '50', to: '60' },
      }),
    ],
    finished: { 'shardId-000000000000': 40 },
    handedOver: { 'shardId-000000000000': 41 },
    finishedJobVersions: { 'shardId-000000000000': 1 },
    jobVersion: 2,
    migrateFromVersion: 1,
    stateShape: '0123456789abcdef',
    generation: 3,
  });
}

function committed(plan: BatchPlan = fullPlan()): BatchRecord {
  return batchRecord(
    plan,
    batchCommit({
      batchId: plan.batchId,
      epoch: 3,
      maxEventTimeMs: 2_600,
      partitions: {
        'shardId-000000000001': partitionCommit({
          end: { count: 2, lastOffset: OFFSET, closed: true },
          nextStart: { type: 'AFTER', offset: OFFSET },
          stateVersion: 42,
        }),
        'shardId-000000000002': partitionCommit({
          end: { count: 0 },
          nextStart: { type: 'AT_TIMESTAMP', timestamp: 1_000 },
          caughtUp: false,
          lagMs: 80,
        }),
        '7': partitionCommit({
          end: { count: 2, lastOffset: '70', startedAt: '65', cutBefore: '71' },
          nextStart: { type: 'AT_OFFSET', offset: '71' },
          stateVersion: 42,
        }),
      },
      metrics: metrics({ records: 2, skippedOffsets: 15, outputRows: 1, stateRows: 1, stateBytesWritten: 20, durationMs: 40, lagMs: 80 }),
    }),
  );
}

/** What a store hands back: the record as JSON would carry it (no shared objects). */
function stored(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value));
}

/** The error decoding `value` throws, as a StateCorruptionError. */
function refusal(value: unknown): StateCorruptionError {
  try {
    decodeBatchRecord(value, AT);
  } catch (error) {
    expect(error).toBeInstanceOf(StateCorruptionError);
    return error as StateCorruptionError;
  }
  throw new Error('the record was not refused');
}

describe('the current format', () => {
  it('writes the format version with every record', () => {
    expect(WAL_FORMAT_VERSION).toBe(4);
    expect(encodeBatchRecord(batchRecord(fullPlan()))).toEqual({ formatVersion: WAL_FORMAT_VERSION, plan: fullPlan(), status: 'PLANNED' });
  });

  it('round-trips planned and committed records, with every optional field, and the plainest ones', () => {
    for (const record of [batchRecord(fullPlan()), committed(), batchRecord(), batchRecord(batchPlan({ partitions: [] }), batchCommit())]) {
      expect(decodeBatchRecord(stored(encodeBatchRecord(record)), AT)).toEqual(record);
    }
  });

  it('returns the record without its format version, and fills nothing a current record left out', () => {
    const decoded = decodeBatchRecord(stored(encodeBatchRecord(batchRecord())), AT);
    expect(decoded).not.toHaveProperty('formatVersion');
    expect(decoded.plan).not.toHaveProperty('generation');
    expect(decoded.plan).not.toHaveProperty('handedOver');
  });
});

describe('a record written before format versions', () => {
  it('is upgraded: generation 0, no hand-over, no finished partition versions; no job version, so no version check', () => {
    const {
      generation: _g,
      handedOver: _h,
      finishedJobVersions: _f,
      jobVersion: _v,
      migrateFromVersion: _m,
      stateShape: _s,
      ...old
    } = fullPlan();
    const record = committed(old);
    expect(decodeBatchRecord(stored(record), AT)).toEqual({
      ...record,
      plan: { ...old, generation: 0, handedOver: {}, finishedJobVersions: {} },
    });
    expect(decodeBatchRecord(stored(record), AT).plan).not.toHaveProperty('jobVersion');
  });

  it('keeps what it recorded', () => {
    const { stateShape: _s, ...plan } = fullPlan();
    const record = committed(plan);
    expect(decodeBatchRecord(stored(record), AT)).toEqual(record);
    expect(decodeBatchRecord(stored(batchRecord(plan)), AT)).toEqual(batchRecord(plan));
  });
});

describe('format version 2: key groups', () => {
  const grouped = (): BatchRecord => {
    const record = committed();
    return {
      ...record,
      plan: {
        ...record.plan,
        keyGroups: 8,
        groups: { 3: { version: 40, rows: 12, dueAtWatermarkMs: 60_000, dueAtMs: 1_700_000_000_000 } },
      },
      commit: { ...record.commit!, groups: { 3: { version: 42, rows: 13 } } },
    };
  };

  it('keeps the key groups of a plan and the group states of a commit', () => {
    expect(decodeBatchRecord(stored(encodeBatchRecord(grouped())), AT)).toEqual(grouped());
  });

  it('reads a version-1 record as it was: no key groups, state per partition', () => {
    const { stateShape: _s, ...plan } = fullPlan();
    const record = committed(plan);
    expect(decodeBatchRecord({ ...(stored(record) as object), formatVersion: 1 }, AT)).toEqual(record);
  });

  it('refuses key groups in a version-1 record, which could not have written them', () => {
    const { stateShape: _s, ...plan } = grouped().plan;
    expect(refusal({ ...(stored({ ...grouped(), plan }) as object), formatVersion: 1 }).message).toMatch(/is malformed: .*keyGroups/);
  });

  it('refuses a group table whose keys are not key groups', () => {
    const record = grouped();
    const bad = { ...record, commit: { ...record.commit!, groups: { x: { version: 1, rows: 1 } } } };
    expect(refusal(stored(encodeBatchRecord(bad))).message).toMatch(/is malformed: commit\.groups/);
  });
});

describe('format version 3: the state shape', () => {
  it("keeps a plan's state-shape fingerprint", () => {
    const decoded = decodeBatchRecord(stored(encodeBatchRecord(committed())), AT);
    expect(decoded.plan.stateShape).toBe('0123456789abcdef');
  });

  it('reads a version-2 record as it was: no fingerprint, so no shape check applies', () => {
    const { stateShape: _s, ...plan } = fullPlan();
    const record = { ...committed(plan), plan: { ...plan, keyGroups: 8, groups: {} } };
    const decoded = decodeBatchRecord({ ...(stored(record) as object), formatVersion: 2 }, AT);
    expect(decoded).toEqual(record);
    expect(decoded.plan).not.toHaveProperty('stateShape');
  });

  it('refuses a fingerprint in a version-2 record, which could not have written it', () => {
    expect(refusal({ ...(stored(committed()) as object), formatVersion: 2 }).message).toMatch(/is malformed: .*stateShape/);
  });

  it("reads a version-3 record as it was: version 4 has its shape (only the DynamoDB adapter stores it gzip'd)", () => {
    for (const record of [committed(), batchRecord(fullPlan())]) {
      expect(decodeBatchRecord({ ...(stored(record) as object), formatVersion: 3 }, AT)).toEqual(record);
    }
  });
});

describe('a record this code cannot read', () => {
  it('refuses a newer format version, naming the job, the batch and the version', () => {
    const error = refusal({ ...encodeBatchRecord(committed()), formatVersion: WAL_FORMAT_VERSION + 1 });
    expect(error.message).toBe(
      'job clicks: batch 42 of the write-ahead log has format version 5, and this code reads versions up to 4: it was ' +
        'written by a newer release of Sluice. Deploy that release (or a later one) again to run the job',
    );
    expect(error.retryable).toBe(false);
    expect(error.context).toMatchObject({ jobId: 'clicks', batchId: 42, formatVersion: 5 });
  });

  it('refuses a format version that is not one', () => {
    for (const formatVersion of [0, -1, 1.5, '1', null]) {
      expect(refusal({ ...encodeBatchRecord(batchRecord()), formatVersion }).message).toMatch(
        /^job clicks: batch 42 of the write-ahead log is malformed: its format version .* is not a version$/,
      );
    }
  });

  it('refuses a malformed record, saying where it is malformed', () => {
    const good = stored(encodeBatchRecord(committed())) as {
      plan: { partitions: Record<string, unknown>[] };
      commit: Record<string, unknown>;
    };
    const cases: [unknown, RegExp][] = [
      [null, /malformed: the record: /],
      ['PLANNED', /malformed: the record: /],
      [{ ...good, status: 'DONE' }, /malformed: status: /],
      [
        { ...good, plan: { ...good.plan, partitions: [{ ...good.plan.partitions[0], maxRecords: '500' }] } },
        /malformed: plan\.partitions\.0\.maxRecords: /,
      ],
      [{ ...good, plan: { ...good.plan, epoch: 1.5 } }, /malformed: plan\.epoch: /],
      [
        { ...good, plan: { ...good.plan, partitions: [{ ...good.plan.partitions[0], start: { type: 'LATEST' } }] } },
        /malformed: plan\.partitions\.0\.start\.type: /,
      ],
      [{ ...good, commit: { ...good.commit, metrics: undefined } }, /malformed: commit\.metrics: /],
      // A field the format does not have: a writer of another format.
      [{ ...good, plan: { ...good.plan, priority: 1 } }, /malformed: plan: .*priority/],
      // The status and the commit disagree.
      [{ ...good, status: 'PLANNED' }, /malformed: the record: .*commit/],
      [{ formatVersion: 1, status: 'COMMITTED', plan: stored({ ...good.plan, stateShape: undefined }) }, /malformed: commit: /],
    ];
    for (const [value, message] of cases) {
      const error = refusal(value);
      expect(error.message).toMatch(/^job clicks: batch 42 of the write-ahead log is malformed: /);
      expect(error.message).toMatch(message);
      expect(error.retryable).toBe(false);
      expect(error.context).toEqual({ jobId: 'clicks', batchId: 42 });
    }
  });
});

describe('the cost of decoding', () => {
  it('is microseconds for a typical record (a few partitions), not milliseconds', () => {
    const value = stored(encodeBatchRecord(committed()));
    // Warm up first: the decoder runs on every WAL read, so it is hot in a running job.
    for (let i = 0; i < 3_000; i += 1) decodeBatchRecord(value, AT);
    const runs = 5_000;
    const started = performance.now();
    for (let i = 0; i < runs; i += 1) decodeBatchRecord(value, AT);
    const microseconds = ((performance.now() - started) * 1_000) / runs;
    // About 20 µs once warm (40 µs on a loaded machine); the bound leaves room, and still fails at milliseconds.
    expect(microseconds).toBeLessThan(500);
  });
});
