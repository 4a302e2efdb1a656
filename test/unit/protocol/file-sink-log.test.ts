import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeLogEntry,
  encodeLogEntry,
  liveEntries,
  logEntryKey,
  parseLogEntryKey,
  partFileKey,
  partitionPathProblem,
  safeNamePart,
} from '../../../engine/protocol/file-sink-log.js';

describe('the file sink log: which entries are live', () => {
  it('a replay from batch N supersedes the older generation from N on, once its batch N has an entry', () => {
    const entries = [1, 2, 3, 4].map((batchId) => ({ batchId, generation: 0 }));
    expect(liveEntries(entries)).toEqual(entries);
    const replayed = [...entries, { batchId: 3, generation: 1 }];
    expect(liveEntries(replayed)).toEqual([
      { batchId: 1, generation: 0 },
      { batchId: 2, generation: 0 },
      { batchId: 3, generation: 1 },
    ]);
    // A second replay from batch 2 supersedes both.
    expect(liveEntries([...replayed, { batchId: 4, generation: 1 }, { batchId: 2, generation: 2 }])).toEqual([
      { batchId: 1, generation: 0 },
      { batchId: 2, generation: 2 },
    ]);
  });

  it('as a property: at most one live entry per batch, the newest generation that started at or before it, and the live set is a prefix-closed history', () => {
    // A history: generation 0 runs batches 1..n; each replay g starts at some batch of the batches so far and runs some.
    const history = fc
      .array(fc.record({ from: fc.nat(20), length: fc.nat(20) }), { maxLength: 4 })
      .chain((replays) => fc.constant(replays))
      .map((replays) => {
        const entries: { batchId: number; generation: number }[] = [];
        let last = 10;
        for (let b = 1; b <= last; b += 1) entries.push({ batchId: b, generation: 0 });
        replays.forEach(({ from, length }, i) => {
          const start = 1 + (from % last);
          for (let b = start; b < start + length + 1; b += 1) entries.push({ batchId: b, generation: i + 1 });
          last = start + length;
        });
        return { entries, last };
      });
    fc.assert(
      fc.property(history, ({ entries, last }) => {
        const live = liveEntries(entries);
        // Exactly the batches 1..last of the current history, each once.
        expect(live.map((e) => e.batchId)).toEqual(Array.from({ length: last }, (_, i) => i + 1));
        for (const e of live) {
          const newer = entries.filter((o) => o.generation > e.generation && o.batchId <= e.batchId);
          expect(newer).toEqual([]);
        }
      }),
    );
  });
});

describe('the file sink layout', () => {
  it('names objects deterministically, with unsafe characters of job and scope escaped', () => {
    expect(
      partFileKey({
        prefix: 'lake/v',
        partition: 'dt=2026-12-02',
        jobId: 'views',
        generation: 1,
        batchId: 7,
        scope: 'keygroup-0003',
        n: 0,
        extension: 'parquet',
      }),
    ).toBe('lake/v/dt=2026-12-02/part-views-g1-b7-keygroup-0003-0.parquet');
    expect(safeNamePart('orders/eu 1:é')).toBe('orders~2Feu~201~3A~C3~A9');
    expect(logEntryKey('lake/v', 12, 3)).toBe('lake/v/_sluice_log/000000000012-g000003.json');
    expect(parseLogEntryKey('lake/v', 'lake/v/_sluice_log/000000000012-g000003.json')).toEqual({ batchId: 12, generation: 3 });
    expect(parseLogEntryKey('lake/v', 'lake/v/_sluice_log/notes.txt')).toBeNull();
  });

  it('accepts Hive-style partition paths and refuses anything that could escape the prefix or break a reader', () => {
    for (const ok of ['dt=2026-12-02', 'dt=2026-12-02/hour=07', 'region=eu-west-1/tier=gold'])
      expect(partitionPathProblem(ok)).toBeUndefined();
    for (const bad of [
      '',
      'dt',
      'dt=',
      '=x',
      'dt=..',
      'dt=.',
      'dt=a/b',
      'dt=a b',
      'dt=12:00',
      'dt=a%2F',
      '/dt=x',
      'dt=x/',
      'a=1/b=2/c=3/d=4/e=5/f=6/g=7/h=8/i=9',
      42,
    ]) {
      expect(partitionPathProblem(bad)).toBeDefined();
    }
  });

  it('encodes a log entry to the same bytes whatever the order of its files, and decodes it back', () => {
    const files = [
      { path: 'p/b.parquet', partition: '', rows: 2, bytes: 10 },
      { path: 'p/a.parquet', partition: '', rows: 1, bytes: 5 },
    ];
    const entry = { version: 1 as const, jobId: 'j', batchId: 3, generation: 0, files };
    const bytes = encodeLogEntry(entry);
    expect(Buffer.from(encodeLogEntry({ ...entry, files: [...files].reverse() }))).toEqual(Buffer.from(bytes));
    expect(decodeLogEntry(bytes, 'k').files.map((f) => f.path)).toEqual(['p/a.parquet', 'p/b.parquet']);
    expect(() => decodeLogEntry(new TextEncoder().encode('{"version":2}'), 'k')).toThrow(/version-1/);
  });
});
