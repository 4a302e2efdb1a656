/**
 * The exchange between the two stages of a batch (docs/design/key-groups.md): what stage 1
 * writes for one (generation, batch, source partition), and how stage 2 finds its key
 * group's share of it.
 *
 * Format: JSON Lines, one row per line, rows grouped by key group in ascending group
 * order and, within a group, in the order stage 1 produced them (record order: a key's
 * rows from one partition stay in offset order). The index maps each group that has rows
 * to its byte range [start, end) in the body, so stage 2 reads its slice with one ranged
 * GET, or from the inline copy.
 *
 * Determinism is the rule that makes the exchange safe: the body and the index are a
 * function of the rows alone (no timestamps, no map iteration order of unknown origin), so
 * a retry, a zombie or a replay of stage 1 writes the same bytes under the same key, and
 * stage 2 reads the same slice whichever attempt wrote it.
 *
 * Pure: no I/O.
 */
import { InvariantError } from '../errors.js';
import type { JsonValue } from '../json.js';

/** One row routed to a key group. */
export interface ExchangeRow {
  readonly group: number;
  readonly row: JsonValue;
}

/** Byte ranges [start, end) of each key group's rows in an exchange body, by group. */
export type ExchangeIndex = Readonly<Record<string, readonly [number, number]>>;

export interface EncodedExchange {
  readonly body: Buffer;
  readonly index: ExchangeIndex;
}

/**
 * The most bytes of stage-1 output, all partitions together, that travel inline in the
 * executors' results rather than through S3. Bounded by the Step Functions payload limit
 * (256 KiB for a state's whole input or output, infra/state-machines/batches-definition.ts):
 * in the state an inline body is a JSON string, where each quote, backslash and newline of
 * the JSON Lines is escaped, so it takes up to twice its bytes (128 KiB), and the other
 * 128 KiB is left for the rest of the batch's state (the plan, stage 1's indexes, the route
 * and stage 2's results).
 */
export const INLINE_EXCHANGE_TOTAL_BYTES = 64 * 1024;

/** Whether a stage-1 output of `bytes` goes inline, for a batch of `partitions` partitions. Deterministic in its inputs. */
export function exchangesInline(bytes: number, partitions: number): boolean {
  if (!Number.isInteger(partitions) || partitions < 1) throw new InvariantError(`a batch has at least one partition, got ${partitions}`);
  return bytes <= Math.floor(INLINE_EXCHANGE_TOTAL_BYTES / partitions);
}

/** Encodes rows as the exchange body and its index (a stable sort by group keeps each group's order). */
export function encodeExchange(rows: readonly ExchangeRow[]): EncodedExchange {
  const order = rows.map((r, i) => ({ group: r.group, i }));
  for (const { group } of order) {
    if (!Number.isInteger(group) || group < 0)
      throw new InvariantError(`an exchange row's key group is a non-negative integer, got ${group}`);
  }
  order.sort((a, b) => a.group - b.group || a.i - b.i);
  const parts: Buffer[] = [];
  const index: Record<string, [number, number]> = {};
  let offset = 0;
  for (const { group, i } of order) {
    const line = Buffer.from(`${JSON.stringify(rows[i]!.row)}\n`, 'utf8');
    const range = index[group];
    if (range === undefined) index[group] = [offset, offset + line.length];
    else range[1] = offset + line.length;
    parts.push(line);
    offset += line.length;
  }
  return { body: Buffer.concat(parts, offset), index };
}

/** The groups an index has rows for, ascending. */
export function groupsOf(index: ExchangeIndex): number[] {
  return Object.keys(index)
    .map(Number)
    .sort((a, b) => a - b);
}

/** The rows of one group's slice (the bytes of its index range), in the order they were encoded. */
export function decodeExchangeSlice(slice: Buffer | string): JsonValue[] {
  const text = typeof slice === 'string' ? slice : slice.toString('utf8');
  if (text === '') return [];
  if (!text.endsWith('\n')) throw new InvariantError('an exchange slice ends with a newline: this one was cut short');
  return text
    .slice(0, -1)
    .split('\n')
    .map((line) => JSON.parse(line) as JsonValue);
}

/** The slice of `group` in a whole body, or an empty buffer when the index has no rows of it. */
export function sliceOf(body: Buffer, index: ExchangeIndex, group: number): Buffer {
  const range = index[group];
  return range === undefined ? Buffer.alloc(0) : body.subarray(range[0], range[1]);
}

/**
 * Every exchange object lives under this prefix of the checkpoint bucket, apart from the
 * state (`jobs/`), so that one lifecycle rule on it expires whatever a crash left behind.
 */
export const EXCHANGE_PREFIX = 'exchange/';

/**
 * Where stage 1's output for (generation, batch, partition) lives in the checkpoint
 * bucket: `<prefix><job>/g<generation>/<batch>/<partition>`, prefix EXCHANGE_PREFIX by
 * default. The generation keeps a replay's exchange apart from the run it supersedes.
 */
export function exchangeObjectKey(args: { prefix: string; jobId: string; generation: number; batchId: number; partition: string }): string {
  const { prefix, jobId, generation, batchId, partition } = args;
  return `${prefix}${encodeURIComponent(jobId)}/g${generation}/${batchId}/${encodeURIComponent(partition)}`;
}
