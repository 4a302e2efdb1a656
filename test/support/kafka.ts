/**
 * librdkafka's mock Kafka cluster for tests (local/kafka-mock.ts), one per test
 * file: `useKafkaMock()` starts it before the file's tests and stops it after. Every test
 * uses its own topic (`uniqueTopic`), created on first use with 4 partitions.
 */
import { afterAll, beforeAll } from 'vitest';
import type { Kafka } from 'kafkajs';
import kafkajs from 'kafkajs';
import { kafkaClientConfig, type KafkaConnection } from '../../engine/adapters/kafka/kafka-config.js';
import { produceRecords, type KafkaRecordToSend, type ProduceOptions } from '../../engine/adapters/kafka/kafka-producer.js';
import { startKafkaMock, type KafkaMock } from '../../local/kafka-mock.js';
import type { Offset } from '../../engine/protocol/offsets.js';
import { uniqueName } from './aws.js';

export interface KafkaTestCluster {
  readonly connection: KafkaConnection;
  /** A kafkajs client for producing test data. */
  readonly kafka: Kafka;
  /** Creates a topic (4 partitions, empty) by asking for it: the mock creates topics on first use. */
  createTopic(topic: string): Promise<void>;
  /** Appends records to one partition of a topic; returns their offsets. */
  produce(
    topic: string,
    partition: number,
    records: readonly Omit<KafkaRecordToSend, 'partition'>[],
    options?: ProduceOptions,
  ): Promise<Offset[]>;
}

/** Starts a mock cluster of `brokers` brokers for this test file; the returned function gives it to tests. */
export function useKafkaMock(brokers = 3): () => KafkaTestCluster {
  let mock: KafkaMock | undefined;
  let cluster: KafkaTestCluster | undefined;
  beforeAll(async () => {
    mock = await startKafkaMock({ brokers });
    const connection: KafkaConnection = { brokers: mock.brokers, clientId: 'sluice-test' };
    const kafka = new kafkajs.Kafka(kafkaClientConfig(connection));
    cluster = {
      connection,
      kafka,
      createTopic: async (topic) => {
        // A produce of nothing asks for the topic's metadata, which makes the mock create it.
        const producer = kafka.producer({ allowAutoTopicCreation: true, createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
        await producer.connect();
        await producer.send({ topic, messages: [] }).finally(() => producer.disconnect());
        const admin = kafka.admin();
        await admin.connect();
        try {
          for (let i = 0; ; i += 1) {
            const { topics } = await admin.fetchTopicMetadata({ topics: [topic] }).catch(() => ({ topics: [] }));
            if (topics[0]?.partitions.length === 4 && topics[0].partitions.every((p) => p.leader >= 0)) return;
            if (i > 100) throw new Error(`the mock did not create topic ${topic}`);
            await new Promise((resolve) => setTimeout(resolve, 50));
          }
        } finally {
          await admin.disconnect();
        }
      },
      produce: (topic, partition, records, options) =>
        produceRecords(
          kafka,
          topic,
          records.map((r) => ({ ...r, partition })),
          options,
        ),
    };
  });
  afterAll(async () => {
    await mock?.stop();
  });
  return () => {
    if (cluster === undefined) throw new Error('the Kafka mock is not running yet: call the getter inside a test or hook');
    return cluster;
  };
}

/** A topic name no other test uses (topics are created on first use, with 4 partitions). */
export function uniqueTopic(prefix = 'topic'): string {
  return uniqueName(prefix);
}

/** Records whose JSON data is { n } for n in [from, from + count), keyed user-(n % 3). */
export function numbered(from: number, count: number): { key: string; value: string }[] {
  return Array.from({ length: count }, (_, i) => ({ key: `user-${(from + i) % 3}`, value: JSON.stringify({ n: from + i }) }));
}
