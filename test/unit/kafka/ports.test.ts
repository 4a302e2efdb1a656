import { describe, expect, it } from 'vitest';
import { destroyAwsClients, KinesisSourceReader } from '../../../engine/adapters/aws/index.js';
import { createAwsPorts } from '../../../engine/adapters/deployed-ports.js';
import { KafkaSourceReader } from '../../../engine/adapters/kafka/kafka-source-reader.js';
import { createMemoryPorts, silentLogger } from '../../../engine/adapters/memory/index.js';
import { systemClock } from '../../../engine/adapters/system-clock.js';
import { ConfigurationError } from '../../../engine/errors.js';

const base = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  walTable: 'wal',
  deadLetterTable: 'dead-letters',
  bucket: 'checkpoints',
  clock: systemClock,
  logger: silentLogger,
};

describe('the sources factory of the AWS ports', () => {
  it('needs a Kafka connection for Kafka sources, and says so', () => {
    const ports = createAwsPorts(base);
    try {
      expect(ports.kafka).toBeNull();
      expect(() => ports.sources({ type: 'kafka', topic: 'clicks' })).toThrow(ConfigurationError);
      expect(() => ports.sources({ type: 'kafka', topic: 'clicks' })).toThrow(
        /reads Kafka topic clicks, but these ports have no Kafka connection/,
      );
      expect(ports.sources({ type: 'kinesis', streamName: 'clicks' })).toBeInstanceOf(KinesisSourceReader);
    } finally {
      destroyAwsClients(ports.clients);
    }
  });

  it('builds one Kafka reader per topic on shared clients (nothing connects until a call)', async () => {
    const ports = createAwsPorts({ ...base, kafka: { brokers: ['127.0.0.1:9'], clientId: 'unit' } });
    try {
      const reader = ports.sources({ type: 'kafka', topic: 'clicks' });
      expect(reader).toBeInstanceOf(KafkaSourceReader);
      expect(ports.sources({ type: 'kafka', topic: 'clicks' })).toBe(reader);
      expect(ports.sources({ type: 'kafka', topic: 'orders' })).not.toBe(reader);
      expect(typeof reader.fixRanges).toBe('function');
      expect(() => ports.sources({ type: 'memory', streamName: 'm' })).toThrow(/reads Kinesis and Kafka sources, not memory \(m\)/);
    } finally {
      destroyAwsClients(ports.clients);
      await ports.kafka!.close();
    }
  });

  it('checks the Kafka connection when the ports are built', () => {
    expect(() => createAwsPorts({ ...base, kafka: { brokers: [] } })).toThrow('kafka.brokers must be a non-empty list of host:port');
  });
});

describe('the sources factory of the memory ports', () => {
  it('maps a Kafka topic to the fixed-range twin (offsets from 0) and streams to the Kinesis-like source', async () => {
    const ports = createMemoryPorts();
    ports.kafka.createStream('clicks', ['0']);
    ports.source.createStream('clicks', ['shard-0']);
    expect(ports.kafka.append('clicks', '0', [{ key: 'k', data: new Uint8Array([1]) }])).toEqual(['0']);
    const kafka = ports.sources({ type: 'kafka', topic: 'clicks' });
    expect((await kafka.listPartitions()).map((p) => p.id)).toEqual(['0']);
    expect(await kafka.fixRanges!([{ partition: '0', start: { type: 'EARLIEST' }, maxRecords: 10 }], { failOnDataLoss: true })).toEqual([
      { partition: '0', start: { type: 'AT_OFFSET', offset: '0' }, endBefore: '1', endIsTail: true },
    ]);
    const kinesis = ports.sources({ type: 'kinesis', streamName: 'clicks' });
    expect(kinesis.fixRanges).toBeUndefined();
    expect((await kinesis.listPartitions()).map((p) => p.id)).toEqual(['shard-0']);
    expect(ports.memorySourceOf({ type: 'kafka', topic: 'clicks' })).toEqual({ source: ports.kafka, name: 'clicks' });
  });
});
