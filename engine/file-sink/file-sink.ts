/**
 * The file sink (docs/sinks/files.md): rows as JSON Lines or Parquet objects in a bucket,
 * visible to readers only through a commit log written after the batch's WAL commit
 * (engine/protocol/file-sink-log.ts has the layout and the supersession rule; the
 * driver's side of the protocol is in engine/driver/commit-batch.ts).
 *
 * write (an executor, before the commit): the rows of one scope (a partition on the
 * one-stage path, a key group on stage 2), last row per key, grouped by partition path,
 * sorted by key, cut into parts of at most maxFileBytes (of JSON), each part put under
 * its deterministic name; then the list of those files is put as the scope's staged
 * list. Same rows, same objects, same bytes: a retry or a zombie rewrites them harmlessly.
 *
 * commitBatch (the driver, after the WAL commit): when the batch is in the log, done.
 * Otherwise read the batch's staged lists (the generation's), delete the Athena manifests
 * of entries this batch supersedes (a replay's first batch), put this batch's manifests,
 * and put its log entry last: the entry marks the batch done, so a crash anywhere before
 * it is repaired by the next call. Every logCompactInterval batches the log then gets a
 * compact (engine/file-sink/commit-log.ts), written again by a retry that finds it missing. Every batch gets an entry, an empty one too (as Spark's
 * FileStreamSinkLog adds one per batch): a replay's empty first batch must still
 * supersede the old generation.
 *
 * Nothing here deletes a data file: superseded files, and files a zombie of an
 * old generation wrote, stay until the bucket's lifecycle rules remove them.
 */
import { InvalidArgumentError } from '../errors.js';
import type { BlobStore } from '../ports/blob-store.js';
import {
  reservedFieldOf,
  type FileSinkSpec,
  type Sink,
  type SinkCommit,
  type SinkPage,
  type SinkReadRequest,
  type SinkRow,
  type SinkWrite,
  type StoredRow,
} from '../ports/sink.js';
import {
  liveEntries,
  logEntryKey,
  manifestKey,
  partFileKey,
  partitionPathProblem,
  stagedDir,
  stagedKey,
  type LogEntry,
  type LogFile,
} from '../protocol/file-sink-log.js';
import { weightedRuns } from '../protocol/weighted-runs.js';
import { CommitLog } from './commit-log.js';
import { decodeRows, encodeRows, extensionOf, jsonLineOf } from './row-files.js';

export interface FileSinkOptions {
  /** Where the sink's objects live (the bucket, with no prefix of its own). */
  readonly blobs: BlobStore;
  /** The bucket's name, for the s3:// paths in Athena's manifests. */
  readonly bucket: string;
  readonly spec: FileSinkSpec;
}

export class FileSink implements Sink {
  private readonly blobs: BlobStore;
  private readonly bucket: string;
  private readonly spec: FileSinkSpec;
  private readonly log: CommitLog;

  constructor(options: FileSinkOptions) {
    this.blobs = options.blobs;
    this.bucket = options.bucket;
    this.spec = options.spec;
    this.log = new CommitLog(options.blobs, options.spec);
  }

  /** The row's partition path, or why it has none (a dead letter). */
  private partitionOf(row: SinkRow): { path: string } | { problem: string } {
    const { partitionBy } = this.spec;
    if (partitionBy === undefined) return { path: '' };
    let path: unknown;
    try {
      path = partitionBy(row.value);
    } catch (error) {
      return { problem: `partitionBy threw: ${error instanceof Error ? error.message : String(error)}` };
    }
    const problem = partitionPathProblem(path);
    return problem === undefined ? { path: path as string } : { problem };
  }

  rowProblem(row: SinkRow): string | undefined {
    const partition = this.partitionOf(row);
    return 'problem' in partition ? partition.problem : undefined;
  }

