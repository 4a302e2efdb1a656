/**
 * A start or resume is refused (400) when the job's code would build on state of another
 * shape under the same job version (engine/protocol/job-versions.ts checkStateShape): its
 * driver would fail at its first plan, so the request says it at once, with what to do.
 * The driver's planning keeps the same check as the backstop (a deploy after the start).
 */
import { JobSpecError } from '../errors.js';
import type { JobDefinition } from '../job/types.js';
import type { BatchPlan } from '../protocol/batch-records.js';
import { checkStateShape } from '../protocol/job-versions.js';
import { BadRequestError } from './errors.js';

/**
 * Throws a BadRequestError naming `field`, with the JobSpecError's text, when `job` has
 * another state shape than `checkpoint` (the plan of the batch the instance builds on:
 * its latest, or the checkpoint it starts from) under the same version. No checkpoint,
 * another version (the migrations' concern) or a plan without a fingerprint: nothing to refuse.
 */
export function refuseChangedStateShape(
  field: string,
  args: { readonly jobId: string; readonly checkpoint: BatchPlan | null; readonly job: JobDefinition },
): void {
  const { checkpoint, job } = args;
  if (checkpoint === null) return;
  try {
    checkStateShape({
      jobId: args.jobId,
      checkpoint,
      codeVersion: job.version,
      stateShape: job.stateShape,
      description: job.pipeline.description,
    });
  } catch (error) {
    if (error instanceof JobSpecError) throw BadRequestError.of([{ field, message: `cannot run from its checkpoint: ${error.message}` }]);
    throw error;
  }
}
