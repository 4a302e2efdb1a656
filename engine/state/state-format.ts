import { StateCorruptionError } from '../errors.js';
import type { JsonValue } from '../json.js';

/**
 * The bytes of state versions in the blob store. Every object carries `format`; a reader
 * refuses a format it does not know rather than misreading it.
 *
 *   <version>.delta     { format, version, base, puts: [[key, value]...], deletes: [key...] }
 *   <version>.snapshot  { format, version, entries: [[key, value]...] }
 *   <version>.manifest  { format, version, kind, snapshotVersion, deltaVersions, rows, bytes,
 *                         inlineVersions?, body? }
 *
 * The manifest is written last: a version whose manifest exists is complete. Loading
 * version V reads V's manifest, then its snapshot and the deltas after it, in order.
 *
 * A body (the delta or snapshot) of at most INLINE_BODY_MAX_BYTES is not written as an
 * object of its own but inside its version's manifest (`body`), so a batch writes one
 * object per key group instead of two. `inlineVersions` names the versions of the chain
 * whose bodies are inside their manifests; a reader GETs those manifests for them. A
 * manifest with either field is of MANIFEST_FORMAT (2), which an older engine refuses
 * rather than looking for body objects that were never written.
 */
export const STATE_FORMAT = 1;
export const MANIFEST_FORMAT = 2;
/** Formats this engine reads: bodies of STATE_FORMAT, manifests of either. */
const READABLE_FORMATS: readonly number[] = [STATE_FORMAT, MANIFEST_FORMAT];
/** Bodies up to this size go inside their manifest (docs/key-groups.md: the demo's are under 1 KB). */
export const INLINE_BODY_MAX_BYTES = 64 * 1024;

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
  /** Bytes of the version's body (the delta or snapshot encoded), wherever it is stored. */
  readonly bytes: number;
  /** Versions of the chain (snapshotVersion, deltaVersions) whose bodies are in their own manifests; absent: none. */
  readonly inlineVersions?: readonly number[];
  /** This version's body, when it is inline (its version is in inlineVersions). */
  readonly body?: DeltaObject | SnapshotObject;
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
  if (typeof format !== 'number' || !READABLE_FORMATS.includes(format)) {
    throw new StateCorruptionError(
      `state object ${key} has format ${String(format)}; this engine reads formats ${READABLE_FORMATS.join(' and ')}`,
      {
        context: { key },
      },
    );
  }
  return parsed as T;
}
