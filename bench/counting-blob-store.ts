import type { BlobStore } from '../engine/ports/blob-store.js';

export interface PutRecord {
  readonly key: string;
  readonly bytes: number;
  /** Milliseconds the PUT took. */
  readonly ms: number;
  /** The body of small metadata objects (manifests), kept so the benchmark can read their row counts. */
  readonly body?: Uint8Array;
}

/**
 * A BlobStore that passes every call through and counts it: every PUT with its key and
 * size, and how many GETs (and bytes), LISTs and deleted keys there were.
 */
export class CountingBlobStore implements BlobStore {
  readonly puts: PutRecord[] = [];
  gets = 0;
  getBytes = 0;
  lists = 0;
  deletedKeys = 0;

  constructor(
    private readonly inner: BlobStore,
    private readonly keepBody: (key: string) => boolean = (key) => key.endsWith('.manifest'),
  ) {}

  async put(key: string, body: Uint8Array): Promise<void> {
    const started = performance.now();
    await this.inner.put(key, body);
    const ms = performance.now() - started;
    this.puts.push({ key, bytes: body.byteLength, ms, ...(this.keepBody(key) ? { body: body.slice() } : {}) });
  }

  async get(key: string): Promise<Uint8Array | null> {
    const body = await this.inner.get(key);
    this.gets += 1;
    this.getBytes += body?.byteLength ?? 0;
    return body;
  }

  async getRange(key: string, start: number, end: number): Promise<Uint8Array | null> {
    const body = await this.inner.getRange(key, start, end);
    this.gets += 1;
    this.getBytes += body?.byteLength ?? 0;
    return body;
  }

  async list(prefix: string): Promise<string[]> {
    this.lists += 1;
    return this.inner.list(prefix);
  }

  async delete(keys: readonly string[]): Promise<void> {
    await this.inner.delete(keys);
    this.deletedKeys += keys.length;
  }
}
