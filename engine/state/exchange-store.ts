/**
 * Where stage 1 of a two-stage batch leaves a partition's output when it is too large to
 * travel inline (engine/protocol/stage-two.ts), and where stage 2 reads its key group's
 * slice with one ranged GET. Objects sit in the checkpoint bucket, apart from the state:
 *
 *   exchange/<job>/g<generation>/<batch>/<partition>
 *
 * Keys and bytes are deterministic (exchange-format.ts), so a retry, a zombie or a replay
 * of stage 1 rewrites the same object. An object is needed only until its batch commits:
 * the driver deletes a committed batch's objects, and the CDK stack's lifecycle rule on
 * the prefix (EXCHANGE_PREFIX) expires any a crash left behind.
 */
import { TransientError } from '../errors.js';
import type { BlobStore } from '../ports/blob-store.js';
import type { ExchangeStore } from '../ports/exchange-store.js';
import { EXCHANGE_PREFIX, exchangeObjectKey } from '../protocol/exchange-format.js';

export class BlobExchangeStore implements ExchangeStore {
  private readonly prefix: string;

  constructor(
    private readonly blobs: BlobStore,
    options: { prefix?: string } = {},
  ) {
    this.prefix = options.prefix ?? EXCHANGE_PREFIX;
  }

  /** The key of stage 1's output for (job, generation, batch, partition). */
  keyOf(args: { jobId: string; generation: number; batchId: number; partition: string }): string {
    return exchangeObjectKey({ prefix: this.prefix, ...args });
  }

  async put(key: string, body: Uint8Array): Promise<void> {
    await this.blobs.put(key, body);
  }

  /**
   * Bytes [start, end) of an exchange object. A missing object was deleted because its
   * batch committed while this reader ran late (a zombie or a slow retry): the error is
   * retryable, and the retry finds the batch committed and returns its recorded result.
   * An object shorter than the range is being written again, by a twin of its stage 1,
   * on a store whose writes are not atomic (s3rver truncates a file and then writes it;
   * S3 itself never shows half an object): retryable too, the twin writes the same bytes.
   */
  async readSlice(key: string, start: number, end: number): Promise<Buffer> {
    const bytes = await this.blobs.getRange(key, start, end);
    if (bytes === null) {
      throw new TransientError(`exchange object ${key} is gone: its batch has committed since this executor started`, {
        context: { key },
      });
    }
    if (bytes.byteLength < end - start) {
      throw new TransientError(
        `exchange object ${key} ends at byte ${start + bytes.byteLength}, before the end of the range [${start}, ${end}) its index names: ` +
          'it is being written again',
        { context: { key, start, end } },
      );
    }
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  async delete(keys: readonly string[]): Promise<void> {
    if (keys.length > 0) await this.blobs.delete(keys);
  }
}
