/**
 * Stage 2 of a two-stage batch (engine/protocol/stage-two.ts): one executor call runs a
 * contiguous run of the batch's active key groups. For each group:
 *
 *   1. its rows from every partition's stage-1 output, in the plan's partition order
 *      (inline from the stage-1 result, or one ranged GET of the exchange object, sent
 *      with the read of the plan: stage 1's results name the slices)
 *   2. the pipeline's stage 2 over the group's state at the plan's base version (the
 *      first batch under a new job version migrates that state first)
 *   3. dead letters, state version N of the group (only when the batch changed it) and
 *      the sink rows, each carrying (generation, N): all three at once
 *
 * Every write is deterministic in (plan, stage-1 outputs, base state), and the stage-1
 * outputs in (plan, recorded ranges): a retry, a zombie or a replay writes the same
 * bytes. A batch already committed is not run again: its recorded group states are
 * returned.
 */
import { firstDeadLetterOf } from './first-dead-letter.js';
import { InvariantError, JobSpecError, NotFoundError } from '../errors.js';
import { keyOfStateKey } from '../job/keyed-groups.js';
import type { JsonValue } from '../json.js';
import {
  BatchStatus,
  generationOf,
  type BatchPlan,
  type GroupResult,
  type GroupState,
  type PartitionResult,
} from '../protocol/batch-records.js';
import { putDeadLetters, routeRows, writeRows } from './sink-writes.js';
import { decodeExchangeSlice } from '../protocol/exchange-format.js';
import { checkPlannedVersion } from '../protocol/job-versions.js';
import { keyGroupOf, keyGroupScope } from '../protocol/key-groups.js';
import { rejectedRowLetters, splitUnwritableRows, unwritableRowLetters, valueDeadLetterOf } from './batch-outputs.js';
import { applyMigration, migrationFrom } from './migrate-state.js';
import type { ExecutorContext } from './run-partition.js';
import { exchangeStagesOf } from './run-stage-one.js';
import { TrackedState } from './tracked-state.js';

export interface KeyGroupsInput {
  readonly jobId: string;
  readonly batchId: number;
  /** The key groups this call runs (a slot of stageTwoSlots). */
  readonly groups: readonly number[];
  /** Stage 1's results, one per planned partition. */
  readonly stageOne: readonly PartitionResult[];
}

export async function runKeyGroups(input: KeyGroupsInput, ctx: ExecutorContext): Promise<GroupResult[]> {
  const { jobId, batchId, groups } = input;
  const { ports, job } = ctx;
  // The exchange's slices are named by stage 1's results, not by the plan: they are read
  // while the plan is (one round trip, not two). A batch found committed drops them.
  const slices = readSlices(input, ctx);
  const record = await ports.wal.getBatch(jobId, batchId);
  if (record === null) {
    throw new NotFoundError(`batch ${batchId} of job ${jobId} is not in the write-ahead log`, { context: { jobId, batchId } });
  }
  const { plan } = record;
  if (record.status === BatchStatus.COMMITTED && record.commit !== undefined) {
    const committed = record.commit.groups ?? {};
    return groups.map((group) => alreadyCommitted(group, committed[group]));
  }
  if (plan.keyGroups === undefined) throw new InvariantError(`batch ${batchId} of job ${jobId} has no key groups: it runs in one stage`);
  checkPlannedVersion({ jobId, plan, codeVersion: job.version, migratesFrom: job.migrations.map((m) => m.fromVersion) });
  const outputs = stageOneInPlanOrder(plan, input.stageOne);
  return Promise.all(groups.map((group) => runGroup(group, plan, outputs, slices, ctx)));
}

/** The exchange objects' slices of this call's groups, each read once, by partition and group (sliceKey). */
type SliceReads = ReadonlyMap<string, Promise<Buffer>>;

const sliceKey = (partition: string, group: number): string => `${partition}\u0000${group}`;

function sliceRead(slices: SliceReads, partition: string, group: number, batchId: number): Promise<Buffer> {
  const read = slices.get(sliceKey(partition, group));
  if (read === undefined) {
    throw new InvariantError(`batch ${batchId}: partition ${partition}'s stage-1 result indexes key group ${group} with no exchange body`);
  }
  return read;
}

/**
 * Starts the ranged GETs of every exchange slice the call's groups need from the exchange
 * store (inline slices need none). A read that fails fails its group when awaited, not
 * before: a committed batch, whose exchange objects retention may have deleted, awaits none.
 */
function readSlices(input: KeyGroupsInput, ctx: ExecutorContext): SliceReads {
  const reads = new Map<string, Promise<Buffer>>();
  for (const result of input.stageOne) {
    const { exchange } = result;
    if (exchange?.objectKey === undefined || exchange.inline !== undefined) continue;
    for (const group of input.groups) {
      const range = exchange.index[group];
      if (range === undefined) continue;
      const read = ctx.ports.exchange.readSlice(exchange.objectKey, range[0], range[1]);
      read.catch(() => {});
      reads.set(sliceKey(result.partition, group), read);
    }
  }
  return reads;
}

/** Stage 1's results in the plan's partition order, each with its inline body decoded once. */
function stageOneInPlanOrder(plan: BatchPlan, results: readonly PartitionResult[]): { result: PartitionResult; inline: Buffer | null }[] {
  const byPartition = new Map(results.map((r) => [r.partition, r]));
  if (byPartition.size !== results.length || results.length !== plan.partitions.length) {
    throw new InvariantError(`batch ${plan.batchId}: stage 2 needs exactly one stage-1 result per planned partition`);
  }
  return plan.partitions.map((p) => {
    const result = byPartition.get(p.partition);
    if (result === undefined) throw new InvariantError(`batch ${plan.batchId}: no stage-1 result for partition ${p.partition}`);
    return { result, inline: result.exchange?.inline === undefined ? null : Buffer.from(result.exchange.inline, 'utf8') };
  });
}

