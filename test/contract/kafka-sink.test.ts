/**
 * The Kafka sink on librdkafka's mock cluster (3 brokers, through kcat; acks=all, no
 * idempotent producer and no transactions there, which is why the sink does not claim
 * exactly-once) and its memory twin, against the same contract; then what only the
 * adapter does (headers, partitioning by key, produce requests, broker errors) with the
 * mock's messages read back raw, and with a scripted producer.
 */
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KafkaClients } from '../../engine/adapters/kafka/kafka-clients.js';
import { KafkaSink, type KafkaSinkProducer } from '../../engine/adapters/kafka/kafka-sink.js';
import { MemoryKafkaSink } from '../../engine/adapters/memory/memory-kafka-sink.js';
import { TransientError, isRetryable } from '../../engine/errors.js';
import type { SinkWrite } from '../../engine/ports/sink.js';
import { envelopeOf, KAFKA_MAX_MESSAGES_PER_SEND } from '../../engine/sinks/kafka-records.js';
import { sluiceIdOf } from '../../engine/sinks/kinesis-records.js';
import { uniqueTopic, useKafkaMock } from '../support/kafka.js';
import { describeKafkaSinkContract } from './kafka-sink.contract.js';

const kafkaCluster = useKafkaMock(3);
let clients: KafkaClients;
beforeAll(() => {
  clients = new KafkaClients(kafkaCluster().connection);
});
afterAll(async () => {
  await clients.close();
});

describeKafkaSinkContract('memory twin', async () => {
  const sink = new MemoryKafkaSink();
  return { sink, records: async () => sink.sends.map((s) => s.envelope) };
});

describeKafkaSinkContract("Kafka (librdkafka's mock cluster)", async () => {
  const topic = uniqueTopic('kafka-sink');
  await kafkaCluster().createTopic(topic);
  const sink = new KafkaSink({ producer: () => clients.producer(), topic, reader: clients.reader(topic) });
  return { sink, records: () => sink.records() };
});

const write = (batchId: number, keys: string[], generation = 0): SinkWrite => ({
  jobId: 'job',
  batchId,
  generation,
  partition: 'p',
  rows: keys.map((key) => ({ key, value: { key } })),
});

/** Every message of a topic of the mock, raw (key, headers, value), by Kafka partition. */
async function rawMessages(topic: string) {
  const out: { partition: number; key: string; headers: Record<string, string>; sluiceId: string }[] = [];
  for (let partition = 0; partition < 4; partition += 1) {
    const messages = [];
    for (let offset = 0n; ; ) {
      const fetched = await clients.fetch({ topic, partition, offset: offset.toString(), maxWaitMs: 100, maxBytes: 10_000_000 });
      const next = fetched.messages.filter((m) => BigInt(m.offset) >= offset);
      messages.push(...next);
      if (next.length === 0 || BigInt(fetched.highWatermark) <= BigInt(next.at(-1)!.offset) + 1n) break;
      offset = BigInt(next.at(-1)!.offset) + 1n;
    }
    for (const m of messages) {
      const headers = (m as unknown as { headers?: Record<string, Buffer> }).headers ?? {};
      out.push({
        partition,
        key: m.key!.toString('utf8'),
        headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, v.toString('utf8')])),
        sluiceId: envelopeOf(new Uint8Array(m.value!))!.sluiceId,
      });
    }
  }
  return out;
}

describe("KafkaSink on librdkafka's mock cluster: what a consumer sees", () => {
  it('each message has the row key as its key and the sluice-id, sluice-generation, sluice-batch headers; a row key keeps its partition', async () => {
    const topic = uniqueTopic('kafka-sink-raw');
    await kafkaCluster().createTopic(topic);
    const sink = new KafkaSink({ producer: () => clients.producer(), topic });
    const keys = Array.from({ length: 20 }, (_, i) => `user-${i}`);
    await sink.write(write(3, keys, 2));
    await sink.write(write(4, keys, 2));
    const raw = await rawMessages(topic);
    expect(raw).toHaveLength(40);
    for (const m of raw) {
      expect(m.headers).toEqual({ 'sluice-id': m.sluiceId, 'sluice-generation': '2', 'sluice-batch': expect.stringMatching(/^[34]$/) });
      expect(m.sluiceId).toBe(
        sluiceIdOf({ jobId: 'job', generation: 2, batchId: Number(m.headers['sluice-batch']), partition: 'p' }, m.key),
      );
    }
    // Both versions of every row are in one partition (the key's), and the rows spread over several.
    for (const key of keys) expect(new Set(raw.filter((m) => m.key === key).map((m) => m.partition)).size).toBe(1);
    expect(new Set(raw.map((m) => m.partition)).size).toBeGreaterThan(1);
  });
});

/** What kafkajs builds a protocol error from (its types take an Error; it reads these fields). */
const protocolError = (fields: { type: string; code: number; retriable: boolean; message: string }) =>
  new kafkajs.KafkaJSProtocolError(fields as unknown as Error);

/** A producer that records each send and answers from a script (an error to throw, or nothing). */
function scriptedProducer(failures: (Error | undefined)[] = []) {
  const sends: { topic: string; acks: number | undefined; keys: string[]; headers: Record<string, string>[] }[] = [];
  const producer: KafkaSinkProducer = {
    send: async (record) => {
      sends.push({
        topic: record.topic,
        acks: record.acks,
        keys: record.messages.map((m) => String(m.key)),
        headers: record.messages.map((m) => Object.fromEntries(Object.entries(m.headers ?? {}).map(([k, v]) => [k, String(v)]))),
      });
      const failure = failures.shift();
      if (failure !== undefined) throw failure;
      return [];
    },
  };
  return { producer: async () => producer, sends };
}

