import { JobSpecError, NotFoundError } from '../errors.js';
import type { JsonValue } from '../json.js';
import type { JobDefinition, RecordFailure, StateMigration } from '../job/types.js';
import type { EnginePorts } from '../ports/index.js';
import type { DeadLetter } from '../ports/dead-letter-queue.js';
import { reservedFieldOf, type SinkRow } from '../ports/sink.js';
import { BatchStatus, EMPTY_STATE_VERSION, generationOf, type PartitionResult } from '../protocol/batch-records.js';
import { checkPlannedVersion } from '../protocol/job-versions.js';
import { inheritState } from '../protocol/lineage.js';
import { readRange } from './read-range.js';
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
}

/** Bytes of a bad record kept in its dead letter. */
const DEAD_LETTER_PAYLOAD_BYTES = 4096;

/**
 * A row larger than this (as JSON) is not written: DynamoDB refuses items over 400 KB, so
 * the write would fail on every retry and block the partition. It becomes a dead letter
 * (stage 'sink') instead. JSON is larger than DynamoDB's own size measure, so this errs
 * on the safe side.
 */
export const MAX_SINK_ROW_BYTES = 400 * 1024;

/**
 * Runs one partition of one planned batch (step 2 of the protocol in
 * engine/protocol/planning.ts):
 *
 *   1. read exactly the partition's range (readRange records its end first when needed)
 *   2. apply the pipeline to the records, in order, over state version `base` (or, in a
 *      child shard's first batch, over its share of its parents' final states); the
 *      first batch under a new job version migrates the base state first
 *   3. dead letters for records that failed a stage (they never block the partition),
 *      state version N (only when the batch changed the state), and output rows to the
 *      sink, each carrying (generation, N) (idempotent): all three at once
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
  if (done !== undefined) return alreadyCommitted(partition, done);
  checkPlannedVersion({ jobId, plan: record.plan, codeVersion: job.version, migratesFrom: job.migrations.map((m) => m.fromVersion) });
  const generation = generationOf(record.plan);
  // A replay rewrites state versions under the same numbers: cache them per generation.
  const cacheId = generation === 0 ? jobId : `${jobId}\u0000g${generation}`;

  const range = await readRange({
    wal: ports.wal,
    reader: ports.sources(job.source.spec),
    jobId,
    batchId,
    plan,
    failOnDataLoss: job.source.failOnDataLoss ?? true,
  });

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
    batchId,
    partition,
  });

  const { rows, unwritable } = splitUnwritableRows(outcome.rows);
  const lastRecord = range.records.at(-1);
  const letters = outcome.failures.map((f) => deadLetterOf(jobId, batchId, f, ports.clock.now()));
  for (const row of unwritable) {
    // A row has no single source record: it is filed under the range's last offset.
    letters.push({
      jobId,
      partition,
      offset: lastRecord?.offset ?? '0',
      batchId,
      stage: 'sink',
      reason: `row ${row.key.slice(0, 200)}: ${row.reason}`,
      payloadBase64: Buffer.from(row.json.slice(0, DEAD_LETTER_PAYLOAD_BYTES)).toString('base64'),
      recordedAt: ports.clock.now(),
      rowKey: row.key,
    });
  }

  // Dead letters, the state version and the sink rows are independent and idempotent, and
  // none of them counts before the commit: write them at the same time.
  const changed = state.changed;
  const next: ReadonlyMap<string, JsonValue> = changed ? state.materialize() : base;
  const stateVersion = changed ? batchId : plan.baseStateVersion;
  const [, written] = await Promise.all([
    letters.length > 0 ? ports.deadLetters.put(letters) : undefined,
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
    rows.length > 0 ? ports.sinks(job.sink).write({ jobId, batchId, generation, partition, rows }) : undefined,
  ]);
  ctx.cache?.set(cacheId, partition, stateVersion, next);
  const stateBytesWritten = written?.bytesWritten ?? 0;

  return {
    partition,
    end: range.end,
    stateVersion,
    records: range.records.length,
    outputRows: rows.length,
    deadLetters: letters.length,
    lateRecords: outcome.lateRecords,
    maxEventTimeMs: outcome.maxEventTimeMs,
    stateRows: next.size,
    stateBytesWritten,
    lagMs: range.lagMs,
    caughtUp: range.caughtUp,
    ...(range.skippedOffsets ? { skippedOffsets: range.skippedOffsets } : {}),
  };
}

function alreadyCommitted(
  partition: string,
  done: { end: PartitionResult['end']; stateVersion: number; caughtUp: boolean; lagMs: number | null },
): PartitionResult {
  return {
    partition,
    end: done.end,
    stateVersion: done.stateVersion,
    records: 0,
    outputRows: 0,
    deadLetters: 0,
    lateRecords: 0,
    maxEventTimeMs: null,
    stateRows: 0,
    stateBytesWritten: 0,
    lagMs: done.lagMs,
    caughtUp: done.caughtUp,
  };
}

function migrationFrom(job: JobDefinition, fromVersion: number): StateMigration {
  const migration = job.migrations.find((m) => m.fromVersion === fromVersion);
  if (migration === undefined) {
    throw new JobSpecError(
      `job ${job.name} version ${job.version} declares no state migration from version ${fromVersion}, ` +
        `which the batch's plan requires: declare migrations: [{ fromVersion: ${fromVersion}, state }] or deploy the version that planned it`,
      { context: { job: job.name, fromVersion } },
    );
  }
  return migration;
}

/**
 * Applies a state migration to every entry of `base`, in key order, as changes to
 * `state`: removed keys are deleted, new or changed values put. Two entries that migrate
 * to the same key, or a migration that throws, fail the batch with JobSpecError.
 */
