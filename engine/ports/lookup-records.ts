import type { LookupRecord, LookupRecordAddress } from '../protocol/lookup-record.js';

/**
 * Where the lookup records of batches are kept (engine/protocol/lookup-record.ts has the
 * protocol): in the checkpoint bucket, whole objects, last writer wins.
 */
export interface LookupRecordStore {
  get(address: LookupRecordAddress): Promise<LookupRecord | null>;
  put(address: LookupRecordAddress, record: LookupRecord): Promise<void>;
  /** The generations holding a record of (job, batch, partition), ascending. */
  generations(jobId: string, batchId: number, partition: string): Promise<number[]>;
  /** Deletes every record of a batch (all generations and partitions). */
  deleteBatch(jobId: string, batchId: number): Promise<void>;
}
