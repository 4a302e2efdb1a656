/**
 * Dead letters in memory, in the layout of the DynamoDB table (engine/ports/dead-letter-bundles.ts):
 * bundles under the same keys, read back in key order, so a replay's overlapping bundles,
 * the order and the paging behave as they do on DynamoDB. A bundle is cut at `maxBundleBytes`
 * of JSON (DynamoDB's limit is on gzip bytes).
 */
import {
  deadLetterPartitionPrefix,
  type DeadLetter,
  type DeadLetterPage,
  type DeadLetterPageOptions,
  type DeadLetterQueue,
} from '../../ports/dead-letter-queue.js';
import { bundleDeadLetters, pageFromBundles, type BundleEncoding, type StoredBundle } from '../../ports/dead-letter-bundles.js';
import { compareText, decodeDeadLetterCursor } from '../../ports/dead-letter-order.js';
import { InvalidArgumentError } from '../../errors.js';

export interface MemoryDeadLetterQueueOptions {
  /** The most bytes of JSON one bundle holds (default 350 KiB, as DynamoDB's gzip bundles). */
  readonly maxBundleBytes?: number;
}

export class MemoryDeadLetterQueue implements DeadLetterQueue {
  /** Bundles by job, then by key: each bundle's letters as JSON. */
  private readonly bundles = new Map<string, Map<string, string>>();
  private readonly encoding: BundleEncoding<string>;

  constructor(options: MemoryDeadLetterQueueOptions = {}) {
    this.encoding = {
      encode: (letters) => JSON.stringify(letters),
      sizeOf: (json) => Buffer.byteLength(json),
      maxBytes: options.maxBundleBytes ?? 350 * 1024,
    };
  }

  async put(letters: readonly DeadLetter[]): Promise<void> {
    for (const bundle of bundleDeadLetters(letters, this.encoding)) {
      const jobId = bundle.letters[0]!.jobId;
      if (!this.bundles.has(jobId)) this.bundles.set(jobId, new Map());
      this.bundles.get(jobId)!.set(bundle.key, bundle.encoded);
    }
  }

  async list(jobId: string): Promise<DeadLetter[]> {
    return (await pageFromBundles(this.read(jobId, ''), { limit: Number.POSITIVE_INFINITY })).letters;
  }

  async page(jobId: string, options: DeadLetterPageOptions): Promise<DeadLetterPage> {
    const cursor = options.after === undefined ? null : decodeDeadLetterCursor(options.after, options.partition);
    if (options.after !== undefined && cursor === null) throw new InvalidArgumentError(`not a dead-letter page cursor: ${options.after}`);
    const prefix = options.partition === undefined ? '' : deadLetterPartitionPrefix(options.partition);
    return pageFromBundles(this.read(jobId, prefix, cursor?.from), {
      limit: options.limit,
      ...(cursor === null ? {} : { after: cursor.after }),
    });
  }

  /** The job's bundles with the prefix, from the key `from` on, in key order (as DynamoDB sorts the sort key). */
  private async *read(jobId: string, prefix: string, from = ''): AsyncGenerator<StoredBundle> {
    const bundles = this.bundles.get(jobId) ?? new Map<string, string>();
    const keys = [...bundles.keys()].filter((key) => key.startsWith(prefix) && key >= from).sort(compareText);
    for (const key of keys) {
      const json = bundles.get(key)!;
      yield { key, letters: () => JSON.parse(json) as DeadLetter[] };
    }
  }
}
