/**
 * Stage 1's outputs too large to travel inline, on the two-stage path
 * (engine/protocol/stage-two.ts). One implementation, over the blob store
 * (engine/state/exchange-store.ts), on S3 and in memory alike.
 */
export interface ExchangeStore {
  /** The key of stage 1's output for (job, generation, batch, partition). */
  keyOf(args: { jobId: string; generation: number; batchId: number; partition: string }): string;
  put(key: string, body: Uint8Array): Promise<void>;
  /** Bytes [start, end) of an exchange object; a missing object is a TransientError. */
  readSlice(key: string, start: number, end: number): Promise<Buffer>;
  delete(keys: readonly string[]): Promise<void>;
}
