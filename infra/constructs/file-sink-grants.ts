/**
 * What a file sink (engine/file-sink/file-sink.ts) needs, per bucket and prefix, and no
 * more: the executors put the part files and their staged lists (both stages: late records
 * are written by stage 1, the job's rows by stage 2 or by the one stage); the commit side
 * (Finish, and Plan, which repairs a log entry a crash left unwritten) reads the staged
 * lists and the log, and writes the log and Athena's manifests (deleting superseded
 * manifests). Nothing may delete a data file: retention is the bucket's lifecycle rules.
 * The jobs API's read function (GET /jobs/{jobId}/results) lists the log and gets the
 * objects under the prefix, and writes nothing.
 *
 * Keys under a prefix are derived at run time, so each grant names `<prefix>/...*`:
 * cdk-nag's AwsSolutions-IAM5 is acknowledged for exactly those resources, on the
 * policy of the function granted, with the reason.
 */
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { LOG_DIR, MANIFEST_DIR, STAGED_DIR } from '../../engine/protocol/file-sink-log.js';
import { acknowledgeGranted } from './nag-acknowledgements.js';

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
  const files = bucket.arnForObjects(`${prefix}/*`);
  for (const fn of fns.writers) {
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [files] }));
    acknowledgeKeys(
      fn,
      [files],
      `The file sink under ${prefix}/ writes part files and staged lists whose keys it derives per batch, under that prefix only (put, no delete).`,
    );
  }
  const commitPrefixes = [LOG_DIR, STAGED_DIR, MANIFEST_DIR].map((dir) => `${prefix}/${dir}/`);
  const commitObjects = commitPrefixes.map((p) => bucket.arnForObjects(`${p}*`));
  for (const fn of fns.committers) {
    fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:GetObject', 's3:PutObject', 's3:DeleteObject'], resources: commitObjects }));
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': commitPrefixes.map((p) => `${p}*`) } },
      }),
    );
    acknowledgeKeys(
      fn,
      commitObjects,
      `The commit of the file sink under ${prefix}/ reads staged lists and writes its log and Athena manifests, keys derived per batch under those prefixes only (no data file).`,
    );
  }
}

/**
 * What GET /jobs/{jobId}/results reads of a file sink (FileSink.readPage): it lists the
 * commit log (`<prefix>/_sluice_log/`) and gets its entries and the committed files, all
 * under the prefix; it writes and deletes nothing.
 */
export function grantFileSinkRead(bucket: s3.IBucket, prefix: string, fn: lambda.IFunction): void {
  const objects = bucket.arnForObjects(`${prefix}/*`);
  fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: [objects] }));
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ['s3:ListBucket'],
      resources: [bucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${prefix}/${LOG_DIR}/*`] } },
    }),
  );
  acknowledgeKeys(
    fn,
    [objects],
    `A job's results are read back from the file sink under ${prefix}/: its commit log and the files it names, keys written per batch, under that prefix only (get, no write).`,
  );
}

/** AwsSolutions-IAM5 acknowledged on the policy of `fn` for each resource. */
function acknowledgeKeys(fn: lambda.IFunction, resources: readonly string[], reason: string): void {
  acknowledgeGranted(
    fn,
    resources.map((resource) => ({ resource, reason })),
  );
}
