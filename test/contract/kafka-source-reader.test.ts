/**
 * The Kafka source reader on a real implementation of the Kafka protocol (librdkafka's
 * mock cluster, 3 brokers, through kcat), and its memory twin (MemorySource with fixed
 * ranges), against the same fixed-range contract; then what only Kafka has.
 *
 * The mock has no DeleteRecords and no retention, so "aged out" is simulated at the
 * client boundary: the admin API reports a raised log start offset, and a fetch below it
 * gets the broker's real OFFSET_OUT_OF_RANGE (asked of the mock beyond its end). The mock
 * answers ListOffsets by timestamp with -1 for every timestamp, so the tests of the
 * timestamp lookup inject the broker's answer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaClients } from '../../engine/adapters/kafka/kafka-clients.js';
import { KafkaSourceReader, type KafkaAdmin, type PartitionFetcher } from '../../engine/adapters/kafka/kafka-source-reader.js';
import { MemorySource } from '../../engine/adapters/memory/memory-source.js';
import { DataLossError, InvalidArgumentError, NotFoundError, TransientError } from '../../engine/errors.js';
import { numbered, uniqueTopic, useKafkaMock } from '../support/kafka.js';
import { describeFixedRangeSourceContract } from './fixed-range-source.contract.js';

const kafkaCluster = useKafkaMock(3);
let clients: KafkaClients;
beforeAll(() => {
  clients = new KafkaClients(kafkaCluster().connection);
});
afterAll(async () => {
  await clients.close();
});

const decoder = new TextDecoder();
const numbers = (read: { records: readonly { data: Uint8Array }[] }): number[] =>
  read.records.map((r) => (JSON.parse(decoder.decode(r.data)) as { n: number }).n);

/** Retention simulated around the real clients: offsets below `agedOut[partition]` are gone. */
function retention(agedOut: Map<string, bigint>): { admin: () => Promise<KafkaAdmin>; fetch: PartitionFetcher } {
  const admin = async (): Promise<KafkaAdmin> => {
    const real = await clients.admin();
    return {
      fetchTopicMetadata: (args) => real.fetchTopicMetadata(args),
      fetchTopicOffsetsByTimestamp: (topic, timestamp) => real.fetchTopicOffsetsByTimestamp(topic, timestamp),
      fetchTopicOffsets: async (topic) =>
        (await real.fetchTopicOffsets(topic)).map((o) => {
          const low = agedOut.get(String(o.partition));
          return low === undefined || low <= BigInt(o.low) ? o : { ...o, low: low.toString() };
        }),
    };
  };
  const fetch: PartitionFetcher = (request) => {
    const low = agedOut.get(String(request.partition));
    // Below the log start offset a broker answers OFFSET_OUT_OF_RANGE: get the mock's own, from beyond its end.
    return clients.fetch(low !== undefined && BigInt(request.offset) < low ? { ...request, offset: '1000000000000' } : request);
  };
  return { admin, fetch };
}

describeFixedRangeSourceContract("Kafka (librdkafka's mock cluster)", async () => {
  const topic = uniqueTopic();
  await kafkaCluster().createTopic(topic);
  const agedOut = new Map<string, bigint>();
  return {
    reader: new KafkaSourceReader({ topic, ...retention(agedOut) }),
    partitions: ['0', '1', '2', '3'],
    append: (partition, records, options) =>
      kafkaCluster().produce(
        topic,
        Number(partition),
        records.map((r) => ({ key: r.key, value: r.data })),
        { batchSize: options?.batchSize ?? Math.max(1, records.length) },
      ),
    ageOut: async (partition, before) => void agedOut.set(partition, BigInt(before)),
  };
});

describeFixedRangeSourceContract('memory, fixed ranges (the twin of Kafka)', () => {
  const source = new MemorySource({ now: () => Date.now(), fixedRanges: true, firstOffset: 0n, offsetStep: 1n });
  source.createStream('clicks', ['0', '1']);
  return {
    reader: source.reader('clicks'),
    partitions: ['0', '1'],
    append: async (partition, records) => source.append('clicks', partition, records),
    ageOut: async (partition, before) => {
      if (BigInt(before) > 0n) source.trim('clicks', partition, (BigInt(before) - 1n).toString());
    },
  };
});

