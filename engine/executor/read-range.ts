import { DataLossError, RangeMismatchError } from '../errors.js';
import {
  compareOffsets,
  describeStart,
  isAfterStart,
  isBeforeEnd,
  offsetAfter,
  rangeEndOf,
  sameRangeEnd,
  type Offset,
  type RangeEnd,
  type RecordedRangeEnd,
  type StartPosition,
} from '../protocol/offsets.js';
import type { PartitionPlan } from '../protocol/batch-records.js';
import type { WriteAheadLog } from '../ports/write-ahead-log.js';
import type { SourceReader, SourceRecord } from '../ports/source-reader.js';

export interface RangeRead {
  readonly records: SourceRecord[];
  readonly end: RangeEnd;
  readonly caughtUp: boolean;
  readonly lagMs: number | null;
  /** Offsets of a fixed range that had aged out before they were read (data loss allowed). */
  readonly skippedOffsets?: number;
  /**
   * This attempt's read stopped at its read budget (RANGE_READ_BUDGET): the range it
   * recorded says `more`, or the fixed range ended at its plan's byte bound (cutBefore).
   */
  readonly stoppedAtBudget?: true;
}

/**
 * What the first attempt at a range reads at most, besides the plan's maxRecords: 64 MiB
 * of record data (an executor has 1,024 MB: infra/state-machines/functions.ts; the
 * records, their decoded values and the exchange's rows are several times their bytes),
 * and no page asked for after 40 s (an executor has 90 s, and a retry reads the recorded
 * range again in about the same time). A Kinesis shard serves 2 MB/s to its readers, so
 * 64 MiB takes 32 s to a reader alone: at 1 KB records neither budget binds below the
 * 40,000-record default cap (engine/job/rate-limit.ts); at 100 KB records the bytes stop
 * a batch at about 650 records. The bytes are also the byte bound a plan gives every
 * range it fixes (Kafka: PartitionPlan.maxBytes); time cannot bound those, as every read
 * of a fixed range must stop at the same record.
 */
export const RANGE_READ_BUDGET: ReadBudget = { maxBytes: 64 * 2 ** 20, maxReadMs: 40_000 };

export interface ReadBudget {
  readonly maxBytes: number;
  readonly maxReadMs: number;
}

/**
 * Reads exactly the range of one partition of one batch.
 *
 * IF the plan fixed the range (Kafka) THEN read exactly [start, endBefore), up to the
 *    record that reaches the plan's byte bound (maxBytes) if one does: the same record
 *    for every attempt and every replay, since records at fixed offsets never change;
 *    the end then says cutBefore, where the next batch starts
 * ELSE (Kinesis, below)
 * IF the WAL holds the range's end THEN read exactly [start, end] (a retry, a zombie,
 *    a recovery or a replay: all of them see the records the first attempt saw)
 * ELSE read from start up to the cap, or until the read budget is spent (RANGE_READ_BUDGET:
 *    bytes and time, so that a partition of large records fits an executor's memory and
 *    timeout; the recorded end then says `more`: not caught up), then record the end with
 *    a conditional put BEFORE returning, so nothing derived from these records is visible
 *    before the range is fixed. When another attempt recorded first, its end wins: both
 *    read from the same start in the same order, so one read is a prefix of the other;
 *    cut ours or read again.
 *
 * An empty range is recorded too. A batch with no records can still write state and rows
 * (the watermark evicts windows, append mode emits them); if its emptiness were not fixed,
 * a retry that found new records would write a different state version N, and a slow
 * first attempt could then overwrite it with its own: the commit would name a range whose
 * records the state does not hold.
 */
