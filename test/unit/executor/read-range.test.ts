import { describe, expect, it } from 'vitest';
import { MemorySource, MemoryWriteAheadLog } from '../../../engine/adapters/memory/index.js';
import { RangeMismatchError } from '../../../engine/errors.js';
import { RANGE_READ_BUDGET, readRange } from '../../../engine/executor/read-range.js';
import { partitionPlan } from '../../support/builders.js';

function setup(records: number) {
  const source = new MemorySource();
  source.createStream('s', ['p']);
  const offsets = source.append(
    's',
    'p',
    Array.from({ length: records }, (_, i) => ({ key: 'k', data: new Uint8Array([i]) })),
  );
  const wal = new MemoryWriteAheadLog();
  const plan = partitionPlan('p', { maxRecords: 5 });
  return { source, wal, plan, offsets, reader: source.reader('s') };
}

describe('readRange', () => {
  it('records the end of a first read before returning it', async () => {
    const { wal, plan, offsets, reader } = setup(8);
    const read = await readRange({ wal, reader, jobId: 'j', batchId: 1, plan });
    expect(read.records.map((r) => r.offset)).toEqual(offsets.slice(0, 5));
    expect(await wal.getRangeEnd('j', 1, 'p')).toEqual({ count: 5, lastOffset: offsets[4] });
    expect(read.caughtUp).toBe(false);
  });

  it('re-reads exactly the recorded range even when more records arrived since', async () => {
    const { source, wal, plan, offsets, reader } = setup(3);
    const first = await readRange({ wal, reader, jobId: 'j', batchId: 1, plan });
    expect(first.end).toEqual({ count: 3, lastOffset: offsets[2] });
    source.append('s', 'p', [{ key: 'k', data: new Uint8Array([9]) }]);
    const again = await readRange({ wal, reader, jobId: 'j', batchId: 1, plan });
    expect(again.records.map((r) => r.offset)).toEqual(offsets);
    expect(again.caughtUp).toBe(true);
  });

  it('an empty recorded range stays empty: nothing is read', async () => {
    const { source, wal, plan, reader } = setup(0);
    await readRange({ wal, reader, jobId: 'j', batchId: 1, plan });
    source.append('s', 'p', [{ key: 'k', data: new Uint8Array([1]) }]);
    const again = await readRange({ wal, reader, jobId: 'j', batchId: 1, plan });
    expect(again.records).toEqual([]);
    expect(again.end).toEqual({ count: 0 });
  });

  it('cuts its own read to an earlier attempt’s shorter end', async () => {
    const { wal, plan, offsets, reader } = setup(8);
    await wal.recordRangeEnd('j', 1, 'p', { count: 2, lastOffset: offsets[1]! });
    const read = await readRange({ wal, reader, jobId: 'j', batchId: 1, plan });
    expect(read.records.map((r) => r.offset)).toEqual(offsets.slice(0, 2));
  });

  it('follows an earlier attempt that recorded an end while this one was reading', async () => {
    const { source, wal, plan, reader } = setup(2);
    // This attempt reads 2 records; meanwhile another attempt recorded 4 (more had arrived for it).
    const more = source.append(
      's',
      'p',
      [1, 2].map((i) => ({ key: 'k', data: new Uint8Array([i]) })),
    );
    const racingWal = Object.create(wal) as MemoryWriteAheadLog;
    racingWal.recordRangeEnd = async () => ({ count: 4, lastOffset: more[1]! });
    racingWal.getRangeEnd = async () => null;
    const slowReader = {
      ...reader,
      read: async (r: Parameters<typeof reader.read>[0]) => reader.read(r.untilOffset ? r : { ...r, maxRecords: 2 }),
    };
    const read = await readRange({ wal: racingWal, reader: slowReader, jobId: 'j', batchId: 1, plan });
    expect(read.end).toEqual({ count: 4, lastOffset: more[1] });
    expect(read.records).toHaveLength(4);
  });

  it('fails loudly when the source cannot give back the recorded range', async () => {
    const { source, wal, plan, offsets, reader } = setup(4);
    await wal.recordRangeEnd('j', 1, 'p', { count: 4, lastOffset: offsets[3]! });
    source.trim('s', 'p', offsets[1]!);
    await expect(readRange({ wal, reader, jobId: 'j', batchId: 1, plan })).rejects.toBeInstanceOf(RangeMismatchError);
  });

  it('tells the reader a partition the plan lists as closed, so an empty page at its tail is not taken for its end', async () => {
    const { wal, plan, reader } = setup(2);
    const requests: unknown[] = [];
    const spy = {
      ...reader,
      listPartitions: () => reader.listPartitions(),
      read: (request: Parameters<typeof reader.read>[0]) => (requests.push(request), reader.read(request)),
    };
    await readRange({ wal, reader: spy, jobId: 'j', batchId: 1, plan: { ...plan, closed: true } });
    await readRange({ wal, reader: spy, jobId: 'j', batchId: 2, plan });
    expect(requests).toEqual([
      expect.objectContaining({ partitionClosed: true }),
      expect.not.objectContaining({ partitionClosed: expect.anything() }),
    ]);
  });

  it('a retry of a closed partition whose first attempt stopped before the end is not caught up', async () => {
    const { wal, plan, offsets, reader } = setup(2);
    const closedPlan = { ...plan, closed: true as const };
    // The first attempt gave up on empty pages before the shard's end: its end says nothing of closing.
    await wal.recordRangeEnd('j', 1, 'p', { count: 2, lastOffset: offsets[1]! });
    expect((await readRange({ wal, reader, jobId: 'j', batchId: 1, plan: closedPlan })).caughtUp).toBe(false);
    // The same range on an open partition stopped short of the cap: caught up.
    expect((await readRange({ wal, reader, jobId: 'j', batchId: 1, plan })).caughtUp).toBe(true);
    // A closed partition read to its end is caught up.
    await wal.recordRangeEnd('j', 2, 'p', { count: 0, closed: true });
    expect(
      (await readRange({ wal, reader, jobId: 'j', batchId: 2, plan: { ...closedPlan, start: { type: 'AFTER', offset: offsets[1]! } } }))
        .caughtUp,
    ).toBe(true);
  });

  it('takes a range end read before the plan only when it found nothing; one it found is read again', async () => {
    const { wal, plan, offsets, reader } = setup(8);
    let reads = 0;
    const counted = Object.create(wal) as MemoryWriteAheadLog;
    counted.getRangeEnd = async (...args) => ((reads += 1), wal.getRangeEnd(...args));
    // Nothing found early: no second read, the end is recorded by this read.
    const first = await readRange({ wal: counted, reader, jobId: 'j', batchId: 1, plan, recorded: Promise.resolve(null) });
    expect(first.end).toEqual({ count: 5, lastOffset: offsets[4] });
    expect(reads).toBe(0);
    // An end found early (here one a superseded batch had, before a replay moved it away) is not
    // taken: the end stored now, read after the plan, is.
    const stale = Promise.resolve({ count: 2, lastOffset: offsets[1]! });
    const again = await readRange({ wal: counted, reader, jobId: 'j', batchId: 1, plan, recorded: stale });
    expect(reads).toBe(1);
    expect(again.records.map((r) => r.offset)).toEqual(offsets.slice(0, 5));
  });
});

