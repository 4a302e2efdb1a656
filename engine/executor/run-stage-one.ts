/**
 * Stage 1 of a two-stage batch, for one partition (engine/protocol/stage-two.ts): the
 * partition's range, as runPartition read it, through the pipeline's stage 1; its rows
 * routed to key groups and written deterministically, inline in the result when small
 * (exchangesInline) or to the exchange store; its dead letters and late records written.
 * No state: the partition holds none on this path.
 */
import { firstDeadLetterOf } from './first-dead-letter.js';
import { JobSpecError } from '../errors.js';
import type { LookupValues } from '../job/lookup.js';
import type { ExchangeStages, JobDefinition } from '../job/types.js';
import type { EnginePorts } from '../ports/index.js';
import { generationOf, type BatchPlan, type ExchangeOutput, type PartitionResult } from '../protocol/batch-records.js';
import { encodeExchange, exchangesInline } from '../protocol/exchange-format.js';
import { deadLetterOf } from './batch-outputs.js';
import { lateOutputOf, writeLateRows } from './late-rows.js';
import { putDeadLetters } from './sink-writes.js';
import type { RangeRead } from './read-range.js';

/** The job's two stages; a job without them cannot run a batch planned with key groups. */
export function exchangeStagesOf(job: JobDefinition, plan: BatchPlan): ExchangeStages {
  if (job.pipeline.exchange === undefined) {
    throw new JobSpecError(
      `batch ${plan.batchId} of job ${plan.jobId} was planned with ${plan.keyGroups} key groups, but job ${job.name} ` +
        'version ' +
        job.version +
        " keeps no state in key groups (no keyBy().aggregate(), or keyedBy: 'partitionKey')",
      { context: { jobId: plan.jobId, batchId: plan.batchId } },
    );
  }
  return job.pipeline.exchange;
}

export async function runStageOne(args: {
  readonly plan: BatchPlan;
  readonly partition: string;
  readonly range: RangeRead;
  readonly ports: EnginePorts;
  readonly job: JobDefinition;
  /** The lookup stages' values for the range's records (resolve-lookups.ts). */
  readonly lookups?: LookupValues | undefined;
}): Promise<PartitionResult> {
  const { plan, partition, range, ports, job, lookups } = args;
  const { jobId, batchId } = plan;
  const stages = exchangeStagesOf(job, plan);
  const outcome = stages.stageOne({
    records: range.records,
    watermarkMs: plan.watermarkMs,
    keyGroups: plan.keyGroups!,
    ...(lookups === undefined ? {} : { lookups }),
  });
  const { body, index } = encodeExchange(outcome.rows);
  let exchange: ExchangeOutput = { index };
  const write: Promise<void>[] = [];
  if (body.length > 0 && exchangesInline(body.length, plan.partitions.length)) {
    exchange = { index, inline: body.toString('utf8') };
  } else if (body.length > 0) {
    const objectKey = ports.exchange.keyOf({ jobId, generation: generationOf(plan), batchId, partition });
    exchange = { index, objectKey };
    write.push(ports.exchange.put(objectKey, body));
  }
  const letters = outcome.failures.map((f) => deadLetterOf(jobId, batchId, f, ports.clock.now()));
  // Stage 1 decides lateness, so it writes the late records (late-rows.ts), with the
  // batch's id and generation: a retry or a replay rewrites the same rows.
  if (job.lateRecords !== undefined) {
    const late = lateOutputOf(outcome.late, {
      jobId,
      batchId,
      watermarkMs: plan.watermarkMs,
      now: ports.clock.now(),
      sink: ports.sinks(job.lateRecords.sink),
    });
    letters.push(...late.letters);
    write.push(writeLateRows(ports, job.lateRecords, late.rows, { jobId, batchId, generation: generationOf(plan), partition }));
  }
  write.push(putDeadLetters(job, ports, { jobId, batchId, generation: generationOf(plan), partition }, letters));
  await Promise.all(write);
  return {
    partition,
    end: range.end,
    stateVersion: 0,
    records: range.records.length,
    outputRows: 0,
    deadLetters: letters.length,
    lateRecords: outcome.lateRecords,
    maxEventTimeMs: outcome.maxEventTimeMs,
    stateRows: 0,
    stateBytesWritten: 0,
    lagMs: range.lagMs,
    caughtUp: range.caughtUp,
    ...(range.skippedOffsets ? { skippedOffsets: range.skippedOffsets } : {}),
    exchange,
    ...firstDeadLetterOf(letters),
  };
}
