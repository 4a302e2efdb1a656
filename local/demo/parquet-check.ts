/**
 * The demo's check of its Parquet files (`npm start -- --sink s3`), independent of the
 * engine's file sink code: it lists the commit log in the bucket with the S3 client, reads
 * the latest compact and the entries it does not cover, reads every file they name with
 * hyparquet (a Parquet reader the engine does not use to write), and keeps, per row key, the row of the newest (generation, batch): what
 * Athena or Spark would read through the log (docs/sinks/files.md).
 */
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { parquetReadObjects } from 'hyparquet';

interface Covered {
  readonly generation: number;
  readonly from: number;
  readonly to: number;
}

export interface CommittedRows {
  /** Row key (`pk`) → the newest row's fields. */
  readonly rows: Map<string, Record<string, unknown>>;
  readonly files: number;
  readonly entries: number;
}

export async function readCommittedParquet(s3: S3Client, bucket: string, prefix: string): Promise<CommittedRows> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: `${prefix}/_sluice_log/`, ...(token ? { ContinuationToken: token } : {}) }),
    );
    for (const object of page.Contents ?? []) keys.push(object.Key!);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);

  // The latest compact (greatest generation, then batch) holds the entries it covers; the other entries are read one by one.
  const name = (key: string) => /(\d{12})-g(\d{6})(\.compact)?\.json$/.exec(key);
  const order = (a: string, b: string) => Number(name(a)![2]) - Number(name(b)![2]) || Number(name(a)![1]) - Number(name(b)![1]);
  const compactKey = keys
    .filter((k) => name(k)?.[3] !== undefined)
    .sort(order)
    .at(-1);
  const compact =
    compactKey === undefined
      ? { covers: [], entries: [] }
      : (JSON.parse(await text(s3, bucket, compactKey)) as { covers: Covered[]; entries: { files: { path: string }[] }[] });
  const entries = [...compact.entries];
  for (const key of keys) {
    const match = name(key);
    if (match === null || match[3] !== undefined) continue;
    const [batch, generation] = [Number(match[1]), Number(match[2])];
    if (compact.covers.some((c) => c.generation === generation && c.from <= batch && batch <= c.to)) continue;
    entries.push(JSON.parse(await text(s3, bucket, key)) as { files: { path: string }[] });
  }

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
