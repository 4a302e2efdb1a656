/**
 * The records of the Kinesis sink, and what a consumer deduping them sees: shared by the
 * AWS adapter (engine/adapters/aws/kinesis-sink.ts) and its memory twin. Pure: no I/O.
 *
 * Kinesis has no idempotent producer (a PutRecords call that is retried, or whose response
 * was lost, appends its records again), so the sink is at-least-once. Each record carries
 * a deterministic id instead, the same on every run of the same write:
 *
 *   data = JSON { sluiceId, jobId, generation, batchId, partition, key, value }
 *   sluiceId = hex of SHA-256 over (jobId, generation, batchId, partition, key), 32 characters
 *
 * A consumer keeps, per `key`, the record of the highest (generation, batchId) (generation
 * first, as `mayReplace` in engine/ports/sink.ts) and drops the records whose sluiceId it
 * has seen: a duplicate has the same id and the same data. Within one write the last row
 * of a key wins (as in the DynamoDB sink), so an id names one value.
 *
 * The partition key is the row key by default, so all versions of a row go to one shard,
 * in the order the batches wrote them (a retry or a zombie may append an older version
 * after a newer one: the (generation, batchId) in the record says which is newer). Kinesis
 * takes partition keys of 1 to 256 characters: a longer (or empty) one is replaced by its
 * SHA-256 (hex), which routes the same way every time.
 *
 * (Flink's Kinesis sink is at-least-once too, with no ids: "in case of a failure or a
 * resharding, data will be written again to Kinesis, leading to duplicates", Flink's
 * Kinesis connector docs. Spark ships no Kinesis sink.)
 */
import { createHash } from 'node:crypto';
import type { JsonObject } from '../json.js';
import { mayReplace, type RejectedRow, type SinkRow, type SinkWrite, type SinkWriteResult, type StoredRow } from '../ports/sink.js';

/** PutRecords: at most 500 records and 5 MiB per call; a record (data and partition key) at most 1 MiB (Kinesis API reference). */
export const KINESIS_MAX_RECORDS_PER_CALL = 500;
export const KINESIS_MAX_BYTES_PER_CALL = 5 * 1024 * 1024;
export const KINESIS_MAX_RECORD_BYTES = 1024 * 1024;
/** Partition keys are Unicode strings of 1 to 256 characters. */
export const KINESIS_MAX_PARTITION_KEY_LENGTH = 256;

/** What each record's data holds (JSON, UTF-8). */
export interface KinesisSinkEnvelope {
  readonly sluiceId: string;
  readonly jobId: string;
  readonly generation: number;
  readonly batchId: number;
  readonly partition: string;
  readonly key: string;
  readonly value: JsonObject;
}

export interface KinesisSinkRecord {
  readonly partitionKey: string;
  readonly data: Uint8Array;
  readonly envelope: KinesisSinkEnvelope;
}

/** The deterministic id of a row's record in a write: the same on every retry, zombie and replay of the same (generation, batch). */
export function sluiceIdOf(write: { jobId: string; generation: number; batchId: number; partition: string }, key: string): string {
  return createHash('sha256')
    .update(JSON.stringify([write.jobId, write.generation, write.batchId, write.partition, key]))
    .digest('hex')
    .slice(0, 32);
}

/** A partition key Kinesis takes: the given one when it is 1 to 256 characters, else its SHA-256 in hex. */
export function validPartitionKey(key: string): string {
  if (key.length >= 1 && key.length <= KINESIS_MAX_PARTITION_KEY_LENGTH) return key;
  return createHash('sha256').update(key).digest('hex');
}

/**
 * The records of a write, one per row key (the last row of a key wins), in the order of
 * each key's last row, and the rows no record can carry: larger than 1 MiB with their
 * envelope and partition key, or whose partition key function threw or returned no
 * string. Those are refused for good (dead letters), never retried: they would fail the
 * same way on every run and block the partition.
 */
