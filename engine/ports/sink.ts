import type { JsonObject } from '../json.js';

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
