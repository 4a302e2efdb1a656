import type { Offset } from '../protocol/offsets.js';

/** Why a record could not be processed: where it failed and the error. */
export interface DeadLetter {
  readonly jobId: string;
  readonly partition: string;
  readonly offset: Offset;
  readonly batchId: number;
  /** The pipeline stage that failed: 'decode', 'map', 'filter', 'flatMap', 'keyBy', 'eventTime', 'aggregate', 'output', 'sink'. */
  readonly stage: string;
  readonly reason: string;
  /** The record's bytes, base64, cut to a few KB. */
  readonly payloadBase64: string;
  readonly recordedAt: number;
  /**
   * For stage 'sink': the key of the row the sink could not take. A row comes from many
   * records, so it is filed under the range's last offset plus this key.
   */
  readonly rowKey?: string;
}

/** A letter's identity within its job: a re-run batch writes the same letters under the same ids. */
export function deadLetterId(letter: DeadLetter): string {
  const id = `${letter.partition}#${letter.offset}`;
  return letter.rowKey === undefined ? id : `${id}#row#${letter.rowKey}`;
}

/**
 * Where bad records go instead of blocking their partition. Idempotent: a letter is
 * identified by its job and `deadLetterId`, so a re-run batch writes the same letters.
 */
export interface DeadLetterQueue {
  put(letters: readonly DeadLetter[]): Promise<void>;
  list(jobId: string): Promise<DeadLetter[]>;
}
