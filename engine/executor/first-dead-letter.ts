import type { DeadLetter } from '../ports/dead-letter-queue.js';

/** The longest first-dead-letter summary an executor returns: results cross Step Functions state, kept small. */
export const FIRST_DEAD_LETTER_MAX_LENGTH = 200;

/**
 * A one-line summary of the first of an executor's dead letters (`partition@offset stage:
 * reason`, cut to FIRST_DEAD_LETTER_MAX_LENGTH), returned with its result so that the
 * driver can name one in the reason it fails a job with (engine/driver/dead-letter-limit.ts)
 * without reading the dead-letter table. Absent when it wrote none.
 */
export function firstDeadLetterOf(letters: readonly DeadLetter[]): { readonly firstDeadLetter?: string } {
  const first = letters[0];
  if (first === undefined) return {};
  const line = `${first.partition}@${first.offset} ${first.stage}: ${first.reason}`.replace(/\s+/g, ' ');
  return {
    firstDeadLetter: line.length <= FIRST_DEAD_LETTER_MAX_LENGTH ? line : `${line.slice(0, FIRST_DEAD_LETTER_MAX_LENGTH - 1)}…`,
  };
}