  async write(request: SinkWrite): Promise<{ written: number; skipped: number }> {
    const { jobId, batchId, generation, partition: scope } = request;
    const { prefix, format } = this.spec;
    // The last row of a key wins, as in the upsert sinks.
    const byKey = new Map<string, { row: SinkRow; path: string }>();
    for (const row of request.rows) {
      const reserved = reservedFieldOf(row);
      const partition = this.partitionOf(row);
      if (reserved !== undefined || 'problem' in partition) {
        const reason = reserved !== undefined ? `uses the reserved field name ${reserved}` : (partition as { problem: string }).problem;
        throw new InvalidArgumentError(`sink row ${JSON.stringify(row.key)} ${reason}`, {
          context: { jobId, batchId, partition: scope, key: row.key },
        });
      }
      byKey.delete(row.key);
      byKey.set(row.key, { row, path: partition.path });
    }
    const byPath = new Map<string, SinkRow[]>();
    for (const { row, path } of byKey.values()) byPath.set(path, [...(byPath.get(path) ?? []), row]);
    const files: LogFile[] = [];
    const puts: Promise<void>[] = [];
    for (const path of [...byPath.keys()].sort()) {
      const rows = byPath.get(path)!.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      this.partsOf(rows, batchId, generation).forEach((part, n) => {
        const key = partFileKey({ prefix, partition: path, jobId, generation, batchId, scope, n, extension: extensionOf(format) });
        const body = encodeRows(format, { rows: part, batchId, generation });
        files.push({ path: key, partition: path, rows: part.length, bytes: body.byteLength });
        puts.push(this.blobs.put(key, body));
      });
    }
    await Promise.all(puts);
    if (files.length > 0) {
      await this.blobs.put(stagedKey(prefix, generation, batchId, scope), new TextEncoder().encode(`${JSON.stringify({ files })}\n`));
    }
    return { written: request.rows.length, skipped: 0 };
  }

  /** Rows cut into parts whose JSON lines stay within maxFileBytes (a part holds one row at least). */
  private partsOf(rows: readonly SinkRow[], batchId: number, generation: number): SinkRow[][] {
    return weightedRuns(rows, (row) => Buffer.byteLength(jsonLineOf(row, batchId, generation)), { maxWeight: this.spec.maxFileBytes });
  }

  async commitBatch({ jobId, batchId, generation }: SinkCommit): Promise<void> {
    if (!(await this.log.has({ batchId, generation }))) await this.appendEntry({ jobId, batchId, generation });
    await this.log.compactIfDue({ jobId, batchId, generation });
  }

  /** The batch's manifests, then its log entry (the staged lists merged). */
  private async appendEntry({ jobId, batchId, generation }: SinkCommit): Promise<void> {
    const { prefix } = this.spec;
    const staged = await this.blobs.list(stagedDir(prefix, generation, batchId));
    const files: LogFile[] = [];
    for (const key of staged) {
      const body = await this.blobs.get(key);
      if (body !== null) files.push(...(JSON.parse(new TextDecoder().decode(body)) as { files: LogFile[] }).files);
    }
    const entry: LogEntry = { version: 1, jobId, batchId, generation, files };
    if (generation > 0 && (await this.blobs.get(logEntryKey(prefix, batchId - 1, generation))) === null) {
      await this.deleteSupersededManifests(entry);
    }
    const byPartition = new Map<string, string[]>();
    for (const f of entry.files) byPartition.set(f.partition, [...(byPartition.get(f.partition) ?? []), this.uriOf(f.path)]);
    await Promise.all(
      [...byPartition].map(([partition, paths]) =>
        this.blobs.put(manifestKey(prefix, partition, batchId), new TextEncoder().encode(`${paths.sort().join('\n')}\n`)),
      ),
    );
    await this.log.append(entry);
  }

  /** The first batch of a new generation: the manifests of the older generations' batches from it on go (not their files). */
  private async deleteSupersededManifests(entry: LogEntry): Promise<void> {
    const entries = await this.readLog();
    const superseded = entries.filter((e) => e.generation < entry.generation && e.batchId >= entry.batchId);
    const keys = new Set(superseded.flatMap((e) => e.files.map((f) => manifestKey(this.spec.prefix, f.partition, e.batchId))));
    if (keys.size > 0) await this.blobs.delete([...keys].sort());
  }

