/**
 * Step 1 of a replay (replay-scope.ts), for the layout of its state: whether the replayed
 * batches keep the checkpoint's layout or the replay regroups it (--regroup, regroup.ts).
 * The layout of a checkpoint's state (its number of key groups, or state per partition)
 * never changes in place; a replay is the one way to change it, and only when it says so.
 *
 *   without --regroup  the replayed batches keep the layout of the state after batch N;
 *                      code that declares another is refused (JobSpecError, naming both
 *                      and --regroup), before anything is written, as the planner refuses
 *                      a driver. From batch 0 (the empty state) there is none to keep: the
 *                      replay takes the code's.
 *   with --regroup     the state after N is re-sliced into the key groups the code
 *                      declares. Refused, before anything is written:
 *                      - from batch 0: there is no state to regroup;
 *                      - code that declares no key groups (state per partition, or none):
 *                        a regroup moves state into key groups, never out of them;
 *                      - a checkpoint already in the code's layout: nothing to regroup;
 *                      - in place, a checkpoint already in key groups: the new groups'
 *                        state would be written as version N of scopes whose versions up
 *                        to N the kept batches still name (state versions are numbered by
 *                        batch): regroup it into a new job (--into), whose state is its own;
 *                      - in place, with no batch after N to replay: the first replayed plan
 *                        is where the regrouped layout is recorded in place.
 *   continuing         an unfinished replay is continued with the flag it began with
 *                      (replay-scope.ts) and by code declaring the key groups it began
 *                      regrouping into; past batch N+1 its layout is the replayed batches'
 *                      (replayPlanOf checks every plan against the code).
 */
import { InvalidArgumentError, JobSpecError } from '../errors.js';
import type { JobDefinition } from '../job/types.js';
import type { ReplayRecord, ReplayRegroup } from '../ports/write-ahead-log.js';
import type { BatchRecord } from '../protocol/batch-records.js';
import { checkStateLayoutUnchanged, describeStateLayout } from '../protocol/key-groups.js';

export interface ReplayLayout {
  /** The replayed batches' number of key groups; undefined: state per partition (or none). */
  readonly keyGroups: number | undefined;
  readonly regroup: ReplayRegroup | null;
}

/** The layout of a replay's state (see the rules above). Reads nothing; throws the refusals. */
export function replayLayout(args: {
  readonly sourceJobId: string;
  readonly mode: 'in-place' | 'into';
  readonly fromBatchId: number;
  readonly regroup: boolean;
  /** Batch N, when this run builds on it (null from batch 0, or when the replay got past N+1). */
  readonly base: BatchRecord | null;
  /** Batches N+1..M to replay. */
  readonly batches: number;
  readonly unfinished: ReplayRecord | null;
  readonly job: JobDefinition;
}): ReplayLayout {
  const { sourceJobId: jobId, fromBatchId: from, base, job, unfinished } = args;
  const declared = job.keyGroups;
  const refuse = (why: string) =>
    new InvalidArgumentError(`--regroup: ${why}`, { context: { jobId, batchId: from, keyGroups: declared ?? null } });
  if (!args.regroup) {
    if (from > 0 && base !== null) checkStateLayoutUnchanged({ jobId, checkpointed: base.plan.keyGroups, declared });
    return { keyGroups: from === 0 ? declared : (base?.plan.keyGroups ?? declared), regroup: null };
  }
  if (from === 0) throw refuse('a replay from batch 0 starts from the empty state: there is no state to regroup; leave --regroup out');
  if (declared === undefined) {
    throw new JobSpecError(
      `--regroup re-slices job ${jobId}'s state into the key groups the job declares, and job ${job.name} version ${job.version} ` +
        "declares none (it keeps no keyed state, or declares keyedBy: 'partitionKey'): declare keyGroups in the job, or leave --regroup out",
      { context: { jobId, job: job.name, version: job.version } },
    );
  }
  if (unfinished?.regroup !== undefined && unfinished.regroup.keyGroups !== declared) {
    throw new JobSpecError(
      `job ${unfinished.jobId}: the unfinished replay (generation ${unfinished.generation}) regroups the state into ` +
        `${unfinished.regroup.keyGroups} key groups, and job ${job.name} version ${job.version} declares ${declared}: ` +
        `finish it with code that declares ${unfinished.regroup.keyGroups}`,
      { context: { jobId: unfinished.jobId, generation: unfinished.generation } },
    );
  }
  if (base === null) {
    // Past batch N+1 (or a new job already seeded): the regroup is done, as recorded.
    return { keyGroups: declared, regroup: unfinished?.regroup ?? { fromKeyGroups: null, keyGroups: declared } };
  }
  const checkpointed = base.plan.keyGroups;
  if (checkpointed === declared) {
    throw refuse(
      `job ${jobId}'s checkpoint (the state after batch ${from}) ${describeStateLayout(checkpointed)} already, as the code ` +
        'declares: there is nothing to regroup; leave --regroup out',
    );
  }
  if (args.mode === 'in-place' && checkpointed !== undefined) {
    throw refuse(
      `job ${jobId}'s checkpoint ${describeStateLayout(checkpointed)}: in place, the ${declared} new groups would be written as ` +
        `state version ${from} of key group scopes whose versions up to ${from} the batches kept still name. Regroup it into a ` +
        'new job instead (--into <new job id>), which starts with its own state',
    );
  }
  if (args.mode === 'in-place' && args.batches === 0) {
    throw refuse(
      `batch ${from} is job ${jobId}'s latest committed batch: in place, the regrouped layout is recorded by the first replayed ` +
        `batch, and there is none. Replay from an earlier batch (--from-batch ${from - 1}), or regroup into a new job (--into <new job id>)`,
    );
  }
  return { keyGroups: declared, regroup: { fromKeyGroups: checkpointed ?? null, keyGroups: declared } };
}
