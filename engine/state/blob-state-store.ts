import { StateCorruptionError } from '../errors.js';
import type { JsonValue } from '../json.js';
import type { BlobStore } from '../ports/blob-store.js';
import type { StateStore, StateVersionInfo, StateWrite } from '../ports/state-store.js';
import {
  INLINE_BODY_MAX_BYTES,
  MANIFEST_FORMAT,
  STATE_FORMAT,
  decodeObject,
  encodeObject,
  type DeltaObject,
  type ManifestObject,
  type SnapshotObject,
} from './state-format.js';

/** Where the state store keeps the jobs' state in its bucket, unless told otherwise. */
export const STATE_PREFIX = 'jobs/';

/**
 * Versioned state of each partition, kept as objects in a blob store (S3 on AWS):
 *
 *   <prefix><job>/state/<partition>/<version, 20 digits>.delta | .snapshot | .manifest
 *
 * Version N is written by batch N before it commits: a delta (the batch's puts and
 * deletes) or, when the chain since the last snapshot reaches `snapshotEvery`, a full
 * snapshot; then the manifest, which names the chain to load. A small body (the usual
 * case: state-format.ts, INLINE_BODY_MAX_BYTES) goes inside the manifest, so the version is
 * one PUT, and a crash leaves it whole or absent. Keys are deterministic and
 * the content is a function of (base state, batch input), so a retried or zombie write of
 * version N rewrites the same bytes: no rename, no conditional object write needed. The
 * version only becomes the partition's state when the WAL commit names it.
 *
 * Versions are sparse: a batch that changes nothing writes nothing and the commit keeps
 * pointing at the older version, so an idle job writes no state.
 */
export class BlobStateStore implements StateStore {
  private readonly prefix: string;
  /**
   * Manifests are small and immutable per (job, partition, version, replay generation):
   * cache the recent ones. Within a generation a version's content is deterministic; a
   * replay (a new generation) rewrites versions under the same keys, so its reads miss
   * the cache instead of finding the superseded chain.
   */
  private readonly manifests = new Map<string, ManifestObject>();

  constructor(
    private readonly blobs: BlobStore,
    options: { prefix?: string } = {},
  ) {
    this.prefix = options.prefix ?? STATE_PREFIX;
  }

  async load(jobId: string, partition: string, version: number, generation = 0): Promise<Map<string, JsonValue>> {
    const state = new Map<string, JsonValue>();
    if (version === 0) return state;
    const manifest = await this.requireManifest(jobId, partition, version, generation);
    if (manifest.snapshotVersion > 0) {
      const snapshot = await this.body<SnapshotObject>(jobId, partition, manifest, manifest.snapshotVersion, 'snapshot');
      for (const [k, v] of snapshot.entries) state.set(k, v);
    }
    for (const deltaVersion of manifest.deltaVersions) {
      const delta = await this.body<DeltaObject>(jobId, partition, manifest, deltaVersion, 'delta');
      for (const [k, v] of delta.puts) state.set(k, v);
      for (const k of delta.deletes) state.delete(k);
    }
    return state;
  }

  async write(request: StateWrite): Promise<{ bytesWritten: number; kind: 'delta' | 'snapshot' }> {
    const { jobId, partition, version, baseVersion, changes, full } = request;
    const generation = request.generation ?? 0;
    if (!(version > baseVersion)) {
      throw new RangeError(`state version ${version} must be above its base ${baseVersion}`);
    }
    const base = baseVersion === 0 ? null : await this.requireManifest(jobId, partition, baseVersion, generation);
    const chain = base === null ? [] : base.deltaVersions;
    const snapshotDue = chain.length + 1 >= Math.max(1, request.snapshotEvery);
    let body: DeltaObject | SnapshotObject;
    if (snapshotDue) {
      body = { format: STATE_FORMAT, version, entries: [...full].sort(byKey) } satisfies SnapshotObject;
    } else {
      const puts: [string, JsonValue][] = [];
      const deletes: string[] = [];
      for (const [k, v] of changes) {
        if (v === undefined) deletes.push(k);
        else puts.push([k, v]);
      }
      body = { format: STATE_FORMAT, version, base: baseVersion, puts: puts.sort(byKey), deletes: deletes.sort() } satisfies DeltaObject;
    }
    const kind = snapshotDue ? 'snapshot' : 'delta';
    const encoded = encodeObject(body);
    const inline = encoded.byteLength <= INLINE_BODY_MAX_BYTES;
    // A body of its own is written before the manifest that names it (the manifest marks the version complete).
    if (!inline) await this.blobs.put(this.key(jobId, partition, version, kind), encoded);
    const inlineBefore = snapshotDue ? [] : (base?.inlineVersions ?? []);
    const manifest: ManifestObject = {
      format: MANIFEST_FORMAT,
      version,
      kind,
      snapshotVersion: snapshotDue ? version : (base?.snapshotVersion ?? 0),
      deltaVersions: snapshotDue ? [] : [...chain, version],
      rows: full.size,
      bytes: encoded.byteLength,
      inlineVersions: inline ? [...inlineBefore, version] : inlineBefore,
      ...(inline ? { body } : {}),
    };
    const manifestBody = encodeObject(manifest);
    await this.blobs.put(this.key(jobId, partition, version, 'manifest'), manifestBody);
    this.remember(jobId, partition, manifest, generation);
    return { bytesWritten: inline ? manifestBody.byteLength : encoded.byteLength + manifestBody.byteLength, kind };
  }

