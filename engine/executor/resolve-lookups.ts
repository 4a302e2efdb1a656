/**
 * The executor's pre-phase for a pipeline with lookup stages: the values its lookups
 * take for one partition's records of one batch, from the batch's lookup record or from
 * the tables, by the protocol of engine/protocol/lookup-record.ts (read there first).
 * Runs after the partition's range is read and before the pipeline; the pipeline then
 * receives the values and does no I/O.
 */
import { InvariantError } from '../errors.js';
import type { JsonObject } from '../json.js';
import type { LookupValues } from '../job/lookup.js';
import type { JobDefinition } from '../job/types.js';
import type { EnginePorts } from '../ports/index.js';
import { lookupKeyId } from '../ports/lookup-table.js';
import type { SourceRecord } from '../ports/source-reader.js';
import { generationOf, type BatchPlan } from '../protocol/batch-records.js';
import type { LookupRecord, LookupRecordAddress } from '../protocol/lookup-record.js';

/** The values of the job's lookup stages for these records, or undefined when it has none. */
export async function resolveLookups(args: {
  readonly job: JobDefinition;
  readonly plan: BatchPlan;
  readonly partition: string;
  readonly records: readonly SourceRecord[];
  readonly ports: EnginePorts;
}): Promise<LookupValues | undefined> {
  const { job, plan, partition, records, ports } = args;
  const lookups = job.pipeline.lookups;
  if (lookups === undefined) return undefined;
  // No value reaches the first lookup (no records, all filtered out, all failed): none reaches
  // a later one either, and there is nothing to read or record. An idle batch costs no I/O.
  const first = lookups.stages[0]!;
  if (lookups.keysFor({ records, values: new Map(), stage: first }).length === 0) return new Map();
  const address: LookupRecordAddress = { jobId: plan.jobId, batchId: plan.batchId, generation: generationOf(plan), partition };
  const own = await ports.lookupRecords.get(address);
  const values = copyOf(own ?? (await replayedRecord(address, ports)) ?? new Map());
  for (const stage of lookups.stages) {
    const table = stage.table.tableName;
    const keys = lookups.keysFor({ records, values, stage });
    const known = values.get(table) ?? new Map<string, JsonObject | null>();
    values.set(table, known);
    const missing = keys.filter((key) => !known.has(lookupKeyId(key)));
    if (missing.length === 0) continue;
    if (own !== null) {
      throw new InvariantError(
        `batch ${plan.batchId} of job ${plan.jobId}, partition ${partition}: its lookup record holds no item for ` +
          `${missing.length} key(s) of table ${table} the pipeline looks up now (first: ${JSON.stringify(missing[0])}). ` +
          "A lookup key must be a deterministic function of the record: the batch cannot use the first run's values",
        { context: { jobId: plan.jobId, batchId: plan.batchId, partition, table } },
      );
    }
    const items = await ports.lookupTables(stage.table).getMany(missing);
    for (const [i, key] of missing.entries()) known.set(lookupKeyId(key), items[i] ?? null);
  }
  for (const [table, items] of values) if (items.size === 0) values.delete(table);
  // Before any output of the batch: from now on every run of it uses these values.
  if (own === null && values.size > 0) await ports.lookupRecords.put(address, values);
  return values;
}

/**
 * The record of the run a replayed batch replays: when the batch's generation is a
 * replay's and the batch in its range, the record of the highest generation below it
 * under the replay's source job (the job itself in place, the source of --into).
 */
async function replayedRecord(address: LookupRecordAddress, ports: EnginePorts): Promise<LookupRecord | null> {
  const { jobId, batchId, generation, partition } = address;
  if (generation === 0) return null;
  const replay = (await ports.wal.listReplays(jobId)).find((r) => r.generation === generation);
  if (replay === undefined || batchId <= replay.fromBatchId || batchId > replay.toBatchId) return null;
  const source = replay.sourceJobId;
  const below = (await ports.lookupRecords.generations(source, batchId, partition)).filter((g) => g < generation);
  const from = below.at(-1);
  return from === undefined ? null : ports.lookupRecords.get({ jobId: source, batchId, generation: from, partition });
}

function copyOf(record: LookupRecord): Map<string, Map<string, JsonObject | null>> {
  return new Map([...record].map(([table, items]) => [table, new Map(items)]));
}