export async function readRange(args: {
  readonly wal: WriteAheadLog;
  readonly reader: SourceReader;
  readonly jobId: string;
  readonly batchId: number;
  readonly plan: PartitionPlan;
  /** The job's failOnDataLoss (default true). */
  readonly failOnDataLoss?: boolean;
  /**
   * A read of this range end started together with the read of the batch's plan
   * (prefetchRangeEnd), saving a round trip on a first attempt. Only its "nothing
   * recorded" is taken as it is: recording then goes through the conditional put, which
   * answers with whatever is stored by then. A range end it found is read again here,
   * after the plan: between the two reads a replay may have superseded the batch (moving
   * its range ends away) and planned it anew, and a range end is only ever taken from a
   * read made after the plan it belongs to.
   */
  readonly recorded?: Promise<RangeEnd | null>;
  /** The first attempt's read budget (default RANGE_READ_BUDGET). */
  readonly budget?: ReadBudget;
}): Promise<RangeRead> {
  const { wal, jobId, batchId, plan } = args;
  if (plan.endBefore !== undefined) return readFixedRange({ ...args, failOnDataLoss: args.failOnDataLoss ?? true }, plan.endBefore);
  const early = args.recorded === undefined ? undefined : await args.recorded;
  const recorded = early === null ? null : await wal.getRangeEnd(jobId, batchId, plan.partition);
  if (recorded !== null) return readRecorded(args.reader, plan, recorded);

  const read = await args.reader.read({
    partition: plan.partition,
    start: plan.start,
    maxRecords: plan.maxRecords,
    ...(plan.closed ? { partitionClosed: true } : {}),
    ...(args.budget ?? RANGE_READ_BUDGET),
  });
  const end = rangeEndOf(
    read.records.map((r) => r.offset),
    read.closed,
  );
  const ours: RecordedRangeEnd = read.more === true ? { ...end, more: true } : end;
  const winner = await wal.recordRangeEnd(jobId, batchId, plan.partition, ours);
  if (sameRangeEnd(winner, ours)) {
    // Not caught up when a budget stopped either read of these records (ours, or the one recorded first).
    const caughtUp = read.caughtUp && read.more !== true && winner.more !== true;
    return { records: read.records, end, caughtUp, lagMs: read.lagMs, ...(read.more === true ? { stoppedAtBudget: true } : {}) };
  }
  const prefix = read.records.slice(0, winner.count);
  if (winner.count <= read.records.length && prefix.at(-1)?.offset === winner.lastOffset) {
    return { records: prefix, end: committable(winner), caughtUp: caughtUpAt(plan, winner), lagMs: read.lagMs };
  }
  return readRecorded(args.reader, plan, winner);
}

/** A recorded range end as results and commits carry it: without `more`, which their caughtUp says. */
function committable(end: RecordedRangeEnd): RangeEnd {
  const { more: _, ...rest } = end;
  return rest;
}

/**
 * Whether a recorded range reached its partition's tail: it stopped short of the cap, or,
 * for a partition the plan says is closed, it reached the end (an attempt that gave up on
 * empty pages before the end left the shard unfinished: not caught up, so an
 * available-now job does not stop before the shard's children are read).
 */
function caughtUpAt(plan: PartitionPlan, end: RecordedRangeEnd): boolean {
  if (end.more === true) return false;
  return plan.closed ? end.closed === true : end.count < plan.maxRecords;
}

/**
 * A range the plan fixed (Kafka): every record in [start, endBefore), nothing to record.
 *
 * IF the planned start aged out of the source between the plan and this read, and the job
 *    allows data loss (failOnDataLoss false) THEN the range starts at the earliest offset
 *    still held (at endBefore when nothing of it is left): the first attempt records that
 *    start in the WAL (first writer wins) so every attempt reads the same records, and the
 *    offsets skipped go into the commit's metrics and range end. Should even the recorded
 *    start have aged out by a retry, that retry reads from the earliest offset left: the
 *    job accepted losing records, and none can be read twice.
 * ELSE the DataLossError stands (the job stops, as it asked).
 */
async function readFixedRange(
  args: { wal: WriteAheadLog; reader: SourceReader; jobId: string; batchId: number; plan: PartitionPlan; failOnDataLoss: boolean },
  endBefore: Offset,
): Promise<RangeRead> {
  const { wal, reader, jobId, batchId, plan } = args;
  const allowed = !args.failOnDataLoss && reader.fixRanges !== undefined && plan.start.type === 'AT_OFFSET';
  const recorded = allowed ? await wal.getRangeEnd(jobId, batchId, plan.partition) : null;
  if (recorded?.startedAt === undefined) {
    try {
      return await readFixed(reader, plan, plan.start, endBefore);
    } catch (error) {
      if (!allowed || !(error instanceof DataLossError)) throw error;
    }
  }
  const startedAt =
    recorded?.startedAt ??
    (await wal.recordRangeEnd(jobId, batchId, plan.partition, { count: 0, startedAt: await earliestHeld(reader, plan, endBefore) }))
      .startedAt!;
  let from = startedAt;
  let read: RangeRead;
  try {
    read = await readFixed(reader, plan, { type: 'AT_OFFSET', offset: from }, endBefore);
  } catch (error) {
    if (!(error instanceof DataLossError)) throw error;
    from = await earliestHeld(reader, plan, endBefore);
    read = await readFixed(reader, plan, { type: 'AT_OFFSET', offset: from }, endBefore);
  }
  const planned = (plan.start as { offset: Offset }).offset;
  return {
    ...read,
    end: { ...read.end, startedAt: from },
    skippedOffsets: Number(BigInt(from) - BigInt(planned)),
  };
}

