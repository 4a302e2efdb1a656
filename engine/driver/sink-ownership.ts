/**
 * Sink ownership: which job instance may write each sink target (engine/job/sink-targets.ts),
 * as the job registry records it (JobRegistry.getSinkOwner, claimSink). A start or resume
 * (engine/api/jobs.ts) and a replay (engine/replay/) claim every exclusive target of the
 * job before anything runs:
 *
 *   free                       the instance claims it
 *   owned by the instance      nothing to do (a retried start, a resume, a replay in place)
 *   owned by another           refused with a ConflictError naming the owner, its state and
 *                              the target, and saying how to go on: point the job at
 *                              another sink, or force
 *   forced                     the target passes to the instance, and the caller reports
 *                              the takeover; refused while the owner is RUNNING or STOPPING,
 *                              whose driver would go on writing beside the new owner
 *
 * Why: two instances writing one DynamoDB table collide silently. Each tags its rows
 * with its own WAL's (generation, batch), and a put is conditional on the stored row's
 * pair not being newer, so the younger instance's rows (batch 1, 2, ...) are refused as
 * older wherever the other's batch is higher: counted as skipped, never as errors, while
 * its batches commit and report their rows.
 *
 * A STOPPED or FAILED owner still owns its targets: its rows are in them, and it may be
 * resumed. An instance recorded before ownership existed owns nothing until its next
 * start, resume or replay claims; the first claim wins. Shared targets (Kinesis, Kafka)
 * are never claimed. Every step is safe to repeat: a claim that races another is read
 * again and decided again.
 */
import { ConflictError } from '../errors.js';
import type { SinkTarget } from '../job/sink-targets.js';
import type { Clock } from '../ports/clock.js';
import { JobState, type JobInstance, type JobRegistry, type SinkOwner } from '../ports/job-registry.js';

export interface SinkClaimContext {
  readonly registry: JobRegistry;
  readonly clock: Clock;
}

export interface SinkClaimRequest {
  readonly jobId: string;
  readonly targets: readonly SinkTarget[];
  /** Take targets over from a stopped or failed owner. */
  readonly force: boolean;
  /** How the caller forces, for messages: `"force": true`, `--force`. */
  readonly forceHint: string;
  /** How the caller points the job at another sink, for messages. */
  readonly otherSinkHint: string;
}

/** A target a forced claim took from another instance. */
export interface SinkTakeover {
  readonly target: string;
  readonly description: string;
  readonly fromJobId: string;
}

/** Claims of targets raced by others, decided again at most this often before giving up. */
const MAX_CLAIM_ATTEMPTS = 8;

/**
 * Claims every exclusive target for the instance (see the top of this file). Checks all of
 * them before claiming any, so a refusal claims nothing (unless another claim races it).
 * Returns the targets taken over by force.
 */
export async function claimSinks(request: SinkClaimRequest, ctx: SinkClaimContext): Promise<SinkTakeover[]> {
  await checkSinkClaims(request, ctx);
  const takeovers: SinkTakeover[] = [];
  for (const target of exclusive(request.targets)) {
    const takenFrom = await claimOne(request, target, ctx);
    if (takenFrom !== null) takeovers.push({ target: target.id, description: target.description, fromJobId: takenFrom });
  }
  return takeovers;
}

/** The refusals claimSinks would raise, without writing anything (a replay's dry run). */
export async function checkSinkClaims(request: SinkClaimRequest, ctx: Pick<SinkClaimContext, 'registry'>): Promise<void> {
  for (const target of exclusive(request.targets)) {
    const owner = await ctx.registry.getSinkOwner(target.id);
    if (owner !== null && owner.jobId !== request.jobId) refuseUnlessForced(request, target, owner, await ctx.registry.get(owner.jobId));
  }
}

/** Claims one target; the instance it was taken from, or null when it was free or the instance's own. */
async function claimOne(request: SinkClaimRequest, target: SinkTarget, ctx: SinkClaimContext): Promise<string | null> {
  for (let attempt = 1; attempt <= MAX_CLAIM_ATTEMPTS; attempt += 1) {
    const owner = await ctx.registry.getSinkOwner(target.id);
    if (owner?.jobId === request.jobId) return null;
    if (owner !== null) refuseUnlessForced(request, target, owner, await ctx.registry.get(owner.jobId));
    const next: SinkOwner = { target: target.id, jobId: request.jobId, since: ctx.clock.now(), takenFrom: owner?.jobId ?? null };
    if (await ctx.registry.claimSink(next, owner?.jobId ?? null)) return owner?.jobId ?? null;
  }
  throw new ConflictError(
    `${target.description}: its owner changed ${MAX_CLAIM_ATTEMPTS} times while job ${request.jobId} claimed it; try again`,
    { context: { jobId: request.jobId, target: target.id } },
  );
}

function refuseUnlessForced(request: SinkClaimRequest, target: SinkTarget, owner: SinkOwner, instance: JobInstance | null): void {
  const { jobId } = request;
  const context = { jobId, target: target.id, owner: owner.jobId };
  const running = instance !== null && (instance.state === JobState.RUNNING || instance.state === JobState.STOPPING);
  if (request.force && !running) return;
  if (request.force) {
    throw new ConflictError(
      `${target.description} is owned by job ${owner.jobId}, which is ${instance!.state}: ${request.forceHint} takes a sink over ` +
        `only from a stopped or failed instance, or its driver would go on writing beside job ${jobId}. Stop job ${owner.jobId} ` +
        `first, or point job ${jobId} at another sink (${request.otherSinkHint})`,
      { context },
    );
  }
  throw new ConflictError(
    `${target.description} is owned by job ${owner.jobId} (${ownerState(instance)}): its rows are there, and job ${jobId}'s ` +
      `would mix with them or be refused as older than its batches. Point job ${jobId} ` +
      `at another sink (${request.otherSinkHint}), or take the sink over with ${request.forceHint} once job ${owner.jobId} is ` +
      `stopped (its rows stay, and it can no longer run into this sink)`,
    { context },
  );
}

function ownerState(instance: JobInstance | null): string {
  if (instance === null) return 'no instance is recorded under that id: a replay into it, or a start that did not finish';
  return instance.reason === null ? instance.state : `${instance.state}: ${instance.reason}`;
}

function exclusive(targets: readonly SinkTarget[]): SinkTarget[] {
  return targets.filter((t) => !t.shared);
}