  /**
   * The log as a reader reads it, in (batch, generation) order: the latest compact's
   * entries and the entries it does not cover (engine/file-sink/commit-log.ts);
   * liveEntries() of them is what is committed.
   */
  async readLog(): Promise<LogEntry[]> {
    return this.log.read();
  }

  /** An object key of this sink as the s3:// path readers (and Athena's manifests) use. */
  uriOf(path: string): string {
    return `s3://${this.bucket}/${path}`;
  }

  /** The committed files readers see: the files of the live log entries, in batch order. */
  async committedFiles(): Promise<LogFile[]> {
    return liveEntries(await this.readLog()).flatMap((e) => e.files);
  }

  /** Every committed row (a key appears once per batch that wrote it), in batch order, then by file and key. */
  async scan(): Promise<StoredRow[]> {
    const rows: StoredRow[] = [];
    for (const file of await this.committedFiles()) {
      const body = await this.blobs.get(file.path);
      if (body === null) throw new InvalidArgumentError(`the committed file ${file.path} is missing (a lifecycle rule removed it?)`);
      rows.push(...(await decodeRows(this.spec.format, body, file.path)));
    }
    return rows;
  }

  /**
   * A page of the committed rows in scan()'s order, read through the commit log. The
   * position is the file and the row within it to go on from: files committed later come
   * after it; a file that is no longer committed (a replay superseded it) is refused.
   */
  async readPage(request: SinkReadRequest): Promise<SinkPage> {
    const files = await this.committedFiles();
    let fileIndex = 0;
    let rowIndex = 0;
    if (request.after !== null) {
      const position = parsePosition(request.after);
      fileIndex = files.findIndex((f) => f.path === position?.f);
      if (position === null || fileIndex < 0) {
        throw new InvalidArgumentError(
          `the position ${JSON.stringify(request.after)} is not in a committed file of ${this.spec.prefix} (a replay superseded it?): read again from the first page`,
        );
      }
      rowIndex = position.r;
    }
    const rows: StoredRow[] = [];
    for (; fileIndex < files.length; fileIndex += 1, rowIndex = 0) {
      const file = files[fileIndex]!;
      const body = await this.blobs.get(file.path);
      if (body === null) throw new InvalidArgumentError(`the committed file ${file.path} is missing (a lifecycle rule removed it?)`);
      const fileRows = await decodeRows(this.spec.format, body, file.path);
      const taken = fileRows.slice(rowIndex, rowIndex + request.limit - rows.length);
      rows.push(...taken);
      if (rows.length === request.limit) {
        const next = rowIndex + taken.length;
        if (next < fileRows.length) return { rows, next: JSON.stringify({ f: file.path, r: next }) };
        return { rows, next: fileIndex + 1 < files.length ? JSON.stringify({ f: files[fileIndex + 1]!.path, r: 0 }) : null };
      }
    }
    return { rows, next: null };
  }

  /** The newest committed row of a key ((generation, batch) order, as the upsert sinks keep it). */
  async get(key: string): Promise<StoredRow | null> {
    let newest: StoredRow | null = null;
    for (const row of await this.scan()) {
      if (row.key !== key) continue;
      if (newest === null || row.generation > newest.generation || (row.generation === newest.generation && row.batchId >= newest.batchId))
        newest = row;
    }
    return newest;
  }
}

/** A file sink's page position: the committed file (`f`) and the row within it (`r`). */
function parsePosition(text: string): { f: string; r: number } | null {
  try {
    const value = JSON.parse(text) as { f?: unknown; r?: unknown };
    return typeof value.f === 'string' && Number.isSafeInteger(value.r) && (value.r as number) >= 0
      ? { f: value.f, r: value.r as number }
      : null;
  } catch {
    return null;
  }
}
