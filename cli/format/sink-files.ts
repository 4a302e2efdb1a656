/** Text for `sluice sink-files` (cli/commands/sink-files.ts): a file sink's committed files, batch by batch. */
import type { LogEntry } from '../../engine/protocol/file-sink-log.js';
import { table } from './table.js';

const n = (value: number): string => value.toLocaleString('en-US');

/** One line per committed file (live entries only), then a total; `uriOf` turns a key into its s3:// path. */
export function formatCommittedFiles(live: readonly LogEntry[], uriOf: (path: string) => string): string[] {
  const files = live.flatMap((e) => e.files.map((f) => ({ batch: e.batchId, generation: e.generation, ...f })));
  if (files.length === 0) return [`no committed files (${live.length} committed ${live.length === 1 ? 'batch' : 'batches'} in the log)`];
  const rows = files.map((f) => [String(f.batch), String(f.generation), n(f.rows), n(f.bytes), uriOf(f.path)]);
  const totalRows = files.reduce((sum, f) => sum + f.rows, 0);
  const totalBytes = files.reduce((sum, f) => sum + f.bytes, 0);
  return [
    ...table([['BATCH', 'GEN', 'ROWS', 'BYTES', 'FILE'], ...rows], { align: 'rrrrl' }),
    `${n(files.length)} committed files, ${n(totalRows)} rows, ${n(totalBytes)} bytes, in ${n(live.length)} batches`,
  ];
}
