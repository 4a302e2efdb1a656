/**
 * The blob store on S3: one object per key, under an optional prefix. Writes are plain
 * PUTs (last writer wins); the engine never relies on conditional object writes. A
 * bucket that does not exist fails a put, get or list with NotFoundError naming it (not
 * retryable: the job fails with the reason).
 */
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { InvariantError, NotFoundError, TransientError } from '../../errors.js';
import type { BlobStore } from '../../ports/blob-store.js';
import { isNoSuchBucket, isNotFound, isRangeNotSatisfiable } from './aws-errors.js';

/** DeleteObjects takes at most 1,000 keys. */
const DELETE_LIMIT = 1_000;

export interface S3BlobStoreOptions {
  readonly client: S3Client;
  readonly bucket: string;
  /** Prepended to every key ("jobs/" → "jobs/<key>"); keys are returned without it. */
  readonly prefix?: string;
  /** ListObjectsV2 MaxKeys (at most 1,000, the default): smaller pages for tests of paging. */
  readonly pageSize?: number;
}

export class S3BlobStore implements BlobStore {
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly pageSize: number | undefined;

  constructor(options: S3BlobStoreOptions) {
    this.client = options.client;
    this.bucket = options.bucket;
    this.prefix = options.prefix ?? '';
    this.pageSize = options.pageSize;
  }

  async put(key: string, body: Uint8Array): Promise<void> {
    await this.client
      .send(new PutObjectCommand({ Bucket: this.bucket, Key: this.prefix + key, Body: body, ContentLength: body.byteLength }))
      .catch((error: unknown) => {
        throw this.missingBucket(error);
      });
  }

  async get(key: string): Promise<Uint8Array | null> {
    try {
      const { Body } = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }));
      if (Body === undefined) return new Uint8Array();
      return await Body.transformToByteArray();
    } catch (error) {
      if (isNotFound(error)) return null;
      throw this.missingBucket(error);
    }
  }

  async getRange(key: string, start: number, end: number): Promise<Uint8Array | null> {
    if (!(Number.isSafeInteger(start) && Number.isSafeInteger(end) && 0 <= start && start <= end)) {
      throw new InvariantError(`a byte range is [start, end) with 0 <= start <= end, got [${start}, ${end})`);
    }
    if (start === end) return (await this.exists(key)) ? new Uint8Array() : null;
    try {
      const { Body } = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.prefix + key, Range: `bytes=${start}-${end - 1}` }),
      );
      return Body === undefined ? new Uint8Array() : await Body.transformToByteArray();
    } catch (error) {
      if (isNotFound(error)) return null;
      // The object is shorter than the range's start: it holds none of its bytes (as a shorter range gives those it holds).
      if (isRangeNotSatisfiable(error)) return new Uint8Array();
      throw error;
    }
  }

  private async exists(key: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }));
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.client
        .send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: this.prefix + prefix,
            ContinuationToken: token,
            ...(this.pageSize === undefined ? {} : { MaxKeys: this.pageSize }),
          }),
        )
        .catch((error: unknown) => {
          throw this.missingBucket(error);
        });
      for (const object of page.Contents ?? []) {
        if (object.Key !== undefined) keys.push(object.Key.slice(this.prefix.length));
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    // S3 lists in UTF-8 byte order; the port promises lexical order as JavaScript compares strings.
    return keys.sort();
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += DELETE_LIMIT) {
      const chunk = keys.slice(i, i + DELETE_LIMIT);
      const result = await this.client.send(
        new DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: chunk.map((key) => ({ Key: this.prefix + key })), Quiet: true },
        }),
      );
      const failed = (result.Errors ?? []).filter((e) => e.Code !== 'NoSuchKey');
      if (failed.length > 0) {
        const first = failed[0]!;
        throw new TransientError(
          `S3 could not delete ${failed.length} of ${chunk.length} objects (${first.Key}: ${first.Code} ${first.Message})`,
          {
            context: { bucket: this.bucket },
          },
        );
      }
    }
  }

  private missingBucket(error: unknown): unknown {
    if (!isNoSuchBucket(error)) return error;
    return new NotFoundError(
      `S3 bucket ${this.bucket} does not exist in this account and region: create it, or fix the bucket name ` +
        "(the deployment's checkpoint bucket, or the file sink's bucket)",
      { cause: error, context: { bucket: this.bucket } },
    );
  }
}
