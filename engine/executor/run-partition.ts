import { firstDeadLetterOf } from './first-dead-letter.js';
import { NotFoundError } from '../errors.js';
import type { JsonValue } from '../json.js';
import type { JobDefinition } from '../job/types.js';
import type { EnginePorts } from '../ports/index.js';
import { deadLetterOf, rejectedRowLetters, splitUnwritableRows, unwritableRowLetters } from './batch-outputs.js';
import { lateOutputOf, writeLateRows } from './late-rows.js';
import { putDeadLetters, routeRows, writeRows } from './sink-writes.js';
import { applyMigration, migrateEntries, migrationFrom } from './migrate-state.js';
import { BatchStatus, EMPTY_STATE_VERSION, generationOf, nothingReadResult, type PartitionResult } from '../protocol/batch-records.js';
import { checkPlannedVersion } from '../protocol/job-versions.js';
import { inheritState } from '../protocol/lineage.js';
import { prefetchRangeEnd, readRange, type ReadBudget } from './read-range.js';
import { resolveLookups } from './resolve-lookups.js';
import { runStageOne } from './run-stage-one.js';
import type { StateCache } from './state-cache.js';
import { TrackedState } from './tracked-state.js';

export interface ExecutorInput {
  readonly jobId: string;
  readonly batchId: number;
  readonly partition: string;
}

export interface ExecutorContext {
  readonly ports: EnginePorts;
  readonly job: JobDefinition;
  /** A warm executor's state cache; optional (a cold executor loads from the state store). */
  readonly cache?: StateCache;
  /** The first attempt's read budget of a range (default RANGE_READ_BUDGET: read-range.ts). */
  readonly readBudget?: ReadBudget;
}

/**
 * Runs one partition of one planned batch (step 2 of the protocol in
 * engine/protocol/planning.ts). On the two-stage path (the plan has key groups) this is
 * stage 1 (run-stage-one.ts) after the read; otherwise:
 *
 *   1. read exactly the partition's range (readRange records its end first when needed)
 *   2. apply the pipeline to the records, in order, over state version `base` (or, in a
 *      child shard's first batch, over its share of its parents' final states); the
 *      first batch under a new job version migrates the base state first
 *   3. dead letters for records that failed a stage (they never block the partition),
 *      state version N (only when the batch changed the state), output rows to the
 *      sink, each carrying (generation, N) (idempotent), and late records to the job's
 *      late-records sink when it declares one (late-rows.ts): all at once
 *
 * The plan must be of this code's job version (checkPlannedVersion): a batch planned by
 * another version fails with JobSpecError rather than mixing two versions' state.
 *
 * Every write is deterministic in (plan, range end, base state): running this twice, or
 * beside a zombie doing the same, writes the same state bytes and the same rows. A batch
 * that is already committed is not run again: its recorded result is returned.
 */
