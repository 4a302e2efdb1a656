/**
 * The sinks a replay writes, as a claim (engine/driver/sink-ownership.ts): the target job
 * (the job itself in place, the new job with --into) must own every exclusive sink of the
 * job definition, or take it over with --force from a stopped or failed owner. Step 1
 * (replay-scope.ts) checks, writing nothing, so a dry run shows the refusal; step 2
 * (replay-job.ts) claims, before anything else is written. A replay that is run again
 * finds its claims made: they are its own.
 *
 * The usual refusal: `--into` without a parameter that names another sink, so the new
 * job would write the source job's own sink (which the source owns).
 */
import type { SinkClaimRequest } from '../driver/sink-ownership.js';
import { sinkTargetsOf } from '../job/sink-targets.js';
import type { JobDefinition } from '../job/types.js';
import type { ReplayRequest } from './replay-types.js';

export function replaySinkClaim(request: ReplayRequest, targetJobId: string, job: JobDefinition): SinkClaimRequest {
  return {
    jobId: targetJobId,
    targets: sinkTargetsOf(job),
    force: request.force === true,
    forceHint: 'replay --force',
    otherSinkHint:
      request.intoJobId === undefined
        ? 'replay into a new job with --into and a --param that names another sink'
        : 'a --param that names another sink, e.g. --param sinkTable=<table> for a job that takes one',
  };
}
