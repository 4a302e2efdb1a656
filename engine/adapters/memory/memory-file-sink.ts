/**
 * The file sink in memory: the same FileSink (engine/file-sink/file-sink.ts) over a
 * memory blob store per bucket, the twin of S3FileSinks. A spec without a bucket writes
 * to the ports' own blob store, as it writes to the checkpoint bucket on AWS.
 */
import type { FileSinkSpec } from '../../ports/sink.js';
import { FileSink } from '../../file-sink/file-sink.js';
import { MemoryBlobStore } from './memory-blob-store.js';

/** The name a spec without a bucket reports in its manifests' s3:// paths. */
export const MEMORY_CHECKPOINT_BUCKET = 'checkpoint-bucket';

export class MemoryFileSinks {
  private readonly buckets = new Map<string, MemoryBlobStore>();

  constructor(private readonly checkpointBucket: MemoryBlobStore) {}

  /** The objects of a bucket (the checkpoint bucket's for undefined). */
  bucket(name: string | undefined): MemoryBlobStore {
    if (name === undefined) return this.checkpointBucket;
    let blobs = this.buckets.get(name);
    if (blobs === undefined) {
      blobs = new MemoryBlobStore();
      this.buckets.set(name, blobs);
    }
    return blobs;
  }

  /**
   * A sink on the spec's bucket. A new one each call, as on AWS: everything it keeps is in
   * the bucket, and the spec (its partitionBy) is the one the caller's job code gives now.
   */
  sink(spec: FileSinkSpec): FileSink {
    return new FileSink({ blobs: this.bucket(spec.bucket), bucket: spec.bucket ?? MEMORY_CHECKPOINT_BUCKET, spec });
  }
}
