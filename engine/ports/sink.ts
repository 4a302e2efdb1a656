import type { JsonObject } from '../json.js';

/**
 * Field names a row's value may not use: the sink stores the row key, the writing batch
 * and its replay generation under them. The executor sends a row that uses one to the
 * dead-letter table; the sinks refuse it with InvalidArgumentError.
 */
export const RESERVED_ROW_FIELDS: readonly string[] = ['pk', 'sluiceBatchId', 'sluiceGeneration'];

/** The first reserved field name the row's value uses, if any. */
export function reservedFieldOf(row: SinkRow): string | undefined {
  return RESERVED_ROW_FIELDS.find((name) => Object.hasOwn(row.value, name));
}

export interface SinkRow {
  /** The row's identity in the sink: the same key is the same row. */
  readonly key: string;
  readonly value: JsonObject;
  /**
   * The job's named side output the row belongs to (JobSpec.outputs), or absent for the
   * job's own sinks. The executor routes rows by it (engine/executor/sink-writes.ts);
   * sinks never see it.
   */
  readonly output?: string;
}

export interface StoredRow extends SinkRow {
  /** The batch that wrote the stored value. */
  readonly batchId: number;
  /** The replay generation of that batch's plan (0 for rows stored before generations existed). */
  readonly generation: number;
}

export interface SinkWrite {
  readonly jobId: string;
  readonly batchId: number;
  /** The job's replay generation, from the batch's plan (engine/protocol/batch-records.ts): 0 until a replay. */
  readonly generation: number;
  readonly partition: string;
  readonly rows: readonly SinkRow[];
}

/**
 * Whether a write of (generation, batchId) may replace a stored row: when its pair is not
 * older than the stored one, compared generation first (lexicographically).
 */
export function mayReplace(
  stored: { readonly generation: number; readonly batchId: number },
  write: { readonly generation: number; readonly batchId: number },
): boolean {
  if (write.generation !== stored.generation) return write.generation > stored.generation;
  return write.batchId >= stored.batchId;
}

/**
 * An idempotent sink. Every stored row carries the batch that wrote it and that batch's
 * replay generation; a write replaces a stored row only when its (generation, batch) is
 * the same or newer, compared generation first. So a retried batch writes the same rows
 * again, an older batch (a zombie's) never overwrites newer output, and a replay
 * (engine/replay: a higher generation) replaces the rows of the batches it superseded,
 * whose later batch ids would otherwise win. Rows are absolute values (the count so far,
 * not "+1"), so rewriting is harmless.
 *
 * The limit of a replay in place: a row the replayed batches never write keeps the value
 * the superseded batches gave it. Replay into a new job's sink for a clean result.
 */
export interface Sink {
  write(request: SinkWrite): Promise<{ written: number; skipped: number }>;
  get(key: string): Promise<StoredRow | null>;
  /** Every stored row: for checks, tests and the harness; not for the hot path. */
  scan(): Promise<StoredRow[]>;
}

export type SinkSpec = { readonly type: 'dynamodb'; readonly tableName: string } | { readonly type: 'memory'; readonly name: string };

export type SinkFactory = (spec: SinkSpec) => Sink;
