/**
 * Parking: an idle job costs nothing but a scheduled check. Past the idle backoff
 * (DriverSettings.parkAfterIdleMs of empty batches, next-step.ts shouldPark), the driver
 * ends its Express loop and its Standard generation, and the supervisor's reconcile tick
 * (every 5 minutes) looks at the source: when it holds records after the last committed
 * batch, or a key group's processing-time timer is due, it starts the next generation.
 *
 * States of a RUNNING job (the job registry, engine/ports/job-registry.ts):
 *
 *   driving ──Finish decides park──► (child hands back 'park') ──EndParked: markParked──► parked
 *   parked  ──tick finds work: start <jobId>-<g+1>──► StartGeneration: beginGeneration clears parked ──► driving
 *   parked  ──requestStop──► STOPPED at once (nothing is in flight)
 *   parked  ──tick finds nothing──► parked (no write)
 *
 * What a crash leaves, and who repairs it:
 *   1. After Finish decided park, before markParked: the parent is retried by Step
 *      Functions (a Standard execution runs each state exactly once in effect), or dies:
 *      the job is RUNNING, not parked, with no live execution, and the supervisor
 *      restarts it as any dead driver (onExecutionEnded, or the next reconcile tick).
 *   2. After markParked, before the execution ends: it ends SUCCEEDED by itself; nothing
 *      depends on the moment. The job is parked with the last batch committed.
 *   3. A stop request between Finish and markParked: markParked refuses (the job is
 *      STOPPING) and the generation records STOPPED instead (tasks.ts parkGeneration).
 *   4. The tick found work and crashed before StartExecution: the job is still parked; the
 *      next tick checks again and starts it.
 *   5. After StartExecution, before the new generation's StartGeneration: the execution
 *      runs and clears `parked`. A second tick (or a racing one) starts the same name
 *      `<jobId>-<g+1>`: Step Functions runs it once. While it runs the tick finds a live
 *      execution and leaves the job alone (superviseJob checks g and g+1 first).
 *   6. The woken execution dies before StartGeneration: the job is still parked, with
 *      `<jobId>-<g+1>` ended; the next tick finds work and starts `<jobId>-<g+2>` (the
 *      name after the last one that exists), as a restart would.
 *   7. A stop and a wake race: both are conditional writes on the record's revision.
 *      If the stop wins, the woken generation's StartGeneration finds STOPPED and ends; if
 *      beginGeneration wins, the job is driving again and the stop is a normal STOPPING.
 *   8. An Express twin of the parked generation's child still running (at-least-once
 *      delivery): it holds the parked generation's epoch, so it runs batches exactly as
 *      the child did (idempotent, and it parks again); the woken generation's new epoch
 *      fences it at its next plan or commit.
 *
 * Nothing here changes what a batch reads or writes: the WAL's last batch is committed
 * when a job parks, and the woken generation plans the next one from it, as after any
 * restart. The check reads the source and the WAL only; it writes nothing.
 */
import { driverExecutionName, type DriverExecutions } from '../ports/driver-executions.js';
import type { EnginePorts, Logger } from '../ports/index.js';
import type { JobInstance, ParkedRecord } from '../ports/job-registry.js';
import type { WriteAheadLog } from '../ports/write-ahead-log.js';
import { BatchStatus } from '../protocol/batch-records.js';
import { reasonToPlan } from '../protocol/empty-trigger.js';
import { resolveNextBatch } from '../protocol/planning.js';
import { resolveJob, type JobCatalog } from './catalog.js';
import { planningSettingsOf } from './plan-batch.js';
import { partitionWithRecords } from './source-probe.js';

/** What the check needs beyond the supervisor's context: the ports that read sources and the WAL, and the catalog. */
export interface WorkCheckContext {
  readonly ports: Pick<EnginePorts, 'sources' | 'clock'> & { readonly wal: Pick<WriteAheadLog, 'getLatestBatch'> };
  readonly catalog: JobCatalog;
}

/**
 * Why a parked job should run now, or null when it has nothing to do: the same check a
 * trigger makes before it plans (engine/protocol/empty-trigger.ts reasonToPlan: a batch in
 * flight, a key group's timer due, a no-data batch due, the partitions changed), then
 * records after the committed batch in some partition (partitionWithRecords; a partition
 * the last plan did not have counts: it is read from its start).
 */
export async function findWork(job: JobInstance, ctx: WorkCheckContext): Promise<string | null> {
  const { ports } = ctx;
  const latest = await ports.wal.getLatestBatch(job.jobId);
  if (latest === null) return 'no batch was committed yet';
  const now = ports.clock.now();
  const definition = resolveJob(ctx.catalog, job.jobName, job.parameters);
  const source = ports.sources(definition.source.spec);
  const listed = latest.status === BatchStatus.COMMITTED ? await source.listPartitions() : [];
  const facts = {
    latest,
    allowedLatenessMs: definition.pipeline.allowedLatenessMs,
    firesByProcessingTime: definition.pipeline.firesByProcessingTime === true,
  };
  if (latest.status !== BatchStatus.COMMITTED) return reasonToPlan({ ...facts, nextPartitions: [], nowMs: now, stopRequested: false });
  const next = resolveNextBatch({
    jobId: job.jobId,
    epoch: job.epoch ?? 0,
    latest,
    partitions: listed,
    settings: planningSettingsOf(definition),
    nowMs: now,
  });
  const partitions = next.plan.partitions;
  const reason = reasonToPlan({ ...facts, nextPartitions: partitions.map((p) => p.partition), nowMs: now, stopRequested: false });
  return reason ?? (await partitionWithRecords(source, partitions));
}

export interface WakeOutcome {
  readonly action: 'none' | 'woken';
  readonly detail: string;
}

/**
 * The reconcile tick for a parked job: wake it when it has work. The generation started is
 * the one after the newest that exists (normally parked.generation + 1; see rule 6).
 */
export async function wakeIfWork(
  job: JobInstance & { parked: ParkedRecord },
  ctx: { readonly executions: DriverExecutions; readonly logger: Logger } & WorkCheckContext,
): Promise<WakeOutcome> {
  // A check that cannot read the source (a Kafka cluster out of the supervisor's reach, a
  // stream gone) wakes the job: its driver reads the source itself and reports what fails.
  const why = await findWork(job, ctx).catch((error: unknown) => `the source check failed (${String(error)})`);
  if (why === null) return { action: 'none', detail: `parked since generation ${job.parked.generation}: no new data` };
  let generation = job.generation + 1;
  for (;;) {
    const status = await ctx.executions.status(driverExecutionName(job.jobId, generation));
    if (status === null) break;
    if (status === 'RUNNING') return { action: 'none', detail: `generation ${generation} is waking up` };
    generation += 1;
  }
  const name = driverExecutionName(job.jobId, generation);
  const started = await ctx.executions.start(name, { jobId: job.jobId, generation });
  ctx.logger.info('parked driver woken', { jobId: job.jobId, execution: name, started, why });
  return { action: 'woken', detail: `${name} (${started}): ${why}` };
}
