/** `sluice sink-files`' text (cli/format/sink-files.ts), from a file sink's live log entries. */
import { describe, expect, it } from 'vitest';
import { formatCommittedFiles } from '../../../cli/format/sink-files.js';
import { MemoryBlobStore } from '../../../engine/adapters/memory/memory-blob-store.js';
import { MemoryFileSinks } from '../../../engine/adapters/memory/memory-file-sink.js';
import { s3FileSink } from '../../../engine/job/index.js';
import { liveEntries } from '../../../engine/protocol/file-sink-log.js';

describe('sink-files output', () => {
  it("lists the live entries' files with their s3:// paths, and leaves out a superseded generation's", async () => {
    const sink = new MemoryFileSinks(new MemoryBlobStore()).sink(s3FileSink({ bucket: 'lake', prefix: 'views', format: 'jsonl' }));
    const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: { n: i } }));
    await sink.write({ jobId: 'v', batchId: 1, generation: 0, partition: 'shard-0', rows: rows(3) });
    await sink.commitBatch({ jobId: 'v', batchId: 1, generation: 0 });
    await sink.write({ jobId: 'v', batchId: 2, generation: 0, partition: 'shard-0', rows: rows(1) });
    await sink.commitBatch({ jobId: 'v', batchId: 2, generation: 0 });
    await sink.write({ jobId: 'v', batchId: 2, generation: 1, partition: 'shard-0', rows: rows(2) });
    await sink.commitBatch({ jobId: 'v', batchId: 2, generation: 1 });
    const lines = formatCommittedFiles(liveEntries(await sink.readLog()), (path) => sink.uriOf(path));
    expect(lines[0]).toMatch(/^BATCH\s+GEN\s+ROWS\s+BYTES\s+FILE$/);
    expect(lines.slice(1, 3).map((l) => l.replace(/\s+/g, ' ').trim())).toEqual([
      `1 0 3 ${lines[1]!.trim().split(/\s+/)[3]} s3://lake/views/part-v-g0-b1-shard-0-0.jsonl`,
      `2 1 2 ${lines[2]!.trim().split(/\s+/)[3]} s3://lake/views/part-v-g1-b2-shard-0-0.jsonl`,
    ]);
    expect(lines.join('\n')).not.toContain('-g0-b2-');
    expect(lines.at(-1)).toMatch(/^2 committed files, 5 rows, [\d,]+ bytes, in 2 batches$/);
  });

  it('says so when the log lists no files', () => {
    expect(formatCommittedFiles([], (p) => p)).toEqual(['no committed files (0 committed batches in the log)']);
  });
});