  async listVersions(jobId: string, partition: string): Promise<StateVersionInfo[]> {
    const keys = await this.blobs.list(this.partitionPrefix(jobId, partition));
    const versions = keys.filter((k) => k.endsWith('.manifest')).map((k) => versionOf(k));
    const infos: StateVersionInfo[] = [];
    for (const version of versions.sort((a, b) => a - b)) {
      const m = await this.requireManifest(jobId, partition, version);
      infos.push({ version, snapshotVersion: m.snapshotVersion, kind: m.kind, rows: m.rows, bytes: m.bytes });
    }
    return infos;
  }

  async listPartitions(jobId: string): Promise<string[]> {
    const root = `${this.prefix}${jobId}/state/`;
    const keys = await this.blobs.list(root);
    const partitions = new Set(keys.map((k) => decodeURIComponent(k.slice(root.length).split('/', 1)[0]!)));
    return [...partitions].sort();
  }

  async deleteVersionsBelow(jobId: string, partition: string, version: number): Promise<number> {
    if (version <= 0) return 0;
    const keys = await this.blobs.list(this.partitionPrefix(jobId, partition));
    // Every version ≥ `version` reads a chain that starts at a snapshot ≥ the first such
    // version's; with no version ≥ `version`, nothing below it is read any more.
    const firstKept = keys
      .filter((k) => k.endsWith('.manifest'))
      .map(versionOf)
      .filter((v) => v >= version)
      .reduce((min, v) => Math.min(min, v), Infinity);
    // Read from the store, not the cache: a replay may have rewritten that manifest (at a
    // new generation, on another chain) since this instance cached it.
    const keepFrom = firstKept === Infinity ? version : (await this.storedManifest(jobId, partition, firstKept)).snapshotVersion;
    const doomed = keys.filter((k) => versionOf(k) < keepFrom);
    await this.blobs.delete(doomed);
    const gone = new Set(doomed);
    for (const key of [...this.manifests.keys()]) if (gone.has(key.slice(0, key.lastIndexOf('@')))) this.manifests.delete(key);
    return doomed.length;
  }

  /**
   * The body of `version`, a link of `head`'s chain: inside that version's manifest when
   * the chain says so (read from the store: the cache keeps manifests without bodies), else
   * its own object.
   */
  private async body<T extends DeltaObject | SnapshotObject>(
    jobId: string,
    partition: string,
    head: ManifestObject,
    version: number,
    kind: 'delta' | 'snapshot',
  ): Promise<T> {
    if (head.version === version && head.body !== undefined) return head.body as T;
    if (!(head.inlineVersions ?? []).includes(version)) {
      const key = this.key(jobId, partition, version, kind);
      return decodeObject<T>(await this.require(key), key);
    }
    const manifest = await this.storedManifest(jobId, partition, version);
    if (manifest.body === undefined || manifest.body.version !== version || manifest.kind !== kind) {
      throw new StateCorruptionError(
        `state version ${version} of partition ${partition} of job ${jobId} should hold its ${kind} in its manifest and does not`,
        { context: { jobId, partition, version } },
      );
    }
    return manifest.body as T;
  }

  private async requireManifest(jobId: string, partition: string, version: number, generation = 0): Promise<ManifestObject> {
    const manifest = await this.manifest(jobId, partition, version, generation);
    if (manifest === null) {
      throw new StateCorruptionError(`state version ${version} of partition ${partition} of job ${jobId} is missing`, {
        context: { jobId, partition, version },
      });
    }
    return manifest;
  }

  private async storedManifest(jobId: string, partition: string, version: number): Promise<ManifestObject> {
    const key = this.key(jobId, partition, version, 'manifest');
    const body = await this.blobs.get(key);
    if (body === null) {
      throw new StateCorruptionError(`state version ${version} of partition ${partition} of job ${jobId} is missing`, {
        context: { jobId, partition, version },
      });
    }
    return decodeObject<ManifestObject>(body, key);
  }

  private async manifest(jobId: string, partition: string, version: number, generation = 0): Promise<ManifestObject | null> {
    const key = this.key(jobId, partition, version, 'manifest');
    const cached = this.manifests.get(cacheKey(key, generation));
    if (cached !== undefined) return cached;
    const body = await this.blobs.get(key);
    if (body === null) return null;
    const manifest = decodeObject<ManifestObject>(body, key);
    this.remember(jobId, partition, manifest, generation);
    return manifest;
  }

  /** Caches a manifest without its body: a warm executor keeps the state itself (executor/state-cache.ts). */
  private remember(jobId: string, partition: string, manifest: ManifestObject, generation: number): void {
    if (this.manifests.size >= 1024) this.manifests.delete(this.manifests.keys().next().value!);
    const { body: _body, ...withoutBody } = manifest;
    this.manifests.set(cacheKey(this.key(jobId, partition, manifest.version, 'manifest'), generation), withoutBody);
  }

  private async require(key: string): Promise<Uint8Array> {
    const body = await this.blobs.get(key);
    if (body === null) throw new StateCorruptionError(`state object ${key} is missing`, { context: { key } });
    return body;
  }

  private partitionPrefix(jobId: string, partition: string): string {
    return `${this.prefix}${jobId}/state/${encodeURIComponent(partition)}/`;
  }

  private key(jobId: string, partition: string, version: number, kind: 'delta' | 'snapshot' | 'manifest'): string {
    return `${this.partitionPrefix(jobId, partition)}${String(version).padStart(20, '0')}.${kind}`;
  }
}

function cacheKey(objectKey: string, generation: number): string {
  return `${objectKey}@${generation}`;
}

function versionOf(key: string): number {
  const name = key.slice(key.lastIndexOf('/') + 1);
  return Number(name.slice(0, name.indexOf('.')));
}

function byKey<T>([a]: [string, T], [b]: [string, T]): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
