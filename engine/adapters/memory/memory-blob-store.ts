import type { BlobStore } from '../../ports/blob-store.js';

export class MemoryBlobStore implements BlobStore {
  private readonly objects = new Map<string, Uint8Array>();
  /** PUT requests served, for the benchmark's bytes-per-batch figures and tests. */
  puts = 0;
  bytesPut = 0;

  async put(key: string, body: Uint8Array): Promise<void> {
    this.puts += 1;
    this.bytesPut += body.byteLength;
    this.objects.set(key, new Uint8Array(body));
  }

  async get(key: string): Promise<Uint8Array | null> {
    const body = this.objects.get(key);
    return body === undefined ? null : new Uint8Array(body);
  }

  async getRange(key: string, start: number, end: number): Promise<Uint8Array | null> {
    const body = this.objects.get(key);
    return body === undefined ? null : new Uint8Array(body.subarray(start, end));
  }

  async list(prefix: string): Promise<string[]> {
    return [...this.objects.keys()].filter((k) => k.startsWith(prefix)).sort();
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (const key of keys) this.objects.delete(key);
  }
}
