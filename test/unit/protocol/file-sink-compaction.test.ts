import { describe, expect, it } from 'vitest';
import {
  addCovered,
  buildCompact,
  compactKey,
  decodeCompact,
  encodeCompact,
  expiredLogKeys,
  isCompactionBatch,
  latestCompact,
  parseCompactKey,
  parseLogListing,
  uncoveredEntries,
} from '../../../engine/protocol/file-sink-compaction.js';
import { logEntryKey, type LogEntry } from '../../../engine/protocol/file-sink-log.js';

const entry = (batchId: number, generation: number): LogEntry => ({
  version: 1,
  jobId: 'j',
  batchId,
  generation,
  files: [{ path: `p/b${batchId}-g${generation}.jsonl`, partition: '', rows: 1, bytes: 10 }],
});

describe('the file sink log compaction rules', () => {
  it('compacts at multiples of the interval, names compacts next to the entries, and orders them by (generation, batch)', () => {
    expect([1, 2, 3, 10, 20].filter((b) => isCompactionBatch(b, 10))).toEqual([10, 20]);
    expect(isCompactionBatch(0, 1)).toBe(false);
    expect(compactKey('lake/v', 10, 2)).toBe('lake/v/_sluice_log/000000000010-g000002.compact.json');
    expect(parseCompactKey('lake/v', 'lake/v/_sluice_log/000000000010-g000002.compact.json')).toEqual({ batchId: 10, generation: 2 });
    expect(parseCompactKey('lake/v', logEntryKey('lake/v', 10, 2))).toBeNull();
    const listing = parseLogListing('lake/v', [
      compactKey('lake/v', 30, 0),
      compactKey('lake/v', 10, 1),
      logEntryKey('lake/v', 11, 1),
      'lake/v/_sluice_log/x',
    ]);
    expect(listing.entries.map((e) => e.batchId)).toEqual([11]);
    expect(latestCompact(listing.compacts)).toMatchObject({ batchId: 10, generation: 1 });
  });

  it('merges covered batches into ranges per generation', () => {
    const keys = [1, 2, 3, 5].map((b) => ({ batchId: b, generation: 0 }));
    expect(addCovered([{ generation: 1, from: 4, to: 6 }], [...keys, { batchId: 4, generation: 0 }])).toEqual([
      { generation: 0, from: 1, to: 5 },
      { generation: 1, from: 4, to: 6 },
    ]);
  });

  it('a compact holds the live entries of its base and the entries folded in; readers add only what it does not cover', () => {
    const first = buildCompact({ jobId: 'j', batchId: 4, generation: 0, base: null, entries: [1, 2, 3, 4].map((b) => entry(b, 0)) });
    expect(first.covers).toEqual([{ generation: 0, from: 1, to: 4 }]);
    // A replay from batch 3 (generation 1), folded by its compact at 4: batches 3 and 4 of generation 0 drop out.
    const second = buildCompact({ jobId: 'j', batchId: 4, generation: 1, base: first, entries: [entry(3, 1), entry(4, 1), entry(2, 0)] });
    expect(second.entries.map((e) => [e.batchId, e.generation])).toEqual([
      [1, 0],
      [2, 0],
      [3, 1],
      [4, 1],
    ]);
    expect(second.covers).toEqual([
      { generation: 0, from: 1, to: 4 },
      { generation: 1, from: 3, to: 4 },
    ]);
    const listed = [entry(4, 0), entry(5, 1), entry(2, 2)].map((e) => ({ ...e, key: logEntryKey('p', e.batchId, e.generation) }));
    expect(uncoveredEntries(second, listed).map((e) => [e.batchId, e.generation])).toEqual([
      [5, 1],
      [2, 2],
    ]);
  });

  it('encodes a compact to the same bytes whatever the order of its parts, and refuses anything else', () => {
    const compact = buildCompact({ jobId: 'j', batchId: 2, generation: 0, base: null, entries: [entry(1, 0), entry(2, 0)] });
    const bytes = encodeCompact(compact);
    expect(Buffer.from(encodeCompact({ ...compact, entries: [...compact.entries].reverse() }))).toEqual(Buffer.from(bytes));
    expect(decodeCompact(bytes, 'k')).toEqual(compact);
    expect(() => decodeCompact(new TextEncoder().encode('{"version":1,"batchId":2}'), 'k')).toThrow(/version-1 compact/);
    expect(() => decodeCompact(new TextEncoder().encode('{'), 'k')).toThrow(/not JSON/);
  });

  it('deletes only covered entries and older compacts at least the delay old', () => {
    const compact = buildCompact({
      jobId: 'j',
      batchId: 20,
      generation: 0,
      base: null,
      entries: [8, 9, 10, 11, 19, 20].map((b) => entry(b, 0)),
    });
    const listing = parseLogListing('p', [
      ...[8, 9, 10, 11, 12, 19, 20].map((b) => logEntryKey('p', b, 0)),
      compactKey('p', 10, 0),
      compactKey('p', 20, 0),
    ]);
    expect(expiredLogKeys(listing, compact, 10)).toEqual([
      'p/_sluice_log/000000000008-g000000.json',
      'p/_sluice_log/000000000009-g000000.json',
      'p/_sluice_log/000000000010-g000000.compact.json',
      'p/_sluice_log/000000000010-g000000.json',
    ]);
  });
});