async function runGroup(
  group: number,
  plan: BatchPlan,
  outputs: readonly { result: PartitionResult; inline: Buffer | null }[],
  slices: SliceReads,
  ctx: ExecutorContext,
): Promise<GroupResult> {
  const { ports, job } = ctx;
  const { jobId, batchId } = plan;
  const generation = generationOf(plan);
  const scope = keyGroupScope(group);
  const inputs = await Promise.all(
    outputs
      .filter(({ result }) => result.exchange?.index[group] !== undefined)
      .map(async ({ result, inline }) => {
        const [start, end] = result.exchange!.index[group]!;
        const slice = inline !== null ? inline.subarray(start, end) : await sliceRead(slices, result.partition, group, batchId);
        return { partition: result.partition, rows: decodeExchangeSlice(slice) };
      }),
  );
  const baseVersion = plan.groups?.[group]?.version ?? 0;
  // A replay rewrites state versions under the same numbers: cache them per generation.
  const cacheId = generation === 0 ? jobId : `${jobId}\u0000g${generation}`;
  const base: ReadonlyMap<string, JsonValue> =
    ctx.cache?.get(cacheId, scope, baseVersion) ?? (await ports.state.load(jobId, scope, baseVersion, generation));
  const state = new TrackedState(base);
  if (plan.migrateFromVersion !== undefined) {
    const migration = migrationFrom(job, plan.migrateFromVersion);
    applyMigration(state, base, migration, { jobId, batchId, partition: scope });
    checkKeysStayInGroup(state, { group, keyGroups: plan.keyGroups!, fromVersion: migration.fromVersion, jobId, batchId });
  }
  const outcome = exchangeStagesOf(job, plan).stageTwo({ inputs, state, watermarkMs: plan.watermarkMs, timeMs: plan.plannedAt, scope });
  const { rows: writable, unwritable } = splitUnwritableRows(outcome.rows);
  const { writes, undeclared } = routeRows(job, writable, (spec) => ports.sinks(spec));
  unwritable.push(...undeclared);
  const rows = writable.filter((row) => row.output === undefined || Object.hasOwn(job.outputs, row.output));
  const now = ports.clock.now();
  const letters = outcome.failures.map((f) => valueDeadLetterOf(jobId, batchId, f, now));
  // A row has no single source record: it is filed under its key group and the batch.
  letters.push(...unwritableRowLetters(unwritable, { jobId, batchId, partition: scope, offset: String(batchId), now }));

  const changed = state.changed;
  const next: ReadonlyMap<string, JsonValue> = changed ? state.materialize() : base;
  const stateVersion = changed ? batchId : baseVersion;
  const [, written, sinkWrite] = await Promise.all([
    putDeadLetters(job, ports, { jobId, batchId, generation, partition: scope }, letters),
    changed
      ? ports.state.write({
          jobId,
          partition: scope,
          version: batchId,
          baseVersion,
          changes: state.changeSet(),
          full: next,
          snapshotEvery: job.checkpoint.snapshotEvery,
          generation,
        })
      : undefined,
    writeRows(ports, { jobId, batchId, generation, partition: scope }, writes),
  ]);
  // Rows the sink refused for good become dead letters, as unwritable rows do.
  const refused = rejectedRowLetters(rows, sinkWrite, { jobId, batchId, partition: scope, offset: String(batchId), now });
  await putDeadLetters(job, ports, { jobId, batchId, generation, partition: scope }, refused);
  ctx.cache?.set(cacheId, scope, stateVersion, next);
  return {
    group,
    stateVersion,
    outputRows: rows.length,
    deadLetters: letters.length + refused.length,
    stateRows: next.size,
    stateBytesWritten: written?.bytesWritten ?? 0,
    dueAtWatermarkMs: outcome.dueAtWatermarkMs,
    dueAtMs: outcome.dueAtMs ?? null,
    ...firstDeadLetterOf([...letters, ...refused]),
  };
}

/**
 * A migration may change keys, but on this path a key's state must stay in the key group
 * its key hashes to (stage 2 looks for it nowhere else): an entry migrated into another
 * group's key fails the batch with JobSpecError, as two entries migrated to one key do.
 */
function checkKeysStayInGroup(
  state: TrackedState,
  where: { group: number; keyGroups: number; fromVersion: number; jobId: string; batchId: number },
): void {
  for (const [stateKey] of state.entries()) {
    const key = keyOfStateKey(stateKey);
    const belongs = key === null ? null : keyGroupOf(key, where.keyGroups);
    if (belongs !== where.group) {
      throw new JobSpecError(
        `the state migration from version ${where.fromVersion} gives key ${stateKey}, which belongs to ` +
          `${belongs === null ? 'no key group (it is not a state key of this pipeline)' : `key group ${belongs}`}, ` +
          `but its entry is in key group ${where.group}: a migration may change values, and keys within their key group only`,
        { context: { jobId: where.jobId, batchId: where.batchId, key: stateKey } },
      );
    }
  }
}

function alreadyCommitted(group: number, state: GroupState | undefined): GroupResult {
  return {
    group,
    stateVersion: state?.version ?? 0,
    outputRows: 0,
    deadLetters: 0,
    stateRows: state?.rows ?? 0,
    stateBytesWritten: 0,
    dueAtWatermarkMs: state?.dueAtWatermarkMs ?? null,
    dueAtMs: state?.dueAtMs ?? null,
  };
}
