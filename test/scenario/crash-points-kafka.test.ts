import { afterAll } from 'vitest';
import type { KafkaClients } from '../../engine/adapters/kafka/kafka-clients.js';
import { kafkaSource } from '../../engine/job/index.js';
import { createTestPorts, createTestSinkTable } from '../support/aws.js';
import { uniqueTopic, useKafkaMock } from '../support/kafka.js';
import { scenarioJob } from '../support/scenario.js';
import { describeCrashScenarios } from './crash-points.scenario.js';

/**
 * The crash scenarios reading a Kafka topic on librdkafka's mock cluster (3 brokers, the
 * topic's 4 partitions led by different brokers), through the Kafka reader, with the WAL,
 * state, sink and dead letters on DynamoDB Local and s3rver through the real SDK clients.
 * Scenario partition i is Kafka partition i; partition 3 stays empty. Records go in
 * record batches of 50, so the 40-record ranges start and end inside batches.
 */
const kafkaCluster = useKafkaMock(3);
const opened: KafkaClients[] = [];
afterAll(async () => {
  await Promise.all(opened.map((clients) => clients.close()));
});

describeCrashScenarios(
  "Kafka (librdkafka's mock cluster) and the AWS adapters on the local stand-ins",
  async (events, partitions, name) => {
    const cluster = kafkaCluster();
    const topic = uniqueTopic('clicks');
    const [ports, sinkTable] = await Promise.all([
      createTestPorts({ kafka: cluster.connection }),
      createTestSinkTable(),
      cluster.createTopic(topic),
    ]);
    for (let p = 0; p < partitions; p += 1) {
      const mine = events.filter((e) => e.partitionIndex === p);
      await cluster.produce(
        topic,
        p,
        mine.map((e) => ({ key: e.page ?? 'none', value: e.payload })),
        { batchSize: 50 },
      );
    }
    opened.push(ports.kafka!);
    return { ports, job: scenarioJob({ sinkTable, source: kafkaSource({ topic }) }), jobId: `job-${name}` };
  },
  [1, 10],
  { fixedRanges: true },
);
