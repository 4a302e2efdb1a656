/**
 * Reading a stream sink's records back (engine/sinks/stream-sink-readback.ts), on a memory
 * stream whose reader answers pages of two records: every partition is read from its
 * earliest record to its tail in offset order, duplicates included, other producers'
 * records passed over, and a closed (resharded) partition is read as closed.
 */
import { describe, expect, it } from 'vitest';
import { MemorySource } from '../../../engine/adapters/memory/memory-source.js';
import type { ReadRequest, SourceReader } from '../../../engine/ports/source-reader.js';
import type { SinkWrite } from '../../../engine/ports/sink.js';
import { kinesisRecordsOf } from '../../../engine/sinks/kinesis-records.js';
import { READBACK_PAGE_RECORDS, readSinkEnvelopes } from '../../../engine/sinks/stream-sink-readback.js';

const write = (batchId: number, keys: readonly string[]): SinkWrite => ({
  jobId: 'views',
  batchId,
  generation: 0,
  partition: 'p0',
  rows: keys.map((key) => ({ key, value: { key, value: batchId } })),
});

/** The source's reader, answering at most two records a read, with every request it was sent. */
function smallPages(source: MemorySource): { reader: SourceReader; requests: ReadRequest[] } {
  const inner = source.reader('out');
  const requests: ReadRequest[] = [];
  const reader: SourceReader = {
    listPartitions: () => inner.listPartitions(),
    read: (request) => {
      requests.push(request);
      return inner.read({ ...request, maxRecords: Math.min(request.maxRecords, 2) });
    },
  };
  return { reader, requests };
}

describe('readSinkEnvelopes', () => {
  it('reads every partition from its earliest record to its tail, page by page, duplicates included, other data passed over', async () => {
    const source = new MemorySource();
    source.createStream('out', ['s0', 's1']);
    const first = kinesisRecordsOf(write(1, ['a', 'b', 'c'])).records;
    const second = kinesisRecordsOf(write(2, ['a'])).records;
    // s0: batch 1, a foreign record, batch 1 again (a retry), batch 2; s1: nothing.
    source.append('out', 's0', [
      ...first.map((r) => ({ key: r.partitionKey, data: r.data })),
      { key: 'x', data: new TextEncoder().encode('not an envelope') },
      ...first.map((r) => ({ key: r.partitionKey, data: r.data })),
      ...second.map((r) => ({ key: r.partitionKey, data: r.data })),
    ]);
    const { reader, requests } = smallPages(source);

    const envelopes = await readSinkEnvelopes(reader);

    expect(envelopes).toEqual([...first, ...first, ...second].map((r) => r.envelope));
    // Eight records in s0 take four pages (the last one reaches the tail), the empty s1 one.
    expect(requests.map((r) => r.partition)).toEqual(['s0', 's0', 's0', 's0', 's1']);
    expect(requests.every((r) => r.maxRecords === READBACK_PAGE_RECORDS)).toBe(true);
    expect(requests[0]!.start).toEqual({ type: 'EARLIEST' });
    expect(requests.slice(1, 4).every((r) => r.start.type === 'AFTER')).toBe(true);
  });

  it('reads a closed partition as closed, and an open one without the flag', async () => {
    const source = new MemorySource();
    source.createStream('out', ['s0']);
    const before = kinesisRecordsOf(write(1, ['a'])).records;
    source.append(
      'out',
      's0',
      before.map((r) => ({ key: r.partitionKey, data: r.data })),
    );
    source.reshard('out', ['s0'], ['s1', 's2']);
    const after = kinesisRecordsOf(write(2, ['a'])).records;
    source.appendByKey(
      'out',
      after.map((r) => ({ key: r.partitionKey, data: r.data })),
    );
    const { reader, requests } = smallPages(source);

    expect(await readSinkEnvelopes(reader)).toEqual([...before, ...after].map((r) => r.envelope));
    expect(requests.map((r) => [r.partition, r.partitionClosed ?? false])).toEqual([
      ['s0', true],
      ['s1', false],
      ['s2', false],
    ]);
  });

  it('reads nothing from a stream with no partitions', async () => {
    const source = new MemorySource();
    source.createStream('out', []);
    expect(await readSinkEnvelopes(source.reader('out'))).toEqual([]);
  });
});
