import { describeError, isRefusal, JobSpecError } from '../../engine/errors.js';

/** What a replay's failure prints: a refusal's own message, or the error's name and message. */
export function replayErrorMessage(error: unknown): string {
  return isRefusal(error) || error instanceof JobSpecError ? error.message : describeError(error);
}
