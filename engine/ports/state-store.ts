import type { JsonValue } from '../json.js';

/** Changes made by one batch: a value to put, or `undefined` to delete the key. */
export type StateChanges = ReadonlyMap<string, JsonValue | undefined>;

export interface StateVersionInfo {
  readonly version: number;
  /** The snapshot this version's chain starts from (itself when it is a snapshot). */
  readonly snapshotVersion: number;
  readonly kind: 'delta' | 'snapshot';
  readonly rows: number;
  readonly bytes: number;
}

export interface StateWrite {
  readonly jobId: string;
  readonly partition: string;
  /** The new version: the id of the batch that produced it. */
  readonly version: number;
  /** The version the changes apply to (0 = empty state). */
  readonly baseVersion: number;
  readonly changes: StateChanges;
  /** The full state after the changes: written as a snapshot when one is due. */
  readonly full: ReadonlyMap<string, JsonValue>;
  /** A snapshot (instead of a delta) is written when the chain since the last snapshot reaches this many versions. */
  readonly snapshotEvery: number;
  /**
   * The job's replay generation (0 when never replayed). A replay rewrites versions under
   * the same numbers with new content: adapters that cache what they read must keep
   * generations apart.
   */
  readonly generation?: number;
}

/**
 * Versioned keyed state of one partition of a job (Spark's StateStore, one version per
 * batch that changed it). Version N is written before batch N commits; writing the same
 * version twice with the same content is harmless, so retries and zombies are safe.
 */
export interface StateStore {
  /**
   * The state at `version`; version 0 is empty. Throws StateCorruptionError when the
   * version is missing. `generation` as in StateWrite (default 0).
   */
  load(jobId: string, partition: string, version: number, generation?: number): Promise<Map<string, JsonValue>>;
  write(request: StateWrite): Promise<{ bytesWritten: number; kind: 'delta' | 'snapshot' }>;
  /** The versions kept for a partition, oldest first. */
  listVersions(jobId: string, partition: string): Promise<StateVersionInfo[]>;
  listPartitions(jobId: string): Promise<string[]>;
  /**
   * Deletes what no version ≥ `version` needs: versions below it, except the snapshot and
   * deltas that the first kept version ≥ `version` reads (every later version's chain
   * starts no earlier). With no version ≥ `version`, every version below it goes.
   * Returns the number of objects deleted.
   */
  deleteVersionsBelow(jobId: string, partition: string, version: number): Promise<number>;
}
