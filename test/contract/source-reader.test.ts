import { GetRecordsCommand, GetShardIteratorCommand, type KinesisClient, type PutRecordsCommand } from '@aws-sdk/client-kinesis';
import { describe, expect, it } from 'vitest';
import { putAllRecords } from '../../engine/adapters/aws/kinesis-producer.js';
import { KinesisSourceReader } from '../../engine/adapters/aws/kinesis-source-reader.js';
import { ShardIteratorCache } from '../../engine/adapters/aws/shard-iterator-cache.js';
import { MemorySource } from '../../engine/adapters/memory/memory-source.js';
import { RangeMismatchError, TransientError } from '../../engine/errors.js';
import { appendToShard, createTestStream, shardHashKeys, splitShard, testAwsClients } from '../support/aws.js';
import { describeSourceReaderContract } from './source-reader.contract.js';

describeSourceReaderContract('memory', () => {
  const source = new MemorySource({ now: () => Date.now() });
  source.createStream('clicks', ['p-0', 'p-1']);
  return {
    reader: source.reader('clicks'),
    partitions: ['p-0', 'p-1'],
    append: async (partition, records) => source.append('clicks', partition, records),
    split: async (partition) => {
      const children = [`${partition}-a`, `${partition}-b`];
      source.reshard('clicks', [partition], children);
      return children;
    },
  };
});

/** A 2-shard kinesalite stream read by a KinesisSourceReader, with or without kept iterators. */
async function kinesaliteReader(iterators?: ShardIteratorCache) {
  const streamName = await createTestStream(2);
  let hashKeys = await shardHashKeys(streamName);
  return {
    reader: new KinesisSourceReader({ client: testAwsClients().kinesis, streamName, ...(iterators ? { iterators } : {}) }),
    partitions: [...hashKeys.keys()],
    append: (partition: string, records: readonly { key: string; data: Uint8Array }[]) =>
      appendToShard(streamName, partition, records, hashKeys),
    split: async (partition: string) => {
      const children = await splitShard(streamName, partition);
      hashKeys = await shardHashKeys(streamName);
      return children;
    },
  };
}

describeSourceReaderContract('Kinesis (kinesalite)', () => kinesaliteReader());

describeSourceReaderContract('Kinesis (kinesalite), iterators kept between reads', () =>
  kinesaliteReader(new ShardIteratorCache({ now: () => Date.now() })),
);

