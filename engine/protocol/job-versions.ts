/**
 * Job versions, at step 1 (plan) and step 2 (execute) of the protocol (planning.ts): which
 * job version's code may plan and run a batch, and when a plan names a state migration
 * (the rules under "Job versions and replay generations" at the top of planning.ts).
 */
import { JobSpecError } from '../errors.js';
import type { BatchPlan, BatchRecord, InheritedState } from './batch-records.js';

/**
 * `finishedJobVersions` of the plan after `previous`: its own for partitions still
 * finished, plus the version of `previous`'s plan for the partitions it read to their end.
 */
export function finishedJobVersionsAfter(previous: BatchRecord | null, finished: Readonly<Record<string, number>>): Record<string, number> {
  const versions: Record<string, number> = {};
  for (const [partition, version] of Object.entries(previous?.plan.finishedJobVersions ?? {})) {
    if (finished[partition] !== undefined) versions[partition] = version;
  }
  const writer = previous?.plan.jobVersion;
  if (writer === undefined) return versions;
  for (const [partition, p] of Object.entries(previous?.commit?.partitions ?? {})) {
    if (p.end.closed && finished[partition] !== undefined) versions[partition] = writer;
  }
  return versions;
}

/**
 * A child's parents, each with the job version its final state was written in when that
 * is not the code's. Throws JobSpecError when the code declares no migration from it:
 * the child could not read its parents' state.
 */
export function inheritedStates(
  parents: readonly { readonly partition: string; readonly stateVersion: number }[],
  versions: Readonly<Record<string, number>>,
  args: { readonly jobId: string; readonly child: string; readonly codeVersion: number; readonly migratesFrom: readonly number[] },
): InheritedState[] {
  return parents.map((parent) => {
    const written = versions[parent.partition];
    if (written === undefined || written === args.codeVersion) return { partition: parent.partition, stateVersion: parent.stateVersion };
    if (!args.migratesFrom.includes(written)) {
      throw new JobSpecError(
        `job ${args.jobId}: shard ${args.child} starts from the final state of its parent ${parent.partition}, written by job version ${written}, ` +
          `and this code is version ${args.codeVersion}, which declares no state migration from version ${written}: ` +
          `declare migrations: [{ fromVersion: ${written}, state }], or deploy version ${written} until the child has started`,
        {
          context: {
            jobId: args.jobId,
            partition: args.child,
            parent: parent.partition,
            parentVersion: written,
            codeVersion: args.codeVersion,
          },
        },
      );
    }
    return { partition: parent.partition, stateVersion: parent.stateVersion, jobVersion: written };
  });
}

/**
 * The job version whose state a new plan after `checkpoint` (the latest committed batch)
 * builds on, when it is not the code's: the plan records it as `migrateFromVersion` and
 * the executor migrates the base state. undefined when no migration is needed (same
 * version, or a checkpoint written before versions were recorded). Throws JobSpecError,
 * saying what to do, when the versions differ and the job declares no migration.
 */
export function stateMigrationFor(args: {
  readonly jobId: string;
  readonly checkpoint: BatchPlan;
  readonly codeVersion: number;
  readonly migratesFrom: readonly number[];
}): number | undefined {
  const { jobId, checkpoint, codeVersion } = args;
  const written = checkpoint.jobVersion;
  if (written === undefined || written === codeVersion) return undefined;
  if (args.migratesFrom.includes(written)) return written;
  throw new JobSpecError(
    `job ${jobId}: its checkpoint (the state after batch ${checkpoint.batchId}) was written by job version ${written}, ` +
      `and this code is version ${codeVersion}, which declares no state migration from version ${written}. ` +
      `Either deploy version ${written} again; or, if version ${codeVersion} can convert that state, declare ` +
      `migrations: [{ fromVersion: ${written}, state: (key, value) => ({ key, value }) }] in it; ` +
      `or start a new job instance (another job id), which begins with empty state.`,
    { context: { jobId, batchId: checkpoint.batchId, checkpointVersion: written, codeVersion } },
  );
}

/**
 * A planned batch runs with the code of the version that planned it: the driver resuming
 * it and every executor check this. Throws JobSpecError, saying what to do, otherwise.
 */