export async function runPartition(input: ExecutorInput, ctx: ExecutorContext): Promise<PartitionResult> {
  const { jobId, batchId, partition } = input;
  const { ports, job } = ctx;
  const reader = ports.sources(job.source.spec);
  // The range end is read together with the plan (readRange says when that read is used).
  const recordedEnd = prefetchRangeEnd(ports.wal, reader, input);
  const record = await ports.wal.getBatch(jobId, batchId);
  if (record === null) {
    throw new NotFoundError(`batch ${batchId} of job ${jobId} is not in the write-ahead log`, {
      context: { jobId, batchId },
    });
  }
  const plan = record.plan.partitions.find((p) => p.partition === partition);
  if (plan === undefined) {
    throw new NotFoundError(`batch ${batchId} of job ${jobId} has no partition ${partition}`, {
      context: { jobId, batchId, partition },
    });
  }
  const done = record.status === BatchStatus.COMMITTED ? record.commit?.partitions[partition] : undefined;
  if (done !== undefined) return nothingReadResult(partition, done);
  checkPlannedVersion({ jobId, plan: record.plan, codeVersion: job.version, migratesFrom: job.migrations.map((m) => m.fromVersion) });
  const generation = generationOf(record.plan);
  // A replay rewrites state versions under the same numbers: cache them per generation.
  const cacheId = generation === 0 ? jobId : `${jobId}\u0000g${generation}`;

  const range = await readRange({
    wal: ports.wal,
    reader,
    jobId,
    batchId,
    plan,
    failOnDataLoss: job.source.failOnDataLoss ?? true,
    ...(recordedEnd === undefined ? {} : { recorded: recordedEnd }),
    ...(ctx.readBudget === undefined ? {} : { budget: ctx.readBudget }),
  });
  if (range.stoppedAtBudget) {
    // Smaller batches than the cap: say why (docs/api.md, maxRecordsPerPartition).
    const bytes = range.records.reduce((total, r) => total + r.data.byteLength, 0);
    ports.logger.info('range stopped at its read budget', { jobId, batchId, partition, records: range.records.length, bytes });
  }
  // The lookup stages' values, from the batch's lookup record or read and recorded now (resolve-lookups.ts).
  const lookups = await resolveLookups({ job, plan: record.plan, partition, records: range.records, ports });
  if (record.plan.keyGroups !== undefined) return runStageOne({ plan: record.plan, partition, range, ports, job, lookups });

  const inherits = plan.baseStateVersion === EMPTY_STATE_VERSION ? (plan.inherits ?? []) : [];
  const base: ReadonlyMap<string, JsonValue> =
    inherits.length > 0
      ? new Map()
      : (ctx.cache?.get(cacheId, partition, plan.baseStateVersion) ??
        (await ports.state.load(jobId, partition, plan.baseStateVersion, generation)));
  const state = new TrackedState(base);
  const { migrateFromVersion } = record.plan;
  if (migrateFromVersion !== undefined) {
    // The first batch under a new job version: its base state was written by an older
    // one. The migration's changes become part of this batch's state version.
    applyMigration(state, base, migrationFrom(job, migrateFromVersion), { jobId, batchId, partition });
  }
  if (inherits.length > 0) {
    // A child shard's first batch: its state starts as its share of its parents' final
    // states (engine/protocol/lineage.ts), written as part of this batch's version.
    // A parent that finished under an older job version is migrated first, as every open
    // partition was at that version's first batch.
    const parents = await Promise.all(
      inherits.map(async (p) => {
        const final = await ports.state.load(jobId, p.partition, p.stateVersion, generation);
        const state =
          p.jobVersion === undefined || p.jobVersion === job.version
            ? final
            : migrateEntries(final, migrationFrom(job, p.jobVersion), { jobId, batchId, partition: p.partition });
        return { partition: p.partition, state };
      }),
    );
    for (const [key, value] of inheritState(parents, plan.hashKeyRange, job.pipeline.groupKeyOf, job.source.hashKeyOf))
      state.put(key, value);
  }
  const outcome = job.pipeline.run({
    records: range.records,
    state,
    watermarkMs: record.plan.watermarkMs,
    timeMs: record.plan.plannedAt,
    batchId,
    partition,
    ...(lookups === undefined ? {} : { lookups }),
  });

  const { rows: writable, unwritable } = splitUnwritableRows(outcome.rows);
  const { writes, undeclared } = routeRows(job, writable, (spec) => ports.sinks(spec));
  unwritable.push(...undeclared);
  const rows = writable.filter((row) => row.output === undefined || Object.hasOwn(job.outputs, row.output));
  const lastRecord = range.records.at(-1);
  const letters = outcome.failures.map((f) => deadLetterOf(jobId, batchId, f, ports.clock.now()));
  // A row has no single source record: it is filed under the range's last offset.
  letters.push(
    ...unwritableRowLetters(unwritable, { jobId, batchId, partition, offset: lastRecord?.offset ?? '0', now: ports.clock.now() }),
  );
  // Late records go to the job's late-records sink when it declares one (late-rows.ts).
  const lateOutput =
    job.lateRecords === undefined
      ? { rows: [], letters: [] }
      : lateOutputOf(outcome.late, {
          jobId,
          batchId,
          watermarkMs: record.plan.watermarkMs,
          now: ports.clock.now(),
          sink: ports.sinks(job.lateRecords.sink),
        });
  letters.push(...lateOutput.letters);

  // Dead letters, the state version and the sink rows are independent and idempotent, and
  // none of them counts before the commit: write them at the same time.
  const changed = state.changed;
  const next: ReadonlyMap<string, JsonValue> = changed ? state.materialize() : base;
  const stateVersion = changed ? batchId : plan.baseStateVersion;
  const [, written, sinkWrite] = await Promise.all([
    putDeadLetters(job, ports, { jobId, batchId, generation, partition }, letters),
    changed
      ? ports.state.write({
          jobId,
          partition,
          version: batchId,
          baseVersion: plan.baseStateVersion,
          changes: state.changeSet(),
          full: next,
          snapshotEvery: job.checkpoint.snapshotEvery,
          generation,
        })
      : undefined,
    writeRows(ports, { jobId, batchId, generation, partition }, writes),
    writeLateRows(ports, job.lateRecords, lateOutput.rows, { jobId, batchId, generation, partition }),
  ]);
  // Rows the sink refused for good become dead letters, as unwritable rows do.
  const refused = rejectedRowLetters(rows, sinkWrite, {
    jobId,
    batchId,
    partition,
    offset: lastRecord?.offset ?? '0',
    now: ports.clock.now(),
  });
  await putDeadLetters(job, ports, { jobId, batchId, generation, partition }, refused);
  ctx.cache?.set(cacheId, partition, stateVersion, next);
  const stateBytesWritten = written?.bytesWritten ?? 0;

  return {
    partition,
    end: range.end,
    stateVersion,
    records: range.records.length,
    outputRows: rows.length,
    deadLetters: letters.length + refused.length,
    lateRecords: outcome.lateRecords,
    maxEventTimeMs: outcome.maxEventTimeMs,
    stateRows: next.size,
    stateBytesWritten,
    lagMs: range.lagMs,
    caughtUp: range.caughtUp,
    ...(range.skippedOffsets ? { skippedOffsets: range.skippedOffsets } : {}),
    ...firstDeadLetterOf([...letters, ...refused]),
  };
}