/** A warm executor's kept iterators (shard-iterator-cache.ts): each read returns what a fresh iterator would. */
describe('KinesisSourceReader with kept iterators', () => {
  /** The real client, counting GetShardIterator calls; GetRecords call `n` (1-based) may throw instead. */
  function counting(failOn?: (call: number) => Error | undefined): { client: KinesisClient; iteratorCalls: () => number } {
    const real = testAwsClients().kinesis;
    let iteratorCalls = 0;
    let recordCalls = 0;
    const client = {
      send: async (command: unknown) => {
        if (command instanceof GetShardIteratorCommand) iteratorCalls += 1;
        if (command instanceof GetRecordsCommand) {
          recordCalls += 1;
          const injected = failOn?.(recordCalls);
          if (injected !== undefined) throw injected;
        }
        return real.send(command as GetShardIteratorCommand);
      },
    } as unknown as KinesisClient;
    return { client, iteratorCalls: () => iteratorCalls };
  }
  const text = (values: number[]) => values.map((i) => ({ key: `k${i}`, data: new TextEncoder().encode(String(i)) }));

  it('starts the next read AFTER the last offset with the iterator the read ended with, and sees records added since', async () => {
    const streamName = await createTestStream(1);
    const keys = await shardHashKeys(streamName);
    const [shard] = [...keys.keys()] as [string];
    const first = await appendToShard(streamName, shard, text([0, 1, 2]), keys);
    const { client, iteratorCalls } = counting();
    const iterators = new ShardIteratorCache({ now: () => Date.now() });
    const reader = new KinesisSourceReader({ client, streamName, iterators });
    const one = await reader.read({ partition: shard, start: { type: 'EARLIEST' }, maxRecords: 10 });
    expect(one.records.map((r) => r.offset)).toEqual(first);
    // At the tail: the next read, AFTER the last record, finds nothing and keeps its iterator.
    const empty = await reader.read({ partition: shard, start: { type: 'AFTER', offset: first[2]! }, maxRecords: 10 });
    expect(empty).toMatchObject({ records: [], caughtUp: true });
    const later = await appendToShard(streamName, shard, text([3, 4]), keys);
    const two = await reader.read({ partition: shard, start: { type: 'AFTER', offset: first[2]! }, maxRecords: 10 });
    expect(two.records.map((r) => r.offset)).toEqual(later);
    expect(iteratorCalls()).toBe(1);
    // Another start takes a fresh iterator.
    const again = await reader.read({ partition: shard, start: { type: 'AFTER', offset: first[0]! }, maxRecords: 10 });
    expect(again.records.map((r) => r.offset)).toEqual([...first.slice(1), ...later]);
    expect(iteratorCalls()).toBe(2);
  });

  it('keeps no iterator from a page it cut short, so the next read starts right after the last record returned', async () => {
    const streamName = await createTestStream(1);
    const keys = await shardHashKeys(streamName);
    const [shard] = [...keys.keys()] as [string];
    const offsets = await appendToShard(streamName, shard, text([0, 1, 2, 3, 4, 5]), keys);
    const iterators = new ShardIteratorCache({ now: () => Date.now() });
    const reader = new KinesisSourceReader({ client: testAwsClients().kinesis, streamName, iterators });
    // A recorded range: the first page holds all six records, the read stops at the third.
    const recorded = await reader.read({ partition: shard, start: { type: 'EARLIEST' }, maxRecords: 6, untilOffset: offsets[2]! });
    expect(recorded.records.map((r) => r.offset)).toEqual(offsets.slice(0, 3));
    expect(iterators.size).toBe(0);
    const next = await reader.read({ partition: shard, start: { type: 'AFTER', offset: offsets[2]! }, maxRecords: 10 });
    expect(next.records.map((r) => r.offset)).toEqual(offsets.slice(3));
  });

  it('takes a fresh iterator at the start when a kept one has expired', async () => {
    const streamName = await createTestStream(1);
    const keys = await shardHashKeys(streamName);
    const [shard] = [...keys.keys()] as [string];
    const offsets = await appendToShard(streamName, shard, text([0, 1, 2, 3]), keys);
    const expired = Object.assign(new Error('injected'), { name: 'ExpiredIteratorException', $fault: 'client', $metadata: {} });
    // GetRecords 1: the first read; 2: the second read's kept iterator, expired.
    const { client, iteratorCalls } = counting((call) => (call === 2 ? expired : undefined));
    const iterators = new ShardIteratorCache({ now: () => Date.now() });
    const reader = new KinesisSourceReader({ client, streamName, iterators, sleep: async () => {} });
    await reader.read({ partition: shard, start: { type: 'EARLIEST' }, maxRecords: 2 });
    expect(iterators.size).toBe(1);
    const rest = await reader.read({ partition: shard, start: { type: 'AFTER', offset: offsets[1]! }, maxRecords: 10 });
    expect(rest.records.map((r) => r.offset)).toEqual(offsets.slice(2));
    expect(iteratorCalls()).toBe(2);
  });
});

