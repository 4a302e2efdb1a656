/**
 * The messages of the Kafka sink, and what a consumer deduping them sees: shared by the
 * kafkajs adapter (engine/adapters/kafka/kafka-sink.ts) and its memory twin. Pure: no I/O.
 *
 * The sink is at-least-once (acks=all, no idempotent producer, no transactions: see
 * docs/sinks/kafka.md for why, and for the transactional design not shipped yet). Every
 * message carries a deterministic id, the same on every run of the same write, by the
 * Kinesis sink's rule (engine/sinks/kinesis-records.ts sluiceIdOf):
 *
 *   key     = the row key, or `key(row)` when given: every version of a row goes to one
 *             partition, in the order the batches wrote it, and a compacted topic keeps
 *             the latest message of each key
 *   value   = JSON { sluiceId, jobId, generation, batchId, partition, key, value }
 *             (the Kinesis sink's envelope; `partition` is the batch's scope: the source
 *             partition or key group that wrote the row, not the Kafka partition)
 *   headers = sluice-id, sluice-generation, sluice-batch (so a consumer dedupes without
 *             parsing the value)
 *
 * A consumer keeps, per row key, the message of the highest (generation, batchId)
 * (generation first, `mayReplace` in engine/ports/sink.ts) and drops the ids it has seen:
 * a duplicate has the same id and the same value. Within one write the last row of a key
 * wins, so an id names one value.
 *
 * (Flink's KafkaSink offers DeliveryGuarantee.AT_LEAST_ONCE, with no ids, and EXACTLY_ONCE
 * through Kafka transactions committed on checkpoint. Spark's Kafka sink is at-least-once
 * only: its Structured Streaming + Kafka integration guide says writes may be duplicated
 * and suggests deduplicating on read by a unique key, which sluice-id is.)
 */
import type { RejectedRow, SinkRow, SinkWrite } from '../ports/sink.js';
import { envelopeFor, type KinesisSinkEnvelope, lastRowPerKey, routingKeyOf } from './kinesis-records.js';

export { dedupedView, envelopeOf, writeResultOf } from './kinesis-records.js';

/** A broker's default message.max.bytes (1 MiB and 12 bytes of batch header): the sink's default limit of one message. */
export const KAFKA_DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;
/**
 * The bytes a message takes in a record batch besides its key, value and headers (attributes,
 * varint lengths and deltas, the batch header shared by the batch's messages), counted
 * generously so a message under the limit is never refused by the broker.
 */
export const KAFKA_MESSAGE_OVERHEAD_BYTES = 128;
/** Messages per produce request at most (and at most the limit's bytes: see chunkMessages). */
export const KAFKA_MAX_MESSAGES_PER_SEND = 1_000;

export const SLUICE_ID_HEADER = 'sluice-id';
export const SLUICE_GENERATION_HEADER = 'sluice-generation';
export const SLUICE_BATCH_HEADER = 'sluice-batch';

/** The Kinesis sink's envelope: the same fields, the same dedupe rule. */
export type KafkaSinkEnvelope = KinesisSinkEnvelope;

export interface KafkaSinkMessage {
  /** The message key (UTF-8). */
  readonly key: string;
  readonly value: Uint8Array;
  readonly headers: Readonly<Record<string, string>>;
  readonly envelope: KafkaSinkEnvelope;
  /** What the message counts against the limit: key, value, headers and the overhead. */
  readonly bytes: number;
}

/**
 * The messages of a write, one per row key (the last row of a key wins), in the order of
 * each key's last row, and the rows no message can carry: larger than `maxMessageBytes`
 * with their envelope, key and headers, or whose key function threw or returned no
 * string. Those are refused for good (dead letters), never retried: they would fail the
 * same way on every run and block the partition.
 */
export function kafkaMessagesOf(
  write: SinkWrite,
  options: { readonly keyOf?: (row: SinkRow) => string; readonly maxMessageBytes?: number } = {},
): { messages: KafkaSinkMessage[]; rejected: RejectedRow[] } {
  const maxBytes = options.maxMessageBytes ?? KAFKA_DEFAULT_MAX_MESSAGE_BYTES;
  const last = lastRowPerKey(write.rows);
  const messages: KafkaSinkMessage[] = [];
  const rejected: RejectedRow[] = [];
  for (const row of last.values()) {
    const key = routingKeyOf(row, options.keyOf, 'key');
    if (typeof key !== 'string') {
      rejected.push(key);
      continue;
    }
    const envelope: KafkaSinkEnvelope = envelopeFor(write, row);
    const headers = {
      [SLUICE_ID_HEADER]: envelope.sluiceId,
      [SLUICE_GENERATION_HEADER]: String(write.generation),
      [SLUICE_BATCH_HEADER]: String(write.batchId),
    };
    const value = new TextEncoder().encode(JSON.stringify(envelope));
    let bytes = KAFKA_MESSAGE_OVERHEAD_BYTES + value.byteLength + Buffer.byteLength(key as string);
    for (const [name, text] of Object.entries(headers)) bytes += Buffer.byteLength(name) + Buffer.byteLength(text);
    if (bytes > maxBytes) {
      rejected.push({ key: row.key, reason: `${bytes} bytes as a Kafka message, above the ${maxBytes}-byte limit of a message` });
      continue;
    }
    messages.push({ key: key as string, value, headers, envelope, bytes });
  }
  return { messages, rejected };
}

/**
 * The messages in produce requests of at most KAFKA_MAX_MESSAGES_PER_SEND messages and at
 * most `maxBytes` bytes, in order: so no partition's record batch of a request exceeds the
 * broker's limit (each message alone is within it, kafkaMessagesOf).
 */
export function chunkMessages<M extends { readonly bytes: number }>(messages: readonly M[], maxBytes: number): M[][] {
  const chunks: M[][] = [];
  let chunk: M[] = [];
  let size = 0;
  for (const m of messages) {
    if (chunk.length > 0 && (chunk.length >= KAFKA_MAX_MESSAGES_PER_SEND || size + m.bytes > maxBytes)) {
      chunks.push(chunk);
      chunk = [];
      size = 0;
    }
    chunk.push(m);
    size += m.bytes;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}
