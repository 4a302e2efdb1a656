/**
 * What every executor does with a batch's output before writing it: rows no sink would
 * accept become dead letters, and failures become dead letters with their payload.
 */
import type { RecordFailure, ValueFailure } from '../job/types.js';
import type { DeadLetter } from '../ports/dead-letter-queue.js';
import { reservedFieldOf, type Sink, type SinkRow, type SinkWriteResult } from '../ports/sink.js';

/** Bytes of a bad record kept in its dead letter. */
export const DEAD_LETTER_PAYLOAD_BYTES = 4096;

/**
 * A row larger than this (as JSON) is not written: DynamoDB refuses items over 400 KB, so
 * the write would fail on every retry and block the partition. It becomes a dead letter
 * (stage 'sink') instead. JSON is larger than DynamoDB's own size measure, so this errs
 * on the safe side.
 */
export const MAX_SINK_ROW_BYTES = 400 * 1024;

/**
 * Rows no sink would ever accept (too large, or using a reserved field), or that the
 * job's sink refuses (its rowProblem: e.g. a file sink's partition path that is no safe
 * path segment): retrying cannot help.
 */
export function splitUnwritableRows(
  all: readonly SinkRow[],
  sink?: Pick<Sink, 'rowProblem'>,
): {
  rows: SinkRow[];
  unwritable: { key: string; json: string; reason: string }[];
} {
  const rows: SinkRow[] = [];
  const unwritable: { key: string; json: string; reason: string }[] = [];
  for (const row of all) {
    const json = JSON.stringify(row.value);
    const bytes = Buffer.byteLength(json) + Buffer.byteLength(row.key);
    const reserved = reservedFieldOf(row);
    if (bytes > MAX_SINK_ROW_BYTES) {
      unwritable.push({ key: row.key, json, reason: `${bytes} bytes as JSON, above the ${MAX_SINK_ROW_BYTES}-byte limit of a sink item` });
    } else if (reserved !== undefined) {
      unwritable.push({ key: row.key, json, reason: `uses the reserved field name ${reserved}` });
    } else if (sink?.rowProblem?.(row) !== undefined) {
      unwritable.push({ key: row.key, json, reason: sink.rowProblem(row)! });
    } else {
      rows.push(row);
    }
  }
  return { rows, unwritable };
}

export function deadLetterOf(jobId: string, batchId: number, failure: RecordFailure, now: number): DeadLetter {
  const { record } = failure;
  return {
    jobId,
    partition: record.partition,
    offset: record.offset,
    batchId,
    stage: failure.stage,
    reason: failure.reason.slice(0, 1000),
    payloadBase64: Buffer.from(record.data.subarray(0, DEAD_LETTER_PAYLOAD_BYTES)).toString('base64'),
    recordedAt: now,
  };
}

/** A value stage 2 could not apply, as the dead letter of its record (payload: the exchange row). */
export function valueDeadLetterOf(jobId: string, batchId: number, failure: ValueFailure, now: number): DeadLetter {
  return {
    jobId,
    partition: failure.partition,
    offset: failure.offset,
    batchId,
    stage: failure.stage,
    reason: failure.reason.slice(0, 1000),
    payloadBase64: Buffer.from(JSON.stringify(failure.value).slice(0, DEAD_LETTER_PAYLOAD_BYTES)).toString('base64'),
    recordedAt: now,
  };
}

/** Dead letters of unwritable rows: a row has no single source record, so it is filed under `partition` and `offset`. */
export function unwritableRowLetters(
  rows: readonly { key: string; json: string; reason: string }[],
  where: { jobId: string; batchId: number; partition: string; offset: string; now: number },
): DeadLetter[] {
  return rows.map((row) => ({
    jobId: where.jobId,
    partition: where.partition,
    offset: where.offset,
    batchId: where.batchId,
    stage: 'sink',
    reason: `row ${row.key.slice(0, 200)}: ${row.reason}`,
    payloadBase64: Buffer.from(row.json.slice(0, DEAD_LETTER_PAYLOAD_BYTES)).toString('base64'),
    recordedAt: where.now,
    rowKey: row.key,
  }));
}

/**
 * Dead letters of the rows a sink refused for good (its write's `rejected`: a row too
 * large for a Kinesis record, rows a user sink refused with SinkRejectedError), filed as
 * unwritable rows are. Written after the sink write, before the commit; a re-run batch
 * writes the same letters under the same ids.
 */
export function rejectedRowLetters(
  rows: readonly SinkRow[],
  result: SinkWriteResult | undefined,
  where: { jobId: string; batchId: number; partition: string; offset: string; now: number },
): DeadLetter[] {
  if (result?.rejected === undefined || result.rejected.length === 0) return [];
  const valueByKey = new Map(rows.map((row) => [row.key, row.value]));
  return unwritableRowLetters(
    result.rejected.map((r) => ({ key: r.key, json: JSON.stringify(valueByKey.get(r.key) ?? null), reason: r.reason })),
    where,
  );
}