export function checkPlannedVersion(args: {
  readonly jobId: string;
  readonly plan: BatchPlan;
  readonly codeVersion: number;
  readonly migratesFrom?: readonly number[];
  /** The code's state-shape fingerprint (JobDefinition.stateShape): under the planned version, it must be the plan's. */
  readonly stateShape?: string;
}): void {
  const { jobId, plan, codeVersion } = args;
  const planned = plan.jobVersion;
  if (planned === codeVersion && shapeChanged(plan, args.stateShape)) {
    throw new JobSpecError(
      `job ${jobId}: its state shape changed at version ${codeVersion}: batch ${plan.batchId} was planned with state shape ` +
        `${plan.stateShape} and is not committed, and this code, also version ${codeVersion}, has state shape ${args.stateShape}. ` +
        `A planned batch is finished by the code that planned it: deploy that code again until batch ${plan.batchId} commits; ` +
        `then ${bumpAdvice(codeVersion)}`,
      {
        context: {
          jobId,
          batchId: plan.batchId,
          jobVersion: codeVersion,
          plannedShape: plan.stateShape ?? null,
          codeShape: args.stateShape ?? null,
        },
      },
    );
  }
  if (planned === undefined || planned === codeVersion) return;
  const then = (args.migratesFrom ?? []).includes(planned)
    ? `then deploy version ${codeVersion} again`
    : `then deploy version ${codeVersion} with a state migration from version ${planned}`;
  throw new JobSpecError(
    `job ${jobId}: batch ${plan.batchId} was planned by job version ${planned} and is not committed; this code is ` +
      `version ${codeVersion}. A planned batch is finished by the version that planned it: deploy version ${planned} ` +
      `again until batch ${plan.batchId} commits, ${then}; or start a new job instance from the last committed ` +
      `batch: npm run replay -- --job ${jobId} --from-batch ${plan.batchId - 1} --into <new job id>.`,
    { context: { jobId, batchId: plan.batchId, plannedVersion: planned, codeVersion } },
  );
}

/**
 * Under one job version the state shape never changes (engine/job/state-shape.ts): code of
 * the version that wrote `checkpoint` (the plan of the batch a new plan, a resume or a
 * start builds on) must have the state shape recorded there, or it would misread that
 * state and dead-letter its records one by one while the job stays RUNNING. Throws
 * JobSpecError, saying to bump the version and declare a migration, when it does not.
 * A checkpoint of another version is the migrations' concern (stateMigrationFor); one
 * written before fingerprints were recorded (no `stateShape`) is accepted, and the next
 * plan records the code's.
 */
export function checkStateShape(args: {
  readonly jobId: string;
  readonly checkpoint: BatchPlan;
  readonly codeVersion: number;
  /** The code's fingerprint (JobDefinition.stateShape); undefined: nothing to compare. */
  readonly stateShape: string | undefined;
  /** The code's pipeline, for the message ("decode(json) > keyBy > aggregate(views: count)"). */
  readonly description?: string;
}): void {
  const { jobId, checkpoint, codeVersion, stateShape } = args;
  if (checkpoint.jobVersion !== codeVersion || !shapeChanged(checkpoint, stateShape)) return;
  const pipeline = args.description === undefined ? '' : ` (${args.description})`;
  throw new JobSpecError(
    `job ${jobId}: its state shape changed at version ${codeVersion}: its checkpoint (the state after batch ${checkpoint.batchId}) ` +
      `was written with state shape ${checkpoint.stateShape}, and this code, also version ${codeVersion}, has state shape ` +
      `${stateShape}${pipeline}; it would misread that state and dead-letter its records. ${capitalised(bumpAdvice(codeVersion))}; ` +
      `or deploy the code that wrote it again; or start a new job instance (another job id), which begins with empty state.`,
    {
      context: {
        jobId,
        batchId: checkpoint.batchId,
        jobVersion: codeVersion,
        checkpointShape: checkpoint.stateShape ?? null,
        codeShape: stateShape ?? null,
      },
    },
  );
}

function shapeChanged(plan: BatchPlan, stateShape: string | undefined): boolean {
  return plan.stateShape !== undefined && stateShape !== undefined && plan.stateShape !== stateShape;
}

function bumpAdvice(version: number): string {
  return (
    `bump the job's version to ${version + 1} and declare migrations: [{ fromVersion: ${version}, state: (key, value) => ({ key, value }) }], ` +
    `converting each state entry to the new shape (docs/replay.md, "Job versions")`
  );
}

function capitalised(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
