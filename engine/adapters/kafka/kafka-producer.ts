/**
 * Writes records to chosen partitions of a Kafka topic: the demo's input and the tests'.
 * Not part of the engine: the Kafka sink (kafka-sink.ts) writes with the connection's own producer.
 */
import type { CompressionTypes, Kafka, Producer } from 'kafkajs';
import kafkajs from 'kafkajs';
import { TransientError } from '../../errors.js';
import type { Offset } from '../../protocol/offsets.js';

export interface KafkaRecordToSend {
  readonly partition: number;
  /** null: a record without a key. */
  readonly key: string | null;
  /** null: a tombstone. */
  readonly value: Uint8Array | string | null;
  /** The record's timestamp (CreateTime), default the producer's clock. */
  readonly timestampMs?: number;
}

export interface ProduceOptions {
  /** Records per produce request, i.e. per record batch of a partition (default 1,000). */
  readonly batchSize?: number;
  readonly compression?: CompressionTypes;
  readonly onProgress?: (stored: number, total: number) => void;
}

/**
 * Sends the records in order, `batchSize` at a time, and returns the offset each record
 * got. Within a partition, records keep their order and get consecutive offsets.
 * Not idempotent (the mock cluster has no idempotent producer): a request retried after
 * a timeout could write a batch twice. Callers that need exact offsets check the
 * partitions' ends afterwards (the demo does).
 */
export async function produceRecords(
  kafka: Kafka,
  topic: string,
  records: readonly KafkaRecordToSend[],
  options: ProduceOptions = {},
): Promise<Offset[]> {
  const batchSize = options.batchSize ?? 1_000;
  const producer: Producer = kafka.producer({
    allowAutoTopicCreation: true,
    createPartitioner: kafkajs.Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  try {
    const offsets: Offset[] = new Array<Offset>(records.length);
    for (let from = 0; from < records.length; from += batchSize) {
      const chunk = records.slice(from, from + batchSize);
      const byPartition = new Map<number, number[]>();
      chunk.forEach((r, i) => {
        const list = byPartition.get(r.partition) ?? [];
        list.push(from + i);
        byPartition.set(r.partition, list);
      });
      const sent = await producer.send({
        topic,
        acks: -1,
        ...(options.compression === undefined ? {} : { compression: options.compression }),
        messages: chunk.map((r) => ({
          partition: r.partition,
          key: r.key,
          value:
            r.value === null
              ? null
              : typeof r.value === 'string'
                ? r.value
                : Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength),
          ...(r.timestampMs === undefined ? {} : { timestamp: String(r.timestampMs) }),
        })),
      });
      for (const [partition, indexes] of byPartition) {
        const meta = sent.find((m) => m.partition === partition && m.topicName === topic);
        if (meta?.baseOffset === undefined || meta.errorCode !== 0) {
          throw new TransientError(`producing to partition ${partition} of ${topic} returned no base offset`, {
            context: { topic, partition },
          });
        }
        // kafkajs groups a partition's messages into one batch, in the order given.
        indexes.forEach((index, i) => {
          offsets[index] = (BigInt(meta.baseOffset!) + BigInt(i)).toString();
        });
      }
      options.onProgress?.(Math.min(from + batchSize, records.length), records.length);
    }
    return offsets;
  } finally {
    await producer.disconnect();
  }
}
