import { StateCorruptionError } from '../errors.js';
import type { JsonValue } from '../json.js';

/**
 * The bytes of state versions in the blob store. Every object carries `format`; a reader
 * refuses a format it does not know rather than misreading it.
 *
 *   <version>.delta     { format, version, base, puts: [[key, value]...], deletes: [key...] }
 *   <version>.snapshot  { format, version, entries: [[key, value]...] }
 *   <version>.manifest  { format, version, kind, snapshotVersion, deltaVersions, rows, bytes }
 *
 * The manifest is written last: a version whose manifest exists is complete. Loading
 * version V reads V's manifest, then its snapshot and the deltas after it, in order.
 */
export const STATE_FORMAT = 1;

export interface DeltaObject {
  readonly format: number;
  readonly version: number;
  readonly base: number;
  readonly puts: [string, JsonValue][];
  readonly deletes: string[];
}

export interface SnapshotObject {
  readonly format: number;
  readonly version: number;
  readonly entries: [string, JsonValue][];
}

export interface ManifestObject {
  readonly format: number;
  readonly version: number;
  readonly kind: 'delta' | 'snapshot';
  /** The snapshot the chain starts from; 0 means the empty state (no snapshot object). */
  readonly snapshotVersion: number;
  /** Deltas after the snapshot, in order, ending with this version when it is a delta. */
  readonly deltaVersions: number[];
  readonly rows: number;
  readonly bytes: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeObject(value: DeltaObject | SnapshotObject | ManifestObject): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}

export function decodeObject<T extends { format: number }>(bytes: Uint8Array, key: string): T {
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(bytes));
  } catch (error) {
    throw new StateCorruptionError(`state object ${key} is not valid JSON`, { cause: error, context: { key } });
  }
  const format = (parsed as { format?: unknown } | null)?.format;
  if (format !== STATE_FORMAT) {
    throw new StateCorruptionError(`state object ${key} has format ${String(format)}; this engine reads format ${STATE_FORMAT}`, {
      context: { key },
    });
  }
  return parsed as T;
}
