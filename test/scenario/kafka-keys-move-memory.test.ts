import { createMemoryPorts } from '../../engine/adapters/memory/index.js';
import { describeKafkaKeysMove } from './kafka-keys-move.scenario.js';

/** On the memory twin of Kafka: a topic of 2 partitions that grows to 4 (MemorySource.addPartitions) while the job runs. */
describeKafkaKeysMove('memory twin of Kafka, partitions added', async () => {
  const ports = createMemoryPorts();
  ports.kafka.createStream('clicks', ['0', '1']);
  const encoder = new TextEncoder();
  return {
    ports,
    topic: 'clicks',
    sinkTable: 'views',
    partitionsBefore: 2,
    produce: async (partition, records) =>
      void ports.kafka.append(
        'clicks',
        String(partition),
        records.map((r) => ({ key: r.key, data: encoder.encode(r.value) })),
      ),
    grow: async () => {
      ports.kafka.addPartitions('clicks', ['2', '3']);
      return 4;
    },
  };
}, [
  { point: 'after-plan', batchId: 3 },
  { point: 'after-state-write', batchId: 3 },
  { point: 'mid-sink-write', batchId: 3 },
  { point: 'before-commit', batchId: 3 },
  { point: 'after-commit', batchId: 3 },
  { point: 'after-sink-write', batchId: 4 },
]);
