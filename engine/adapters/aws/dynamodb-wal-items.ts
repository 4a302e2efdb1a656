/**
 * The write-ahead log's items (their layout: dynamodb-write-ahead-log.ts): the sort keys,
 * the conditions writes put on items, and the records read back from items.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { InvalidArgumentError, StateCorruptionError } from '../../errors.js';
import { decodeBatchRecord, type StoredBatchRecord } from '../../protocol/batch-record-format.js';
import type { BatchCommit, BatchRecord } from '../../protocol/batch-records.js';
import type { RecordedRangeEnd } from '../../protocol/offsets.js';

export type Item = Record<string, unknown>;

/** The writer's epoch is still the lease's: no other driver has acquired the job since it did. */
export const LEASE_EPOCH_IS_CURRENT = '#epoch = :epoch';
/**
 * A plan's: the epoch is current, and no replay raised the job's generation above the
 * plan's (no generation yet: the job was never replayed, every plan qualifies).
 */
export const LEASE_EPOCH_IS_CURRENT_AND_GENERATION_NOT_ABOVE =
  '#epoch = :epoch AND (attribute_not_exists(#generation) OR #generation <= :generation)';
/** A replay's start: the epoch is current and the replay's generation is above the job's. */
export const LEASE_EPOCH_IS_CURRENT_AND_GENERATION_BELOW =
  '#epoch = :epoch AND (attribute_not_exists(#generation) OR #generation < :generation)';
/** Nothing is stored under this key yet: the first writer wins and nothing is overwritten. */
export const ITEM_DOES_NOT_EXIST = 'attribute_not_exists(sk)';
/**
 * The batch is still PLANNED (it exists and is not committed): a commit never rewrites a
 * commit. And its record is of a format this code reads (none: older than format
 * versions): a commit never goes into a newer code's record, whose reads fail.
 */
export const BATCH_IS_PLANNED_IN_A_KNOWN_FORMAT =
  '#status = :planned AND (attribute_not_exists(#formatVersion) OR #formatVersion <= :formatVersion)';

export const LEASE_SK = 'lease';
export const BATCH_PREFIX = 'batch#';
export const RANGE_PREFIX = 'range#';
export const REPLAY_PREFIX = 'replay#';
const SUPERSEDED_PREFIX = 'superseded#';
const ID_DIGITS = 12;
const GENERATION_DIGITS = 6;
export const MAX_ID = 10 ** ID_DIGITS - 1;

export function pad(id: number): string {
  if (!Number.isSafeInteger(id) || id < 0 || id > MAX_ID) {
    throw new InvalidArgumentError(`a batch id must be an integer from 0 to ${MAX_ID}, got ${id}`);
  }
  return String(id).padStart(ID_DIGITS, '0');
}

export function batchKey(batchId: number): string {
  return `${BATCH_PREFIX}${pad(batchId)}`;
}

export function rangeKey(batchId: number, partition: string): string {
  return `${RANGE_PREFIX}${pad(batchId)}#${partition}`;
}

function padGeneration(generation: number): string {
  if (!Number.isSafeInteger(generation) || generation < 1 || generation >= 10 ** GENERATION_DIGITS) {
    throw new InvalidArgumentError(`a replay generation must be an integer from 1 to ${10 ** GENERATION_DIGITS - 1}, got ${generation}`);
  }
  return String(generation).padStart(GENERATION_DIGITS, '0');
}

export function replayKey(generation: number): string {
  return `${REPLAY_PREFIX}${padGeneration(generation)}`;
}

export function supersededPrefix(generation: number): string {
  return `${SUPERSEDED_PREFIX}${padGeneration(generation)}#`;
}

export function supersededBatchKey(generation: number, batchId: number): string {
  return `${supersededPrefix(generation)}${BATCH_PREFIX}${pad(batchId)}`;
}

export function supersededRangeKey(generation: number, batchId: number, partition: string): string {
  return `${supersededPrefix(generation)}${RANGE_PREFIX}${pad(batchId)}#${partition}`;
}

/**
 * The plan and the commit are stored gzip'd JSON (`planZ`, `commitZ`: binary), as AWS
 * advises for large attributes: a committed batch item of a 4-shard job, about 3.6 KB as
 * plain attributes (most of it 56-digit sequence numbers, twice per shard, and per-group
 * versions), is about 1.1 KB, so the plan's put and the commit's update each write a few
 * capacity units fewer, and a job has three times the room under the 400 KB item limit.
 * Status and formatVersion stay plain: the conditions of the protocol read them. Items
 * written before (format 3 and older: plain `plan` and `commit`) are read as they are.
 */
export function batchItemAttributes(stored: StoredBatchRecord): Item {
  const { plan, commit, ...rest } = stored;
  return { ...rest, planZ: gzipJson(plan), ...(commit === undefined ? {} : { commitZ: gzipJson(commit) }) };
}

export function commitAttribute(commit: BatchCommit): Uint8Array {
  return gzipJson(commit);
}

/** A batch item's record, decoded (the item without its keys is the stored record). */
export function toBatchRecord(item: Item): BatchRecord {
  const { pk, sk: _sk, batchId, planZ, commitZ, ...stored } = item;
  const where = { jobId: String(pk), batchId: Number(batchId) };
  if (planZ !== undefined) stored.plan = gunzipJson(planZ, where, 'plan');
  if (commitZ !== undefined) stored.commit = gunzipJson(commitZ, where, 'commit');
  return decodeBatchRecord(stored, where);
}

function gzipJson(value: unknown): Uint8Array {
  return gzipSync(JSON.stringify(value));
}

function gunzipJson(value: unknown, where: { jobId: string; batchId: number }, name: string): unknown {
  try {
    if (!(value instanceof Uint8Array)) throw new TypeError(`${typeof value}, not binary`);
    return JSON.parse(gunzipSync(value).toString('utf8'));
  } catch (error) {
    throw new StateCorruptionError(
      `job ${where.jobId}: batch ${where.batchId} of the write-ahead log has an unreadable ${name}: ${String(error)}`,
      {
        cause: error,
        context: { ...where, attribute: `${name}Z` },
      },
    );
  }
}

export function toRangeEnd(item: {
  count?: unknown;
  lastOffset?: unknown;
  closed?: unknown;
  startedAt?: unknown;
  more?: unknown;
}): RecordedRangeEnd {
  return {
    count: item.count as number,
    ...(item.lastOffset === undefined ? {} : { lastOffset: item.lastOffset as string }),
    ...(item.closed === undefined ? {} : { closed: item.closed as boolean }),
    ...(item.startedAt === undefined ? {} : { startedAt: item.startedAt as string }),
    ...(item.more === true ? { more: true } : {}),
  };
}
