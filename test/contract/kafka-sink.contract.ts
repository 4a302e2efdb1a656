/**
 * The Kafka sink's rules (engine/sinks/kafka-records.ts, engine/adapters/kafka/kafka-sink.ts)
 * are the stream sink contract (./stream-sink.contract.ts): at-least-once, every message
 * with the Kinesis sink's deterministic id, and a deduped view (`scan`) that keeps per row
 * key the message of the highest (generation, batch). What is the Kafka sink's own: a
 * message of at most 1 MiB by default (a broker's message.max.bytes), and 1,000 messages
 * per produce request.
 */
import { KAFKA_DEFAULT_MAX_MESSAGE_BYTES, KAFKA_MAX_MESSAGES_PER_SEND } from '../../engine/sinks/kafka-records.js';
import { describeStreamSinkContract, type StreamSinkUnderTest } from './stream-sink.contract.js';

export function describeKafkaSinkContract(name: string, make: () => Promise<StreamSinkUnderTest>): void {
  describeStreamSinkContract(
    {
      title: 'Kafka sink',
      unit: 'message',
      // A key group: the scope of a batch's rows, not the Kafka partition.
      partition: 'kg-3',
      tooLarge: {
        bytes: KAFKA_DEFAULT_MAX_MESSAGE_BYTES,
        reason: /above the 1048576-byte limit of a message/,
        title: 'a Kafka message (1 MiB by default)',
      },
      requests: { perRequest: KAFKA_MAX_MESSAGES_PER_SEND, rows: 1_250, title: 'produce requests' },
    },
    name,
    make,
  );
}