export function kinesisRecordsOf(
  write: SinkWrite,
  partitionKeyOf?: (row: SinkRow) => string,
): { records: KinesisSinkRecord[]; rejected: RejectedRow[] } {
  const last = lastRowPerKey(write.rows);
  const records: KinesisSinkRecord[] = [];
  const rejected: RejectedRow[] = [];
  for (const row of last.values()) {
    const chosen = routingKeyOf(row, partitionKeyOf, 'partitionKey');
    if (typeof chosen !== 'string') {
      rejected.push(chosen);
      continue;
    }
    const partitionKey = validPartitionKey(chosen);
    const envelope = envelopeFor(write, row);
    const data = new TextEncoder().encode(JSON.stringify(envelope));
    const bytes = data.byteLength + Buffer.byteLength(partitionKey);
    if (bytes > KINESIS_MAX_RECORD_BYTES) {
      rejected.push({
        key: row.key,
        reason: `${bytes} bytes as a Kinesis record, above the ${KINESIS_MAX_RECORD_BYTES}-byte limit of a record`,
      });
      continue;
    }
    records.push({ partitionKey, data, envelope });
  }
  return { records, rejected };
}

/** A record's envelope, or null when the data is not one of this sink's records. */
export function envelopeOf(data: Uint8Array): KinesisSinkEnvelope | null {
  try {
    const parsed = JSON.parse(new TextDecoder().decode(data)) as Partial<KinesisSinkEnvelope> | null;
    if (
      parsed === null ||
      typeof parsed.sluiceId !== 'string' ||
      typeof parsed.key !== 'string' ||
      typeof parsed.generation !== 'number' ||
      typeof parsed.batchId !== 'number' ||
      typeof parsed.value !== 'object' ||
      parsed.value === null
    ) {
      return null;
    }
    return parsed as KinesisSinkEnvelope;
  } catch {
    return null;
  }
}

/**
 * What a consumer deduping by id sees, from records in stream order: per row key the
 * record of the highest (generation, batchId), generation first. Duplicates (the same id)
 * carry the same value, so which copy is kept does not matter. Sorted by key.
 */
export function dedupedView(envelopes: Iterable<KinesisSinkEnvelope>): StoredRow[] {
  const latest = new Map<string, StoredRow>();
  for (const e of envelopes) {
    const stored = latest.get(e.key);
    if (stored !== undefined && !mayReplace(stored, e)) continue;
    latest.set(e.key, { key: e.key, value: e.value, batchId: e.batchId, generation: e.generation });
  }
  return [...latest.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'object' && typeof (value as { then?: unknown }).then === 'function') return 'a Promise (it must be synchronous)';
  return typeof value;
}

/**
 * A write's result: counts are per row given (as the DynamoDB sink's), so a refused row's
 * earlier rows of the same key count as refused too.
 */
export function writeResultOf(request: SinkWrite, rejected: readonly RejectedRow[]): SinkWriteResult {
  const refusedKeys = new Set(rejected.map((r) => r.key));
  const refusedRows = request.rows.filter((row) => refusedKeys.has(row.key)).length;
  return { written: request.rows.length - refusedRows, skipped: 0, ...(rejected.length > 0 ? { rejected } : {}) };
}

/** A write's rows, the last of each key only (as the DynamoDB sink keeps them), in the order of their last appearance. */
export function lastRowPerKey(rows: readonly SinkRow[]): Map<string, SinkRow> {
  const last = new Map<string, SinkRow>();
  for (const row of rows) {
    last.delete(row.key);
    last.set(row.key, row);
  }
  return last;
}

/** A row's record envelope in a write: the same fields, and the same id, on every run of the write. */
export function envelopeFor(write: SinkWrite, row: SinkRow): KinesisSinkEnvelope {
  return {
    sluiceId: sluiceIdOf(write, row.key),
    jobId: write.jobId,
    generation: write.generation,
    batchId: write.batchId,
    partition: write.partition,
    key: row.key,
    value: row.value,
  };
}

/**
 * The key a stream sink routes a row by: the row key, or what the user's function (named
 * `label` in the reason) gives; a function that throws or gives no string refuses the row.
 */
export function routingKeyOf(row: SinkRow, fn: ((row: SinkRow) => string) | undefined, label: string): string | RejectedRow {
  if (fn === undefined) return row.key;
  let chosen: unknown;
  try {
    chosen = fn(row);
  } catch (error) {
    return { key: row.key, reason: `${label} threw: ${error instanceof Error ? error.message : String(error)}` };
  }
  return typeof chosen === 'string' ? chosen : { key: row.key, reason: `${label} must return a string, got ${describe(chosen)}` };
}