describe('KafkaSourceReader on the mock cluster', () => {
  async function topicWith(partition: number, count: number, options: Parameters<ReturnType<typeof kafkaCluster>['produce']>[3] = {}) {
    const topic = uniqueTopic();
    const cluster = kafkaCluster();
    await cluster.createTopic(topic);
    const offsets = await cluster.produce(topic, partition, numbered(0, count), options);
    return { topic, offsets, reader: clients.reader(topic) };
  }

  it('names partitions by number and reuses one reader per topic on shared clients', async () => {
    // The mock creates a topic on its first Metadata request (even with auto-creation off).
    const topic = uniqueTopic();
    const reader = clients.reader(topic);
    expect(clients.reader(topic)).toBe(reader);
    expect(await reader.listPartitions()).toEqual(['0', '1', '2', '3'].map((id) => ({ id, parentIds: [], closed: false })));
    const fixed = await reader.fixRanges(
      [0, 1, 2, 3].map((p) => ({ partition: String(p), start: { type: 'EARLIEST' }, maxRecords: 10 })),
      {
        failOnDataLoss: true,
      },
    );
    expect(fixed.map((f) => [f.partition, f.endBefore, f.endIsTail])).toEqual([
      ['0', '0', true],
      ['1', '0', true],
      ['2', '0', true],
      ['3', '0', true],
    ]);
  });

  it('reads record fields: key as UTF-8 ("" without one), value bytes, the record timestamp, decimal offsets', async () => {
    const topic = uniqueTopic();
    const cluster = kafkaCluster();
    await cluster.createTopic(topic);
    const offsets = await cluster.produce(topic, 2, [
      { key: 'clé-1', value: new Uint8Array([0, 255, 7]), timestampMs: 1_700_000_000_123 },
      { key: null, value: 'plain', timestampMs: 1_700_000_000_456 },
      { key: 'tombstone', value: null, timestampMs: 1_700_000_000_789 },
    ]);
    expect(offsets).toEqual(['0', '1', '2']);
    const read = await clients
      .reader(topic)
      .read({ partition: '2', start: { type: 'AT_OFFSET', offset: '0' }, maxRecords: 3, endBefore: '3' });
    expect(read.records.map((r) => ({ ...r, data: [...r.data] }))).toEqual([
      { partition: '2', offset: '0', key: 'clé-1', data: [0, 255, 7], arrivalTimeMs: 1_700_000_000_123 },
      { partition: '2', offset: '1', key: '', data: [...new TextEncoder().encode('plain')], arrivalTimeMs: 1_700_000_000_456 },
      { partition: '2', offset: '2', key: 'tombstone', data: [], arrivalTimeMs: 1_700_000_000_789 },
    ]);
    expect(read.caughtUp).toBe(true);
  });

  it('reads exact ranges of gzip-compressed record batches, and across many small fetches', async () => {
    const { topic, offsets } = await topicWith(1, 200, { batchSize: 30, compression: 1 /* gzip */ });
    expect(offsets).toHaveLength(200);
    const reader = clients.reader(topic);
    const got = await reader.read({ partition: '1', start: { type: 'AT_OFFSET', offset: '17' }, maxRecords: 150, endBefore: '167' });
    expect(numbers(got)).toEqual(Array.from({ length: 150 }, (_, i) => 17 + i));
    // A fetch of at most 64 bytes still returns one whole batch: the reader follows batch after batch.
    const small = new KafkaSourceReader({ topic, admin: () => clients.admin(), fetch: clients.fetch, fetchMaxBytes: 64 });
    const many = await small.read({ partition: '1', start: { type: 'AT_OFFSET', offset: '29' }, maxRecords: 64, endBefore: '93' });
    expect(numbers(many)).toEqual(Array.from({ length: 64 }, (_, i) => 29 + i));
  });

  it('reads without endBefore by fixing the range first (start resolved, capped at maxRecords)', async () => {
    const { reader } = await topicWith(3, 12);
    const first = await reader.read({ partition: '3', start: { type: 'EARLIEST' }, maxRecords: 5 });
    expect(numbers(first)).toEqual([0, 1, 2, 3, 4]);
    expect(first.caughtUp).toBe(false);
    const rest = await reader.read({ partition: '3', start: { type: 'AFTER', offset: '4' }, maxRecords: 100 });
    expect(numbers(rest)).toEqual([5, 6, 7, 8, 9, 10, 11]);
    expect(rest).toMatchObject({ caughtUp: true, closed: false, lagMs: 0 });
  });

  it('refuses recorded ranges, bad partition ids and inverted ranges', async () => {
    const { reader } = await topicWith(0, 3);
    await expect(reader.read({ partition: '0', start: { type: 'EARLIEST' }, maxRecords: 3, untilOffset: '2' })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    await expect(
      reader.read({ partition: 'shard-0', start: { type: 'AT_OFFSET', offset: '0' }, maxRecords: 3, endBefore: '1' }),
    ).rejects.toThrow(/decimal string/);
    await expect(reader.read({ partition: '0', start: { type: 'AT_OFFSET', offset: '2' }, maxRecords: 3, endBefore: '1' })).rejects.toThrow(
      /inverted/,
    );
    await expect(
      reader.fixRanges([{ partition: '0', start: { type: 'EARLIEST' }, maxRecords: 0 }], { failOnDataLoss: true }),
    ).rejects.toThrow(/maxRecords/);
  });

  it('fails a read the broker cannot complete with a retryable TransientError, not with fewer records', async () => {
    const { topic } = await topicWith(0, 10);
    const sleeps: number[] = [];
    const reader = new KafkaSourceReader({
      topic,
      admin: () => clients.admin(),
      fetch: clients.fetch,
      readTimeoutMs: 300,
      fetchMaxWaitMs: 20,
      sleep: async (ms) => void sleeps.push(ms),
    });
    // The partition ends at 10: a range to 15 (a broker whose end went back, a new leader catching up) never completes.
    const error = await reader
      .read({ partition: '0', start: { type: 'AT_OFFSET', offset: '4' }, maxRecords: 11, endBefore: '15' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientError);
    expect((error as TransientError).retryable).toBe(true);
    expect((error as TransientError).context).toMatchObject({ partition: '0', offset: '10', endBefore: '15' });
    expect(sleeps.length).toBeGreaterThan(0);
  });

  it('fails with DataLossError when the range aged out between the plan and the read', async () => {
    const { topic } = await topicWith(0, 20);
    const agedOut = new Map<string, bigint>();
    const reader = new KafkaSourceReader({ topic, ...retention(agedOut), sleep: async () => {} });
    const [fixed] = await reader.fixRanges([{ partition: '0', start: { type: 'AT_OFFSET', offset: '3' }, maxRecords: 10 }], {
      failOnDataLoss: false,
    });
    expect(fixed).toEqual({ partition: '0', start: { type: 'AT_OFFSET', offset: '3' }, endBefore: '13', endIsTail: false });
    agedOut.set('0', 8n);
    const error = await reader
      .read({ partition: '0', start: fixed!.start, maxRecords: 10, endBefore: fixed!.endBefore })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataLossError);
    expect((error as DataLossError).context).toMatchObject({ topic, partition: '0', offset: '3', earliest: '8' });
  });

  it('fails the plan when the partition ends before where the job continues (a recreated topic), or continues from its end', async () => {
    const { topic, reader } = await topicWith(0, 5);
    const request = [{ partition: '0', start: { type: 'AT_OFFSET', offset: '40' } as const, maxRecords: 10 }];
    const error = await reader.fixRanges(request, { failOnDataLoss: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DataLossError);
    expect((error as DataLossError).context).toMatchObject({ topic, partition: '0', offset: '40', latest: '5' });
    expect(await reader.fixRanges(request, { failOnDataLoss: false })).toEqual([
      { partition: '0', start: { type: 'AT_OFFSET', offset: '5' }, endBefore: '5', endIsTail: true },
    ]);
  });

  it("resolves AT_TIMESTAMP with the broker's ListOffsets answer per partition, -1 meaning the end", async () => {
    const { topic } = await topicWith(0, 10);
    await kafkaCluster().produce(topic, 1, numbered(100, 4));
    const asked: number[] = [];
    const reader = new KafkaSourceReader({
      topic,
      fetch: clients.fetch,
      admin: async () => {
        const real = await clients.admin();
        return {
          fetchTopicMetadata: (args) => real.fetchTopicMetadata(args),
          fetchTopicOffsets: (t) => real.fetchTopicOffsets(t),
          // What a real broker answers (the mock answers -1 for every timestamp).
          fetchTopicOffsetsByTimestamp: async (_t, timestamp) => {
            asked.push(timestamp!);
            return [
              { partition: 0, offset: '6' },
              { partition: 1, offset: '-1' },
              { partition: 2, offset: '0' },
              { partition: 3, offset: '0' },
            ];
          },
        };
      },
    });
    const start = { type: 'AT_TIMESTAMP', timestamp: 1_800_000_000_000 } as const;
    const fixed = await reader.fixRanges(
      [
        { partition: '0', start, maxRecords: 100 },
        { partition: '1', start, maxRecords: 100 },
      ],
      { failOnDataLoss: true },
    );
    expect(asked).toEqual([1_800_000_000_000]);
    expect(fixed).toEqual([
      { partition: '0', start: { type: 'AT_OFFSET', offset: '6' }, endBefore: '10', endIsTail: true },
      { partition: '1', start: { type: 'AT_OFFSET', offset: '4' }, endBefore: '4', endIsTail: true },
    ]);
    expect(numbers(await reader.read({ partition: '0', start: fixed[0]!.start, maxRecords: 100, endBefore: '10' }))).toEqual([6, 7, 8, 9]);
  });

  it('closes its clients: a closed set refuses new readers and new connections', async () => {
    const own = new KafkaClients(kafkaCluster().connection);
    const { topic } = await topicWith(0, 2);
    expect(
      numbers(
        await own.reader(topic).read({ partition: '0', start: { type: 'AT_OFFSET', offset: '0' } as const, maxRecords: 2, endBefore: '2' }),
      ),
    ).toEqual([0, 1]);
    await own.close();
    await own.close();
    expect(() => own.reader(uniqueTopic())).toThrow(/closed/);
    await expect(own.admin()).rejects.toThrow(/closed/);
  });
});

/**
 * What the mock cannot show: it has no CreatePartitions, and it creates any topic asked
 * for. A scripted admin answers as a real cluster would.
 */
describe('KafkaSourceReader with a scripted admin (what the mock cannot do)', () => {
  const unused: PartitionFetcher = async () => {
    throw new Error('no fetch expected');
  };
  function scripted(partitions: () => number[], fail?: () => unknown): KafkaAdmin {
    return {
      fetchTopicMetadata: async ({ topics } = { topics: [] }) => {
        const error = fail?.();
        if (error !== undefined) throw error;
        return {
          topics: (topics ?? []).map((name) => ({
            name,
            partitions: partitions().map((partitionId) => ({
              partitionId,
              leader: 1,
              replicas: [1],
              isr: [1],
              offlineReplicas: [],
              partitionErrorCode: 0,
            })),
          })),
        };
      },
      fetchTopicOffsets: async () => partitions().map((partition) => ({ partition, offset: '7', high: '7', low: '2' })),
      fetchTopicOffsetsByTimestamp: async () => partitions().map((partition) => ({ partition, offset: '7' })),
    };
  }

  it('lists the partitions afresh at every call: partitions added to the topic show up at the next plan', async () => {
    let count = 2;
    const admin = scripted(() => Array.from({ length: count }, (_, i) => count - 1 - i));
    const reader = new KafkaSourceReader({ topic: 'grows', admin: async () => admin, fetch: unused });
    expect((await reader.listPartitions()).map((p) => p.id)).toEqual(['0', '1']);
    count = 12;
    const listed = await reader.listPartitions();
    expect(listed.map((p) => p.id)).toEqual(Array.from({ length: 12 }, (_, i) => String(i)));
    const fixed = await reader.fixRanges([{ partition: '11', start: { type: 'EARLIEST' }, maxRecords: 3 }], { failOnDataLoss: true });
    expect(fixed).toEqual([{ partition: '11', start: { type: 'AT_OFFSET', offset: '2' }, endBefore: '5', endIsTail: false }]);
  });

  it('says clearly when the topic does not exist', async () => {
    const unknown = Object.assign(new Error('This server does not host this topic-partition'), { type: 'UNKNOWN_TOPIC_OR_PARTITION' });
    const reader = new KafkaSourceReader({
      topic: 'nowhere',
      admin: async () =>
        scripted(
          () => [],
          () => unknown,
        ),
      fetch: unused,
    });
    const error = await reader.listPartitions().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as NotFoundError).message).toBe(
      "source Kafka topic nowhere does not exist on the cluster: create it, or fix the job's topic",
    );
    expect((error as NotFoundError).retryable).toBe(false);
  });

  it('fails with a retryable error when ListOffsets does not cover a planned partition yet', async () => {
    const reader = new KafkaSourceReader({ topic: 't', admin: async () => scripted(() => [0]), fetch: unused });
    const error = await reader
      .fixRanges([{ partition: '3', start: { type: 'EARLIEST' }, maxRecords: 3 }], { failOnDataLoss: true })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransientError);
  });
});
