/**
 * The late-records side output (JobSpec.lateRecords): each late record of a partition's
 * batch (engine/job/lateness.ts) as a row of the job's late-records sink. Stage 1 (or the
 * one-stage executor) writes them with the batch's id and generation, so a retry, a
 * zombie or a replay rewrites the same rows: the key is the record's place in the source
 * and the value depends only on the record and the plan's watermark.
 *
 *   key    `${partition}:${offset}`
 *   value  { partition, offset, partitionKey, data, arrivalTimeMs, eventTimeMs, watermarkMs }
 *          data is the payload as UTF-8 text, or base64 with encoding: 'base64' when the
 *          bytes are not valid UTF-8; eventTimeMs is the first late value's event time.
 *
 * A row no sink would accept (a payload near DynamoDB's 400 KB item limit) becomes a dead
 * letter of stage 'late' instead, so it never blocks the partition.
 */
import type { LateRecord, LateRecordsOutput } from '../job/types.js';
import type { DeadLetter } from '../ports/dead-letter-queue.js';
import type { EnginePorts } from '../ports/index.js';
import type { Sink, SinkRow } from '../ports/sink.js';
import { rejectedRowLetters, splitUnwritableRows, unwritableRowLetters } from './batch-outputs.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });

export function lateRowOf(late: LateRecord, watermarkMs: number | null): SinkRow {
  const { record, eventTimeMs } = late;
  let data: { data: string; encoding?: 'base64' };
  try {
    data = { data: utf8.decode(record.data) };
  } catch {
    data = { data: Buffer.from(record.data).toString('base64'), encoding: 'base64' };
  }
  return {
    key: `${record.partition}:${record.offset}`,
    value: {
      partition: record.partition,
      offset: record.offset,
      partitionKey: record.key,
      ...data,
      arrivalTimeMs: record.arrivalTimeMs,
      eventTimeMs,
      watermarkMs,
    },
  };
}

/**
 * A partition's late records as rows of the late-records sink, and the dead letters of
 * those no sink would accept (filed under their own offsets, stage 'late').
 */
export function lateOutputOf(
  late: readonly LateRecord[],
  where: {
    readonly jobId: string;
    readonly batchId: number;
    readonly watermarkMs: number | null;
    readonly now: number;
    /** The late-records sink, for its own row checks (Sink.rowProblem). */
    readonly sink?: Pick<Sink, 'rowProblem'>;
  },
): { rows: SinkRow[]; letters: DeadLetter[] } {
  const { rows, unwritable } = splitUnwritableRows(
    late.map((l) => lateRowOf(l, where.watermarkMs)),
    where.sink,
  );
  const letters = unwritable.flatMap((row) => {
    const [partition = '', offset = '0'] = [row.key.slice(0, row.key.lastIndexOf(':')), row.key.slice(row.key.lastIndexOf(':') + 1)];
    return unwritableRowLetters([row], { jobId: where.jobId, batchId: where.batchId, partition, offset, now: where.now }).map((letter) => ({
      ...letter,
      stage: 'late',
    }));
  });
  return { rows, letters };
}

/** Writes late rows to the job's late-records sink (with the batch's id and generation: idempotent), when there are any. */
export async function writeLateRows(
  ports: EnginePorts,
  output: LateRecordsOutput | undefined,
  rows: readonly SinkRow[],
  write: { readonly jobId: string; readonly batchId: number; readonly generation: number; readonly partition: string },
): Promise<void> {
  if (output === undefined || rows.length === 0) return;
  const result = await ports.sinks(output.sink).write({ ...write, rows });
  // Rows the late-records sink refused for good (a Kinesis or user sink's `rejected`) become dead letters, filed under the batch.
  const refused = rejectedRowLetters(rows, result, { ...write, offset: String(write.batchId), now: ports.clock.now() });
  if (refused.length > 0) await ports.deadLetters.put(refused);
}
