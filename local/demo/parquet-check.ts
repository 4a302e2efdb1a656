/**
 * The demo's check of its Parquet files (`npm start -- --sink s3`), independent of the
 * engine's file sink code: it lists the commit log's entries in the bucket with the S3
 * client, reads every file they name with hyparquet (a Parquet reader the engine does not
 * use to write), and keeps, per row key, the row of the newest (generation, batch): what
 * Athena or Spark would read through the log (docs/sinks/files.md).
 */
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { parquetReadObjects } from 'hyparquet';

export interface CommittedRows {
  /** Row key (`pk`) → the newest row's fields. */
  readonly rows: Map<string, Record<string, unknown>>;
  readonly files: number;
  readonly entries: number;
}

export async function readCommittedParquet(s3: S3Client, bucket: string, prefix: string): Promise<CommittedRows> {
  const entries: { files: { path: string }[] }[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: `${prefix}/_sluice_log/`, ...(token ? { ContinuationToken: token } : {}) }),
    );
    for (const object of page.Contents ?? [])
      entries.push(JSON.parse(await text(s3, bucket, object.Key!)) as { files: { path: string }[] });
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);

  const rows = new Map<string, Record<string, unknown>>();
  let files = 0;
  for (const entry of entries) {
    for (const file of entry.files) {
      files += 1;
      const bytes = await body(s3, bucket, file.path);
      const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
      for (const row of (await parquetReadObjects({ file: buffer })) as Record<string, unknown>[]) {
        const held = rows.get(String(row.pk));
        if (held === undefined || newer(row, held)) rows.set(String(row.pk), row);
      }
    }
  }
  return { rows, files, entries: entries.length };
}

/** Whether a row was written by a newer (generation, batch) than another: generation first. */
function newer(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  const [ga, gb] = [Number(a.sluiceGeneration ?? 0), Number(b.sluiceGeneration ?? 0)];
  return ga !== gb ? ga > gb : Number(a.sluiceBatchId) > Number(b.sluiceBatchId);
}

async function body(s3: S3Client, bucket: string, key: string): Promise<Uint8Array> {
  const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return out.Body!.transformToByteArray();
}

async function text(s3: S3Client, bucket: string, key: string): Promise<string> {
  return new TextDecoder().decode(await body(s3, bucket, key));
}
