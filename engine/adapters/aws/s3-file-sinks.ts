/**
 * The file sink on S3: FileSink (engine/file-sink/file-sink.ts) over an S3 blob store on
 * the spec's bucket, or on the deployment's checkpoint bucket when the spec names none.
 * Plain PUTs and GETs: the commit point is the WAL's conditional write, and every object
 * the sink writes is deterministic, so a rewrite is harmless.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { FileSink } from '../../file-sink/file-sink.js';
import type { FileSinkSpec } from '../../ports/sink.js';
import { S3BlobStore } from './s3-blob-store.js';

export function s3FileSinkOf(client: S3Client, spec: FileSinkSpec, checkpointBucket: string): FileSink {
  const bucket = spec.bucket ?? checkpointBucket;
  return new FileSink({ blobs: new S3BlobStore({ client, bucket }), bucket, spec });
}