describe('KafkaSink: produce requests and broker errors (a scripted producer)', () => {
  it('sends with acks=all, the row key as the message key and the id headers', async () => {
    const { producer, sends } = scriptedProducer();
    await new KafkaSink({ producer, topic: 't' }).write(write(9, ['a', 'b'], 1));
    expect(sends).toEqual([
      {
        topic: 't',
        acks: -1,
        keys: ['a', 'b'],
        headers: ['a', 'b'].map((key) => ({
          'sluice-id': sluiceIdOf({ jobId: 'job', generation: 1, batchId: 9, partition: 'p' }, key),
          'sluice-generation': '1',
          'sluice-batch': '9',
        })),
      },
    ]);
  });

  it('an empty batch sends nothing and does not even connect', async () => {
    let asked = 0;
    const sink = new KafkaSink({
      producer: async () => {
        asked += 1;
        throw new Error('no producer');
      },
      topic: 't',
    });
    expect(await sink.write(write(1, []))).toEqual({ written: 0, skipped: 0 });
    expect(asked).toBe(0);
  });

  it(`sends ${KAFKA_MAX_MESSAGES_PER_SEND} messages per request at most, and at most maxMessageBytes per request`, async () => {
    const { producer, sends } = scriptedProducer();
    await new KafkaSink({ producer, topic: 't' }).write(
      write(
        1,
        Array.from({ length: 2_100 }, (_, i) => `k${i}`),
      ),
    );
    expect(sends.map((s) => s.keys.length)).toEqual([1_000, 1_000, 100]);
    const small = scriptedProducer();
    const rows = Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: { pad: 'x'.repeat(600) } }));
    await new KafkaSink({ producer: small.producer, topic: 't', maxMessageBytes: 2_048 }).write({ ...write(1, []), rows });
    // About 900 bytes a message: two fit under 2,048 bytes.
    expect(small.sends.map((s) => s.keys.length)).toEqual([2, 2, 2, 2, 2]);
  });

  it('maxMessageBytes is a setting: a row over it is refused (a dead letter), a row under it is sent', async () => {
    const { producer, sends } = scriptedProducer();
    const sink = new KafkaSink({ producer, topic: 't', maxMessageBytes: 4_096 });
    const result = await sink.write({
      ...write(1, []),
      rows: [
        { key: 'small', value: { pad: 'x'.repeat(100) } },
        { key: 'large', value: { pad: 'x'.repeat(5_000) } },
      ],
    });
    expect(result.written).toBe(1);
    expect(result.rejected).toEqual([{ key: 'large', reason: expect.stringMatching(/above the 4096-byte limit of a message/) }]);
    expect(sends.map((s) => s.keys)).toEqual([['small']]);
  });

  it('a key function routes rows; a row it throws for or returns no string for is refused, never retried', async () => {
    const { producer, sends } = scriptedProducer();
    const sink = new KafkaSink({
      producer,
      topic: 't',
      key: (row) => {
        if (row.key === 'boom') throw new Error('no tenant');
        return (row.key === 'num' ? 7 : `tenant-${row.key.slice(0, 1)}`) as string;
      },
    });
    const result = await sink.write(write(1, ['ab', 'boom', 'num']));
    expect(result.written).toBe(1);
    expect(result.rejected).toEqual([
      { key: 'boom', reason: 'key threw: no tenant' },
      { key: 'num', reason: 'key must return a string, got number' },
    ]);
    expect(sends.map((s) => s.keys)).toEqual([['tenant-a']]);
  });

  it('a retriable broker error (a leader election, a timeout, a lost connection) is TransientError: the batch is retried', async () => {
    const errors = [
      protocolError({ type: 'NOT_LEADER_FOR_PARTITION', code: 6, retriable: true, message: 'not the leader' }),
      new kafkajs.KafkaJSRequestTimeoutError('Request Produce(key: 0, version: 7) timed out'),
      new kafkajs.KafkaJSConnectionError('Connection error: ECONNRESET'),
      new kafkajs.KafkaJSNumberOfRetriesExceeded(new Error('retries'), { retryCount: 5, retryTime: 1_000 }),
    ];
    for (const error of errors) {
      const { producer } = scriptedProducer([error]);
      const thrown = await new KafkaSink({ producer, topic: 't' }).write(write(1, ['a'])).catch((e: unknown) => e);
      expect(thrown).toBeInstanceOf(TransientError);
      expect((thrown as TransientError).cause).toBe(error);
      expect(isRetryable(thrown)).toBe(true);
    }
  });

  it('a non-retriable error (authorization) fails the batch as it is', async () => {
    const denied = protocolError({
      type: 'TOPIC_AUTHORIZATION_FAILED',
      code: 29,
      retriable: false,
      message: 'not authorized',
    });
    const { producer } = scriptedProducer([denied]);
    const thrown = await new KafkaSink({ producer, topic: 't' }).write(write(1, ['a'])).catch((e: unknown) => e);
    expect(thrown).toBe(denied);
    expect(thrown).not.toBeInstanceOf(TransientError);
  });

  it('a failed send after an earlier request succeeded: the retry sends everything again, with the same ids (the duplicates)', async () => {
    const { producer, sends } = scriptedProducer([undefined, new kafkajs.KafkaJSRequestTimeoutError('timed out')]);
    const sink = new KafkaSink({ producer, topic: 't' });
    const keys = Array.from({ length: 1_500 }, (_, i) => `k${i}`);
    await expect(sink.write(write(5, keys))).rejects.toBeInstanceOf(TransientError);
    await sink.write(write(5, keys));
    expect(sends.map((s) => s.keys.length)).toEqual([1_000, 500, 1_000, 500]);
    expect(sends[2]!.headers).toEqual(sends[0]!.headers);
  });
});
