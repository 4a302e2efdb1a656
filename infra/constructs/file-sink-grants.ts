/**
 * What a file sink (engine/file-sink/file-sink.ts) needs, per bucket and prefix, and no
 * more: the executors put the part files and their staged lists (both stages: late records
 * are written by stage 1, the job's rows by stage 2 or by the one stage); the commit side
 * (Finish, and Plan, which repairs a log entry a crash left unwritten) reads the staged
 * lists and the log, and writes the log and Athena's manifests (deleting superseded
 * manifests). Nothing may delete a data file: retention is the bucket's lifecycle rules.
 */
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { LOG_DIR, MANIFEST_DIR, STAGED_DIR } from '../../engine/protocol/file-sink-log.js';

export interface FileSinkLocation {
  /** The sink's bucket (default: the checkpoint bucket, as s3FileSink() without `bucket`). */
  readonly bucket?: s3.IBucket;
  /** The sink's prefix, as in s3FileSink({ prefix }). */
  readonly prefix: string;
}

/**
 * `sluice:sinkFiles` and `sinks.files` entries: `prefix` (the checkpoint bucket) or
 * `s3://bucket/prefix`.
 */
export function parseFileSinkLocation(entry: string): { bucketName?: string; prefix: string } {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(entry);
  const located = match === null ? { prefix: entry } : { bucketName: match[1]!, prefix: match[2]! };
  return { ...located, prefix: located.prefix.replace(/^\/+|\/+$/g, '') };
}

export function grantFileSink(
  bucket: s3.IBucket,
  prefix: string,
  fns: { readonly writers: readonly lambda.IFunction[]; readonly committers: readonly lambda.IFunction[] },
): void {
  for (const fn of fns.writers) {
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [bucket.arnForObjects(`${prefix}/*`)] }));
  }
  const commitPrefixes = [LOG_DIR, STAGED_DIR, MANIFEST_DIR].map((dir) => `${prefix}/${dir}/`);
  for (const fn of fns.committers) {
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'],
        resources: commitPrefixes.map((p) => bucket.arnForObjects(`${p}*`)),
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': commitPrefixes.map((p) => `${p}*`) } },
      }),
    );
  }
}
