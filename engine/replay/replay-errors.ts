/**
 * The errors of a replay (replay-job.ts) that more than one step builds: a batch it needs
 * is missing, or the source no longer holds the records a batch's first run read.
 */
import { NotFoundError, RangeMismatchError } from '../errors.js';
import type { RangeEnd } from '../protocol/offsets.js';

export function missing(jobId: string, batchId: number, why: string): NotFoundError {
  return new NotFoundError(`job ${jobId}: batch ${batchId} is ${why}`, { context: { jobId, batchId } });
}

export function rangeMismatch(jobId: string, batchId: number, partition: string, expected: RangeEnd, got: RangeEnd): RangeMismatchError {
  return new RangeMismatchError(
    `job ${jobId}, batch ${batchId}, partition ${partition}: the replay read ${got.count} records up to ` +
      `${got.lastOffset ?? 'nothing'}, its first run ${expected.count} up to ${expected.lastOffset ?? 'nothing'}: ` +
      `the source no longer holds the same records`,
    { context: { jobId, batchId, partition } },
  );
}
