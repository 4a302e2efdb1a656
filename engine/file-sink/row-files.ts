/**
 * A file's bytes from sink rows, and back. Deterministic: the same rows in the same order
 * are the same bytes, so a retried or zombie executor rewrites an object with identical
 * content.
 *
 * Every row becomes one record `{ pk, ...value, sluiceBatchId, sluiceGeneration }`, the
 * DynamoDB sink's item layout (RESERVED_ROW_FIELDS), so readers can keep the newest row
 * per key.
 *
 *   jsonl    one JSON object a line, UTF-8, '\n' after each line.
 *   parquet  one row group, written by hyparquet-writer with fixed settings: SNAPPY,
 *            statistics on, `created_by` 'sluice', no key-value metadata (no time or
 *            host in the footer). Columns: pk (STRING, required), then the value fields
 *            of the file's rows in sorted order, then sluiceBatchId and sluiceGeneration
 *            (INT64, required). A field is DOUBLE when every non-null value in the file
 *            is a number, BOOLEAN when every one is a boolean, STRING when every one is a
 *            string, and JSON (a string column with the JSON logical type) otherwise;
 *            absent values are nulls. A field's type can differ between files when
 *            the rows' types differ: keep a field's type stable for a fixed table schema.
 */
import { parquetReadObjects } from 'hyparquet';
import { parquetWriteBuffer } from 'hyparquet-writer';
import type { ColumnSource } from 'hyparquet-writer';
import { InvariantError } from '../errors.js';
import type { JsonObject, JsonValue } from '../json.js';
import type { FileFormat, SinkRow, StoredRow } from '../ports/sink.js';

export function extensionOf(format: FileFormat): string {
  return format === 'parquet' ? 'parquet' : 'jsonl';
}

export interface FileRows {
  readonly rows: readonly SinkRow[];
  readonly batchId: number;
  readonly generation: number;
}

export function encodeRows(format: FileFormat, file: FileRows): Uint8Array {
  return format === 'parquet' ? encodeParquet(file) : encodeJsonLines(file);
}

/** A row as one JSON line, also the size measure for cutting part files. */
export function jsonLineOf(row: SinkRow, batchId: number, generation: number): string {
  return `${JSON.stringify({ pk: row.key, ...row.value, sluiceBatchId: batchId, sluiceGeneration: generation })}\n`;
}

function encodeJsonLines({ rows, batchId, generation }: FileRows): Uint8Array {
  return new TextEncoder().encode(rows.map((row) => jsonLineOf(row, batchId, generation)).join(''));
}

function encodeParquet({ rows, batchId, generation }: FileRows): Uint8Array {
  const fields = [...new Set(rows.flatMap((r) => Object.keys(r.value)))].sort();
  const columns: ColumnSource[] = [{ name: 'pk', data: rows.map((r) => r.key), type: 'STRING', nullable: false }];
  for (const field of fields) {
    const values = rows.map((r) => (Object.hasOwn(r.value, field) ? (r.value[field] as JsonValue) : null));
    const type = columnTypeOf(values);
    columns.push({ name: field, data: type === 'JSON' ? values.map((v) => (v === null ? null : JSON.stringify(v))) : values, type });
  }
  columns.push(
    { name: 'sluiceBatchId', data: rows.map(() => BigInt(batchId)), type: 'INT64', nullable: false },
    { name: 'sluiceGeneration', data: rows.map(() => BigInt(generation)), type: 'INT64', nullable: false },
  );
  const buffer = parquetWriteBuffer({
    columnData: columns,
    codec: 'SNAPPY',
    statistics: true,
    createdBy: 'sluice',
    rowGroupSize: Math.max(1, rows.length),
  });
  return new Uint8Array(buffer);
}

function columnTypeOf(values: readonly JsonValue[]): 'DOUBLE' | 'BOOLEAN' | 'STRING' | 'JSON' {
  const present = values.filter((v) => v !== null);
  if (present.length === 0) return 'STRING';
  if (present.every((v) => typeof v === 'number')) return 'DOUBLE';
  if (present.every((v) => typeof v === 'boolean')) return 'BOOLEAN';
  if (present.every((v) => typeof v === 'string')) return 'STRING';
  return 'JSON';
}

/** The rows of a file this sink wrote (for scan: tests, checks and the harness). */
export async function decodeRows(format: FileFormat, bytes: Uint8Array, path: string): Promise<StoredRow[]> {
  const records: Record<string, unknown>[] =
    format === 'parquet'
      ? await parquetReadObjects({ file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer })
      : new TextDecoder()
          .decode(bytes)
          .split('\n')
          .filter((line) => line !== '')
          .map((line) => JSON.parse(line) as Record<string, unknown>);
  return records.map((record) => {
    const { pk, sluiceBatchId, sluiceGeneration, ...rest } = record;
    if (typeof pk !== 'string') throw new InvariantError(`file ${path} has a row without a string pk`);
    const value: JsonObject = {};
    for (const [name, v] of Object.entries(rest)) {
      if (v === null || v === undefined) continue;
      value[name] = (format === 'parquet' && typeof v === 'bigint' ? Number(v) : v) as JsonValue;
    }
    return { key: pk, value, batchId: Number(sluiceBatchId), generation: Number(sluiceGeneration) };
  });
}
