import { afterAll } from 'vitest';
import type { KafkaClients } from '../../engine/adapters/kafka/kafka-clients.js';
import { createTestPorts, createTestSinkTable } from '../support/aws.js';
import { uniqueTopic, useKafkaMock } from '../support/kafka.js';
import { describeKafkaKeysMove } from './kafka-keys-move.scenario.js';

/**
 * On librdkafka's mock cluster through the Kafka reader, the WAL, state and sink on
 * DynamoDB Local and s3rver. The mock cannot add partitions (no CreatePartitions): its
 * topics have 4 from the start, and producers use the first 2, then all 4.
 */
const kafkaCluster = useKafkaMock(3);
const opened: KafkaClients[] = [];
afterAll(async () => {
  await Promise.all(opened.map((clients) => clients.close()));
});

describeKafkaKeysMove("librdkafka's mock cluster, producers moving to partitions that were empty", async () => {
  const cluster = kafkaCluster();
  const topic = uniqueTopic('views');
  const [ports, sinkTable] = await Promise.all([
    createTestPorts({ kafka: cluster.connection }),
    createTestSinkTable(),
    cluster.createTopic(topic),
  ]);
  opened.push(ports.kafka!);
  return {
    ports,
    topic,
    sinkTable,
    partitionsBefore: 2,
    produce: async (partition, records) => void (await cluster.produce(topic, partition, records)),
    grow: async () => 4,
  };
}, [{ point: 'mid-sink-write', batchId: 3 }]);
