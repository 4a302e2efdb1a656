/**
 * Bytes under keys: what the state store keeps its versions in (S3 on AWS).
 * Writes are whole-object and last-writer-wins; the engine never relies on conditional
 * object writes (the commit point is the WAL's conditional write).
 */
export interface BlobStore {
  put(key: string, body: Uint8Array): Promise<void>;
  /** The object's bytes, or null when there is no such key. */
  get(key: string): Promise<Uint8Array | null>;
  /** Bytes [start, end) of the object (a ranged GET), or null when there is no such key. */
  getRange(key: string, start: number, end: number): Promise<Uint8Array | null>;
  /** All keys under `prefix`, in lexical order. */
  list(prefix: string): Promise<string[]>;
  /** Deletes the keys (missing keys are fine). */
  delete(keys: readonly string[]): Promise<void>;
}
