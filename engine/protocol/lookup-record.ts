/**
 * The lookup record: what a batch's lookup stages read, kept so that every retry and
 * every replay of the batch sees exactly what its first run saw (Stream.lookup,
 * engine/job/lookup.ts; docs/operators/lookup-join.md). Pure: the executor's pre-phase
 * (engine/executor/resolve-lookups.ts) does the I/O.
 *
 * One record per (job, batch, generation, partition), in the checkpoint bucket at
 *
 *   lookups/<job>/<batch>/g<generation>/<partition>
 *
 * holding, per table, every key the partition's records of the batch looked up and its
 * item, or null when the table had none (an absence is recorded too: a left join that
 * found nothing must find nothing again). Keys are sorted, so the bytes are a function
 * of what was read.
 *
 * Protocol, per partition of a batch, before the pipeline runs:
 *   0. when no value reaches the first lookup stage (no records, all filtered or failed
 *      before it), none reaches a later one: nothing is read or recorded;
 *   1. read the batch's own record (its generation's). Found: this is a retry or a zombie
 *      of a run that wrote it; every key the pipeline needs must be in it (the pipeline is
 *      deterministic in its records), and the table is not read. A key that is not is an
 *      InvariantError: the code is not deterministic, or it is not the code that wrote it.
 *   2. not found, and the batch is a replayed one (its generation is a replay's, and the
 *      batch is in the replay's range): start from the record of the run it replays, the
 *      one of the highest generation below its own under the replay's source job (the
 *      job itself in place, the source job of `replay --into`). Keys it holds are not
 *      read again: a replay after the table changed gives the first run's answer. Keys it
 *      lacks (the replayed code looks up other keys) are read from the table now.
 *   3. otherwise read every key from the table (the lookup stages one after another: a
 *      later stage's keys may depend on an earlier stage's items);
 *   4. write the record (when any key was looked up), then run the pipeline and write the
 *      batch's outputs.
 *
 * Recovery: a crash before the record is written leaves nothing of the batch committed
 * (outputs are written after it, and count only once the batch commits): the retry reads
 * the table afresh, which is as good as the first read. A crash after: the record wins,
 * every later run uses it. Two runs of the same partition racing before either wrote the
 * record (a zombie and its retry) may each read the table; the store is
 * last-writer-wins, so if the table changed between their reads, rows of the two runs
 * may mix in the sink. The window is that of two first reads of one partition.
 *
 * Retention: the record of a batch goes when the write-ahead log lets the batch go (the
 * rule of engine/protocol/retention.ts: the commit that deletes batch K-1's WAL record
 * deletes every record under lookups/<job>/<K-1>/), so a replay finds the record of
 * every batch it can replay. No lifecycle rule expires them by age.
 */
import { InvariantError } from '../errors.js';
import { isJsonObject, type JsonObject } from '../json.js';

export const LOOKUP_PREFIX = 'lookups/';
const FORMAT = 1;

/** A record's contents: per table name, per key id (lookupKeyId), the item or null. */
export type LookupRecord = ReadonlyMap<string, ReadonlyMap<string, JsonObject | null>>;

export interface LookupRecordAddress {
  readonly jobId: string;
  readonly batchId: number;
  readonly generation: number;
  readonly partition: string;
}

/** The prefix of every record of one batch (all generations, all partitions). */
export function lookupBatchPrefix(args: { prefix: string; jobId: string; batchId: number }): string {
  return `${args.prefix}${encodeURIComponent(args.jobId)}/${args.batchId}/`;
}

export function lookupRecordKey(args: LookupRecordAddress & { prefix: string }): string {
  return `${lookupBatchPrefix(args)}g${args.generation}/${encodeURIComponent(args.partition)}`;
}

/** The generation and partition of a key under a batch's prefix, or null for another key. */
export function parseLookupRecordKey(batchPrefix: string, key: string): { generation: number; partition: string } | null {
  const match = /^g(\d+)\/(.+)$/.exec(key.slice(batchPrefix.length));
  if (!key.startsWith(batchPrefix) || match === null) return null;
  return { generation: Number(match[1]), partition: decodeURIComponent(match[2]!) };
}

export function encodeLookupRecord(record: LookupRecord): Uint8Array {
  const tables: Record<string, [string, JsonObject | null][]> = {};
  for (const table of [...record.keys()].sort()) {
    const entries = [...record.get(table)!.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    tables[table] = entries;
  }
  return Buffer.from(JSON.stringify({ format: FORMAT, tables }));
}

export function decodeLookupRecord(bytes: Uint8Array, key: string): LookupRecord {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (error) {
    throw new InvariantError(`lookup record ${key} is not JSON`, { cause: error, context: { key } });
  }
  if (!isJsonObject(parsed) || parsed.format !== FORMAT || !isJsonObject(parsed.tables)) {
    throw new InvariantError(`lookup record ${key} is not of format ${FORMAT}`, { context: { key } });
  }
  const record = new Map<string, Map<string, JsonObject | null>>();
  for (const [table, entries] of Object.entries(parsed.tables)) {
    if (!Array.isArray(entries)) throw new InvariantError(`lookup record ${key}: table ${table} holds no entries`, { context: { key } });
    const items = new Map<string, JsonObject | null>();
    for (const entry of entries) {
      const [id, item] = Array.isArray(entry) ? entry : [];
      if (typeof id !== 'string' || (item !== null && !isJsonObject(item))) {
        throw new InvariantError(`lookup record ${key}: a malformed entry of table ${table}`, { context: { key } });
      }
      items.set(id, item);
    }
    record.set(table, items);
  }
  return record;
}