describe("readRange's read budget (RANGE_READ_BUDGET)", () => {
  const budget = { maxBytes: 3, maxReadMs: 1_000 };

  it('stops the first attempt at the record that spends the bytes, and records that the partition has more', async () => {
    const { wal, plan, offsets, reader } = setup(8);
    const read = await readRange({ wal, reader, jobId: 'j', batchId: 1, plan, budget });
    expect(read.records.map((r) => r.offset)).toEqual(offsets.slice(0, 3));
    expect(read.caughtUp).toBe(false);
    // Results and commits carry the range without `more`: their caughtUp says it.
    expect(read.end).toEqual({ count: 3, lastOffset: offsets[2] });
    expect(await wal.getRangeEnd('j', 1, 'p')).toEqual({ count: 3, lastOffset: offsets[2], more: true });
  });

  it('a retry reads exactly the recorded range and does not take it for caught up, though it is below the cap', async () => {
    const { wal, plan, offsets, reader } = setup(8);
    await readRange({ wal, reader, jobId: 'j', batchId: 1, plan, budget });
    const again = await readRange({ wal, reader, jobId: 'j', batchId: 1, plan });
    expect(again.records.map((r) => r.offset)).toEqual(offsets.slice(0, 3));
    expect(again.end).toEqual({ count: 3, lastOffset: offsets[2] });
    expect(again.caughtUp).toBe(false);
  });

  it('an attempt that read the same records within its budget still follows the recorded `more`', async () => {
    const { wal, plan, offsets, reader } = setup(4);
    await wal.recordRangeEnd('j', 1, 'p', { count: 4, lastOffset: offsets[3]!, more: true });
    const read = await readRange({ wal, reader, jobId: 'j', batchId: 1, plan });
    expect(read.records).toHaveLength(4);
    expect(read.caughtUp).toBe(false);
  });

  it('binds nothing at the default budget for records of 1 KB up to the largest default cap', async () => {
    expect(40_000 * 1_024).toBeLessThan(RANGE_READ_BUDGET.maxBytes);
    const { wal, plan, offsets, reader } = setup(3);
    expect(await readRange({ wal, reader, jobId: 'j', batchId: 1, plan })).toMatchObject({ caughtUp: true });
    expect(await wal.getRangeEnd('j', 1, 'p')).toEqual({ count: 3, lastOffset: offsets[2] });
  });
});

