import type { JsonObject } from '../json.js';

/**
 * Field names a row's value may not use: the sink stores the row key and the writing batch
 * under them. The executor sends a row that uses one to the dead-letter table; the sinks
 * refuse it with InvalidArgumentError.
 */
export const RESERVED_ROW_FIELDS: readonly string[] = ['pk', 'sluiceBatchId'];

/** The first reserved field name the row's value uses, if any. */
export function reservedFieldOf(row: SinkRow): string | undefined {
  return RESERVED_ROW_FIELDS.find((name) => Object.hasOwn(row.value, name));
}

export interface SinkRow {
  /** The row's identity in the sink: the same key is the same row. */
  readonly key: string;
  readonly value: JsonObject;
}

export interface StoredRow extends SinkRow {
  /** The batch that wrote the stored value. */
  readonly batchId: number;
}

export interface SinkWrite {
  readonly jobId: string;
  readonly batchId: number;
  readonly partition: string;
  readonly rows: readonly SinkRow[];
}

/**
 * An idempotent sink. Every stored row carries the batch that wrote it; a write replaces
 * a stored row only when its batch is the same or newer, so a retried or replayed batch
 * writes the same rows again and an older batch (a zombie's) never overwrites newer
 * output. Rows are absolute values (the count so far, not "+1"), so rewriting is harmless.
 */
export interface Sink {
  write(request: SinkWrite): Promise<{ written: number; skipped: number }>;
  get(key: string): Promise<StoredRow | null>;
  /** Every stored row: for checks, tests and the harness; not for the hot path. */
  scan(): Promise<StoredRow[]>;
}

export type SinkSpec =
  | { readonly type: 'dynamodb'; readonly tableName: string }
  | { readonly type: 'memory'; readonly name: string };

export type SinkFactory = (spec: SinkSpec) => Sink;
