import { decodeObject, type ManifestObject } from '../engine/state/state-format.js';
import type { CountingBlobStore } from './counting-blob-store.js';
import { mean } from './stats.js';

export interface VersionKindFigures {
  /** State versions of this kind written, over all partitions. */
  readonly versions: number;
  /** Of them, versions whose body went inside the manifest (engine/state/state-format.ts): one PUT, not two. */
  readonly inline: number;
  /** Average bytes of one partition's delta or snapshot body, its own object or inside the manifest. */
  readonly avgObjectBytes: number;
  /** Average bytes of the manifest written with it. */
  readonly avgManifestBytes: number;
  /** Average state rows of the partition at that version (from the manifest). */
  readonly avgRows: number;
  /** Average milliseconds of the body's PUT (the manifest's, for an inline body). */
  readonly avgPutMs: number;
}

export interface StateBytesResult {
  readonly job: string;
  readonly snapshotEvery: number;
  /** Batches that wrote state (distinct versions). */
  readonly batches: number;
  readonly puts: number;
  readonly bytes: number;
  readonly bytesPerBatch: number;
  readonly putsPerBatch: number;
  readonly delta: VersionKindFigures;
  readonly snapshot: VersionKindFigures;
  /** Blob-store traffic besides PUTs during the run (a warm executor should need no GETs). */
  readonly gets: number;
  readonly lists: number;
  readonly deletedKeys: number;
}

/**
 * What the state store wrote to the blob store for one job, from the PUTs a counting blob
 * store saw: keys are `<prefix><job>/state/<partition>/<version>.<kind>`.
 */
export function analyseStateWrites(blobs: CountingBlobStore, job: string, snapshotEvery: number): StateBytesResult {
  const marker = `${job}/state/`;
  const objects = new Map<string, { kind: string; bytes: number; ms: number; inline: boolean }>();
  const manifests = new Map<string, { bytes: number; manifest: ManifestObject }>();
  const versions = new Set<number>();
  let puts = 0;
  let bytes = 0;
  for (const put of blobs.puts) {
    const at = put.key.indexOf(marker);
    if (at < 0) continue;
    const [partition, file] = put.key.slice(at + marker.length).split('/') as [string, string];
    const [version, kind] = file.split('.') as [string, string];
    const id = `${partition}/${Number(version)}`;
    versions.add(Number(version));
    puts += 1;
    bytes += put.bytes;
    if (kind === 'manifest' && put.body !== undefined) {
      const manifest = decodeObject<ManifestObject>(put.body, put.key);
      manifests.set(id, { bytes: put.bytes, manifest });
      if (manifest.body !== undefined) objects.set(id, { kind: manifest.kind, bytes: manifest.bytes, ms: put.ms, inline: true });
    } else {
      objects.set(id, { kind, bytes: put.bytes, ms: put.ms, inline: false });
    }
  }
  const figures = (kind: 'delta' | 'snapshot'): VersionKindFigures => {
    const ids = [...objects].filter(([, o]) => o.kind === kind).map(([id]) => id);
    return {
      versions: ids.length,
      inline: ids.filter((id) => objects.get(id)!.inline).length,
      avgObjectBytes: mean(ids.map((id) => objects.get(id)!.bytes)),
      avgManifestBytes: mean(ids.map((id) => manifests.get(id)?.bytes ?? Number.NaN)),
      avgRows: mean(ids.map((id) => manifests.get(id)?.manifest.rows ?? Number.NaN)),
      avgPutMs: mean(ids.map((id) => objects.get(id)!.ms)),
    };
  };
  return {
    job,
    snapshotEvery,
    batches: versions.size,
    puts,
    bytes,
    bytesPerBatch: versions.size === 0 ? Number.NaN : bytes / versions.size,
    putsPerBatch: versions.size === 0 ? Number.NaN : puts / versions.size,
    delta: figures('delta'),
    snapshot: figures('snapshot'),
    gets: blobs.gets,
    lists: blobs.lists,
    deletedKeys: blobs.deletedKeys,
  };
}