function applyMigration(
  state: TrackedState,
  base: ReadonlyMap<string, JsonValue>,
  migration: StateMigration,
  where: { jobId: string; batchId: number; partition: string },
): void {
  const migrated = migrateEntries(base, migration, where);
  for (const key of base.keys()) if (!migrated.has(key)) state.delete(key);
  for (const [key, value] of migrated) {
    if (JSON.stringify(base.get(key)) !== JSON.stringify(value)) state.put(key, value);
  }
}

/** `base` migrated, entry by entry in key order (see applyMigration). */
function migrateEntries(
  base: ReadonlyMap<string, JsonValue>,
  migration: StateMigration,
  where: { jobId: string; batchId: number; partition: string },
): Map<string, JsonValue> {
  const migrated = new Map<string, JsonValue>();
  for (const key of [...base.keys()].sort()) {
    let entry: { readonly key: string; readonly value: JsonValue } | null;
    try {
      entry = migration.state(key, structuredClone(base.get(key)!));
    } catch (error) {
      throw new JobSpecError(`the state migration from version ${migration.fromVersion} threw for key ${key}: ${String(error)}`, {
        cause: error,
        context: { ...where, key },
      });
    }
    if (entry === null) continue;
    if (typeof entry?.key !== 'string' || entry.value === undefined) {
      throw new JobSpecError(
        `the state migration from version ${migration.fromVersion} returned neither null nor { key, value } for key ${key}`,
        {
          context: { ...where, key },
        },
      );
    }
    if (migrated.has(entry.key)) {
      throw new JobSpecError(`the state migration from version ${migration.fromVersion} maps two entries to key ${entry.key}`, {
        context: { ...where, key: entry.key },
      });
    }
    migrated.set(entry.key, entry.value);
  }
  return migrated;
}

/** Rows no sink would ever accept (too large, or using a reserved field): retrying cannot help. */
function splitUnwritableRows(all: readonly SinkRow[]): {
  rows: SinkRow[];
  unwritable: { key: string; json: string; reason: string }[];
} {
  const rows: SinkRow[] = [];
  const unwritable: { key: string; json: string; reason: string }[] = [];
  for (const row of all) {
    const json = JSON.stringify(row.value);
    const bytes = Buffer.byteLength(json) + Buffer.byteLength(row.key);
    const reserved = reservedFieldOf(row);
    if (bytes > MAX_SINK_ROW_BYTES) {
      unwritable.push({ key: row.key, json, reason: `${bytes} bytes as JSON, above the ${MAX_SINK_ROW_BYTES}-byte limit of a sink item` });
    } else if (reserved !== undefined) {
      unwritable.push({ key: row.key, json, reason: `uses the reserved field name ${reserved}` });
    } else {
      rows.push(row);
    }
  }
  return { rows, unwritable };
}

function deadLetterOf(jobId: string, batchId: number, failure: RecordFailure, now: number): DeadLetter {
  const { record } = failure;
  return {
    jobId,
    partition: record.partition,
    offset: record.offset,
    batchId,
    stage: failure.stage,
    reason: failure.reason.slice(0, 1000),
    payloadBase64: Buffer.from(record.data.subarray(0, DEAD_LETTER_PAYLOAD_BYTES)).toString('base64'),
    recordedAt: now,
  };
}