/** The earliest offset the source still holds for this range, capped at its end. */
async function earliestHeld(reader: SourceReader, plan: PartitionPlan, endBefore: Offset): Promise<Offset> {
  const [fixed] = await reader.fixRanges!([{ partition: plan.partition, start: plan.start, maxRecords: plan.maxRecords }], {
    failOnDataLoss: false,
  });
  const earliest = fixed?.skipped?.to ?? (plan.start as { offset: Offset }).offset;
  return compareOffsets(earliest, endBefore) > 0 ? endBefore : earliest;
}

async function readFixed(reader: SourceReader, plan: PartitionPlan, start: StartPosition, endBefore: Offset): Promise<RangeRead> {
  const maxBytes = plan.maxBytes === undefined ? {} : { maxBytes: plan.maxBytes };
  const read = await reader.read({ partition: plan.partition, start, maxRecords: plan.maxRecords, endBefore, ...maxBytes });
  let previous: Offset | undefined;
  for (const record of read.records) {
    const inRange = isAfterStart(start, record.offset) && isBeforeEnd(record.offset, endBefore);
    if (!inRange || (previous !== undefined && compareOffsets(record.offset, previous) <= 0)) {
      throw new RangeMismatchError(
        `partition ${plan.partition}: the source returned offset ${record.offset} for the range ${describeStart(start)} to before ${endBefore}`,
        { context: { partition: plan.partition, offset: record.offset } },
      );
    }
    previous = record.offset;
  }
  const end = rangeEndOf(
    read.records.map((r) => r.offset),
    read.closed,
  );
  if (read.more === true && previous !== undefined) {
    return {
      records: read.records,
      end: { ...end, cutBefore: offsetAfter(previous) },
      caughtUp: false,
      lagMs: read.lagMs,
      stoppedAtBudget: true,
    };
  }
  return { records: read.records, end, caughtUp: plan.endIsTail ?? false, lagMs: read.lagMs };
}

/**
 * Starts reading a partition's range end before the batch's plan is read, for readRange's
 * `recorded`, when the source has its ranges recorded by the executor (no fixRanges:
 * Kinesis); undefined otherwise (a fixed range reads none). A failure is left for
 * readRange to meet.
 */
export function prefetchRangeEnd(
  wal: WriteAheadLog,
  reader: SourceReader,
  where: { jobId: string; batchId: number; partition: string },
): Promise<RangeEnd | null> | undefined {
  if (reader.fixRanges !== undefined) return undefined;
  const read = wal.getRangeEnd(where.jobId, where.batchId, where.partition);
  read.catch(() => {});
  return read;
}

async function readRecorded(reader: SourceReader, plan: PartitionPlan, recorded: RecordedRangeEnd): Promise<RangeRead> {
  const caughtUp = caughtUpAt(plan, recorded);
  const end = committable(recorded);
  if (end.count === 0) return { records: [], end, caughtUp, lagMs: null };
  const read = await reader.read({
    partition: plan.partition,
    start: plan.start,
    maxRecords: end.count,
    untilOffset: end.lastOffset!,
  });
  const got = rangeEndOf(
    read.records.map((r) => r.offset),
    end.closed ?? false,
  );
  if (got.count !== end.count || got.lastOffset !== end.lastOffset) {
    throw new RangeMismatchError(
      `partition ${plan.partition}: the recorded range holds ${end.count} records up to ${end.lastOffset}, ` +
        `the source returned ${got.count} up to ${got.lastOffset ?? 'nothing'}`,
      { context: { partition: plan.partition, offset: end.lastOffset ?? null } },
    );
  }
  return { records: read.records, end, caughtUp, lagMs: read.lagMs };
}
