/**
 * The lookup records (engine/protocol/lookup-record.ts) as objects of a blob store: the
 * checkpoint bucket on AWS, under LOOKUP_PREFIX.
 */
import type { BlobStore } from '../ports/blob-store.js';
import type { LookupRecordStore } from '../ports/lookup-records.js';
import {
  decodeLookupRecord,
  encodeLookupRecord,
  LOOKUP_PREFIX,
  lookupBatchPrefix,
  lookupRecordKey,
  parseLookupRecordKey,
  type LookupRecord,
  type LookupRecordAddress,
} from '../protocol/lookup-record.js';

export class BlobLookupRecordStore implements LookupRecordStore {
  private readonly prefix: string;

  constructor(
    private readonly blobs: BlobStore,
    options: { prefix?: string } = {},
  ) {
    this.prefix = options.prefix ?? LOOKUP_PREFIX;
  }

  async get(address: LookupRecordAddress): Promise<LookupRecord | null> {
    const key = lookupRecordKey({ prefix: this.prefix, ...address });
    const bytes = await this.blobs.get(key);
    return bytes === null ? null : decodeLookupRecord(bytes, key);
  }

  async put(address: LookupRecordAddress, record: LookupRecord): Promise<void> {
    await this.blobs.put(lookupRecordKey({ prefix: this.prefix, ...address }), encodeLookupRecord(record));
  }

  async generations(jobId: string, batchId: number, partition: string): Promise<number[]> {
    const prefix = lookupBatchPrefix({ prefix: this.prefix, jobId, batchId });
    const found = (await this.blobs.list(prefix)).map((key) => parseLookupRecordKey(prefix, key));
    return found.flatMap((f) => (f !== null && f.partition === partition ? [f.generation] : [])).sort((a, b) => a - b);
  }

  async deleteBatch(jobId: string, batchId: number): Promise<void> {
    const keys = await this.blobs.list(lookupBatchPrefix({ prefix: this.prefix, jobId, batchId }));
    if (keys.length > 0) await this.blobs.delete(keys);
  }
}
