import type { Offset } from '../protocol/offsets.js';

/** Why a record could not be processed: where it failed and the error. */
export interface DeadLetter {
  readonly jobId: string;
  readonly partition: string;
  readonly offset: Offset;
  readonly batchId: number;
  /** The pipeline stage that failed: 'decode', 'map', 'filter', 'flatMap', 'keyBy', 'eventTime', 'aggregate', 'sink'. */
  readonly stage: string;
  readonly reason: string;
  /** The record's bytes, base64, cut to a few KB. */
  readonly payloadBase64: string;
  readonly recordedAt: number;
}

/**
 * Where bad records go instead of blocking their partition. Idempotent: a letter is
 * identified by (jobId, partition, offset), so a re-run batch writes the same letters.
 */
export interface DeadLetterQueue {
  put(letters: readonly DeadLetter[]): Promise<void>;
  list(jobId: string): Promise<DeadLetter[]>;
}