describe("readRange of a fixed range (Kafka) with its plan's byte bound", () => {
  function fixed(records: number, maxBytes: number | undefined) {
    const source = new MemorySource({ fixedRanges: true, firstOffset: 0n, offsetStep: 1n });
    source.createStream('t', ['0']);
    source.append(
      't',
      '0',
      Array.from({ length: records }, (_, i) => ({ key: 'k', data: new Uint8Array([i]) })),
    );
    const wal = new MemoryWriteAheadLog();
    const plan = partitionPlan('0', {
      start: { type: 'AT_OFFSET', offset: '0' },
      maxRecords: 6,
      endBefore: '6',
      endIsTail: false,
      ...(maxBytes === undefined ? {} : { maxBytes }),
    });
    return { wal, plan, reader: source.reader('t') };
  }

  it('ends at the record that reaches the bound, says where the next batch starts, and records nothing', async () => {
    const { wal, plan, reader } = fixed(8, 4);
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const read = await readRange({ wal, reader, jobId: 'j', batchId: 1, plan });
      expect(read.records.map((r) => r.offset)).toEqual(['0', '1', '2', '3']);
      expect(read).toMatchObject({ end: { count: 4, lastOffset: '3', cutBefore: '4' }, caughtUp: false, stoppedAtBudget: true });
    }
    expect(await wal.getRangeEnd('j', 1, '0')).toBeNull();
  });

  it('reads the whole range when the bound is reached at its last record or not at all, or the plan has none', async () => {
    for (const maxBytes of [6, 100, undefined]) {
      const { wal, plan, reader } = fixed(8, maxBytes);
      const read = await readRange({ wal, reader, jobId: 'j', batchId: 1, plan });
      expect(read.records, `bound ${maxBytes}`).toHaveLength(6);
      expect(read.end).toEqual({ count: 6, lastOffset: '5' });
      expect(read.stoppedAtBudget).toBeUndefined();
    }
  });
});