/** Kinesis's failure modes that kinesalite never produces, injected around the real client. */
describe('KinesisSourceReader on a flaky Kinesis', () => {
  /** An error as the SDK throws it: its name, and its metadata (a throw the SDK did not retry). */
  const failure = (name: string) => Object.assign(new Error(`injected ${name}`), { name, $fault: 'client', $metadata: { attempts: 1 } });

  async function streamWith(count: number): Promise<{ streamName: string; shard: string; offsets: string[] }> {
    const streamName = await createTestStream(1);
    const [shard] = [...(await shardHashKeys(streamName)).keys()] as [string];
    const data = Array.from({ length: count }, (_, i) => ({ key: `k${i % 5}`, data: new TextEncoder().encode(String(i)) }));
    return { streamName, shard, offsets: await appendToShard(streamName, shard, data) };
  }

  /** The real client, except that GetRecords call number `n` (1-based) runs `fault` instead when it returns something. */
  function faulty(fault: (call: number) => unknown): KinesisClient {
    const real = testAwsClients().kinesis;
    let calls = 0;
    return {
      send: async (command: unknown) => {
        if (command instanceof GetRecordsCommand) {
          calls += 1;
          const injected = fault(calls);
          if (injected instanceof Error) throw injected;
          if (injected !== undefined) return injected;
        }
        return real.send(command as GetShardIteratorCommand);
      },
    } as unknown as KinesisClient;
  }

  it('takes a fresh iterator after the last record read when an iterator expires mid-read', async () => {
    const { streamName, shard, offsets } = await streamWith(10_050);
    const sleeps: number[] = [];
    const client = faulty((call) => (call === 2 ? failure('ExpiredIteratorException') : undefined));
    const reader = new KinesisSourceReader({ client, streamName, sleep: async (ms) => void sleeps.push(ms) });
    const read = await reader.read({ partition: shard, start: { type: 'EARLIEST' }, maxRecords: 20_000 });
    expect(read.records.map((r) => r.offset)).toEqual(offsets);
    expect(sleeps).toHaveLength(1);
  });

  it('retries throttling with backoff, then gives up with a TransientError', async () => {
    const { streamName, shard, offsets } = await streamWith(5);
    const sleeps: number[] = [];
    const sleep = async (ms: number) => void sleeps.push(ms);
    const twice = faulty((call) => (call <= 2 ? failure('ProvisionedThroughputExceededException') : undefined));
    const read = await new KinesisSourceReader({ client: twice, streamName, sleep }).read({
      partition: shard,
      start: { type: 'AFTER', offset: offsets[0]! },
      maxRecords: 10,
      untilOffset: offsets[3]!,
    });
    expect(read.records.map((r) => r.offset)).toEqual(offsets.slice(1, 4));
    expect(sleeps).toHaveLength(2);
    expect(sleeps[1]!).toBeGreaterThan(sleeps[0]!);

    const always = faulty(() => failure('ProvisionedThroughputExceededException'));
    const error = await new KinesisSourceReader({ client: always, streamName, sleep, maxRetries: 3 })
      .read({ partition: shard, start: { type: 'EARLIEST' }, maxRecords: 10 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientError);
    expect((error as TransientError).retryable).toBe(true);
  });

  it('follows empty pages while the shard is behind, at most maxEmptyPolls in a row', async () => {
    const { streamName, shard, offsets } = await streamWith(4);
    const sleep = async () => {};
    // Two empty pages while 60 s behind, then the real records.
    const behind = (call: number) =>
      call <= 2 ? { Records: [], MillisBehindLatest: 60_000, NextShardIterator: undefined as string | undefined } : undefined;
    const real = testAwsClients().kinesis;
    let iterator: string | undefined;
    const gappy = faulty((call) => {
      const page = behind(call);
      if (page !== undefined) page.NextShardIterator = iterator;
      return page;
    });
    const { ShardIterator } = await real.send(
      new GetShardIteratorCommand({ StreamName: streamName, ShardId: shard, ShardIteratorType: 'TRIM_HORIZON' }),
    );
    iterator = ShardIterator;
    const read = await new KinesisSourceReader({ client: gappy, streamName, sleep, maxEmptyPolls: 3 }).read({
      partition: shard,
      start: { type: 'EARLIEST' },
      maxRecords: 10,
    });
    expect(read.records.map((r) => r.offset)).toEqual(offsets);

    // Always behind and always empty: the read gives up, not caught up; a recorded range cannot be read.
    const stuck = faulty(() => ({ Records: [], MillisBehindLatest: 60_000, NextShardIterator: iterator }));
    const reader = new KinesisSourceReader({ client: stuck, streamName, sleep, maxEmptyPolls: 3 });
    const gaveUp = await reader.read({ partition: shard, start: { type: 'EARLIEST' }, maxRecords: 10 });
    expect(gaveUp).toMatchObject({ records: [], caughtUp: false, closed: false, lagMs: 60_000 });
    await expect(
      reader.read({ partition: shard, start: { type: 'EARLIEST' }, maxRecords: 10, untilOffset: offsets[1]! }),
    ).rejects.toBeInstanceOf(RangeMismatchError);
  });
});

describe('putAllRecords', () => {
  it('retries the entries Kinesis refused before sending later records, and reports where each landed', async () => {
    const calls: string[][] = [];
    const client = {
      send: async (command: PutRecordsCommand) => {
        const keys = command.input.Records!.map((r) => r.PartitionKey!);
        calls.push(keys);
        const refuse = calls.length === 1 ? new Set(['k3', 'k7']) : new Set<string>();
        return {
          FailedRecordCount: refuse.size,
          Records: keys.map((key) =>
            refuse.has(key)
              ? { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'slow down' }
              : { ShardId: 'shardId-000000000000', SequenceNumber: `${1_000 + Number(key.slice(1))}${calls.length}` },
          ),
        };
      },
    } as unknown as KinesisClient;
    const records = Array.from({ length: 600 }, (_, i) => ({ key: `k${i}`, data: new Uint8Array([i % 256]) }));
    const progress: number[] = [];
    const results = await putAllRecords(client, 'stream', records, {
      sleep: async () => {},
      onProgress: (stored) => progress.push(stored),
    });
    expect(calls.map((c) => c.length)).toEqual([500, 2, 100]);
    expect(calls[1]).toEqual(['k3', 'k7']);
    expect(calls[2]![0]).toBe('k500');
    expect(results).toHaveLength(600);
    expect(results[3]).toEqual({ shardId: 'shardId-000000000000', sequenceNumber: '10032' });
    expect(results[4]).toEqual({ shardId: 'shardId-000000000000', sequenceNumber: '10041' });
    expect(progress).toEqual([498, 500, 600]);
  });
});

/** maxReadMs (read-range.ts's RANGE_READ_BUDGET): no page is asked for once the read's time is spent. */
describe("KinesisSourceReader's time budget", () => {
  it('asks for no page after maxReadMs, says there is more, and keeps the iterator for the next read', async () => {
    const streamName = await createTestStream(1);
    const [shard] = [...(await shardHashKeys(streamName)).keys()] as [string];
    const data = Array.from({ length: 9 }, (_, i) => ({ key: `k${i}`, data: new TextEncoder().encode(String(i)) }));
    const offsets = await appendToShard(streamName, shard, data);
    const real = testAwsClients().kinesis;
    let pages = 0;
    // Pages of two records, each answered one (fake) second later.
    const client = {
      send: async (command: unknown) => {
        if (command instanceof GetRecordsCommand) {
          pages += 1;
          clock += 1_000;
          return real.send(new GetRecordsCommand({ ...command.input, Limit: 2 }));
        }
        return real.send(command as GetShardIteratorCommand);
      },
    } as unknown as KinesisClient;
    let clock = 0;
    const iterators = new ShardIteratorCache({ now: () => clock });
    const reader = new KinesisSourceReader({ client, streamName, iterators, now: () => clock });
    const first = await reader.read({ partition: shard, start: { type: 'EARLIEST' }, maxRecords: 100, maxReadMs: 2_000 });
    expect(first.records.map((r) => r.offset)).toEqual(offsets.slice(0, 4));
    expect(pages).toBe(2);
    expect(first).toMatchObject({ more: true, caughtUp: false, closed: false });
    expect(iterators.size).toBe(1);
    const rest = await reader.read({ partition: shard, start: { type: 'AFTER', offset: offsets[3]! }, maxRecords: 100 });
    expect(rest.records.map((r) => r.offset)).toEqual(offsets.slice(4));
    expect(rest.caughtUp).toBe(true);
    expect(rest.more).toBeUndefined();
  });
});
